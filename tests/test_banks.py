"""Choosing the bank (--bank, PRACTICE_BANK, config.toml, built-in), own banks, and the top-level command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runner import __version__
from runner.bank import Bank
from runner.cli import app
from runner.config import REPO_ROOT, _parse_toml, builtin_bank, resolve_locations
from runner.errors import UsageError

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Fresh PRACTICE_HOME and workspace, no PRACTICE_BANK."""
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PRACTICE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("PRACTICE_BANK", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_bare_practice_prints_the_catalog_and_how_to_start(practice_env):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "D1" in result.stdout and "Double it" in result.stdout
    assert "practice start D1" in result.stdout and "--help" in result.stdout


@pytest.mark.parametrize("args", [["list"], []])
def test_list_and_bare_practice_never_import_numpy(practice_env, args):
    code = (f"import sys\nfrom runner.cli import app\ntry:\n    app({args!r})\nexcept SystemExit as e:\n"
            "    print(e.code, 'numpy' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "0 False", done.stderr
    assert "D1" in done.stdout


def test_version_and_completion():
    assert invoke("--version").stdout.strip() == f"practice {__version__}"
    help_text = invoke("--help").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text
    practice = shutil.which("practice") or str(Path(sys.executable).parent / "practice")
    # Typer detects the shell from the parent process unless told not to; then `--show-completion` takes its name.
    named = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([practice, "--show-completion", "bash"], capture_output=True, text=True, timeout=60,
                            env=named)
    assert "complete -o default -F _practice_completion practice" in script.stdout
    # What bash's completion function asks the program, and what it answers for `practice mock st<TAB>`.
    env = {**os.environ, "_PRACTICE_COMPLETE": "complete_bash", "COMP_WORDS": "practice mock st", "COMP_CWORD": "2"}
    answer = subprocess.run([practice], env=env, capture_output=True, text=True, timeout=60)
    assert answer.stdout.split() == ["start", "status"]


def test_bank_init_new_list(home, tmp_path):
    root = tmp_path / "course-bank"
    made = invoke("bank", "init", root)
    assert made.exit_code == 0, made.output
    assert (root / "exercises/SCHEMA.md").read_text() == (REPO_ROOT / "exercises/SCHEMA.md").read_text()
    readme = (root / "README.md").read_text()
    assert "practice new --bank" in readme and "config.toml" in readme
    assert Bank(root).ids == []
    empty = invoke("--bank", root, "list")
    assert empty.exit_code == 0 and "No exercises in this bank yet" in empty.stdout
    assert invoke("new", "--bank", root, "5A", "--title", "Scale rows").exit_code == 0
    assert (root / "hidden_tests/5A/test_5a.py").is_file() and (root / "solutions/5A/reference.py").is_file()
    listed = json.loads(invoke("--bank", root, "list", "--json").stdout)
    assert [(r["id"], r["title"]) for r in listed] == [("5A", "Scale rows")]
    again = invoke("bank", "init", root)
    assert again.exit_code == 2 and "already has exercises" in again.stderr
    elsewhere = invoke("new", "--bank", tmp_path / "nothing-here", "5B")
    assert elsewhere.exit_code == 2 and "practice bank init" in elsewhere.stderr


def test_config_names_the_default_bank_and_env_and_flag_win(home, tmp_path, fixture_bank, monkeypatch):
    assert resolve_locations().bank_source == "built-in"
    (home / "config.toml").write_text(f'# my course\nbank = "{fixture_bank}"\n')
    shown = json.loads(invoke("bank", "show", "--json").stdout)
    assert shown == {"bank": str(fixture_bank.resolve()), "source": str(home / "config.toml"), "exercises": 2}
    assert [r["id"] for r in json.loads(invoke("list", "--json").stdout)] == ["D1", "H1"]
    monkeypatch.setenv("PRACTICE_BANK", str(REPO_ROOT))
    assert json.loads(invoke("bank", "show", "--json").stdout)["source"] == "PRACTICE_BANK"
    assert json.loads(invoke("--bank", fixture_bank, "bank", "show", "--json").stdout)["source"] == "--bank"


def test_config_path_is_relative_to_home_and_errors_are_one_line(home, fixture_bank):
    (home / "courses").symlink_to(fixture_bank.parent)
    (home / "config.toml").write_text("bank = 'courses/bank'\n")
    assert resolve_locations().bank == fixture_bank.resolve()
    (home / "config.toml").write_text("bank = 3\n")
    bad = invoke("list")
    assert bad.exit_code == 2 and bad.stderr.strip() == (
        f'error: {home / "config.toml"}: `bank` must be a quoted string. Write it as bank = "...".')
    (home / "config.toml").write_text('bnak = "x"\n')
    assert "unknown setting `bnak`" in invoke("list").stderr


def test_toml_fallback_for_python_310_reads_what_tomllib_reads(monkeypatch):
    text = '# comment\nbank = "/srv/bank"  # trailing\n\nother = \'single quoted\'\n'
    expected = {"bank": "/srv/bank", "other": "single quoted"}
    assert _parse_toml(text, Path("c.toml")) == expected
    monkeypatch.setitem(sys.modules, "tomllib", None)  # as on 3.10: import tomllib fails
    assert _parse_toml(text, Path("c.toml")) == expected
    with pytest.raises(UsageError, match="line 1"):
        _parse_toml("[section]\n", Path("c.toml"))


def test_builtin_bank_is_the_installed_data_folder_else_the_checkout(tmp_path, monkeypatch):
    assert builtin_bank() == REPO_ROOT  # editable install: no practice_bank/ on the path
    site = tmp_path / "site"
    (site / "practice_bank" / "hidden_tests").mkdir(parents=True)  # a leftover without exercises/ is ignored
    monkeypatch.syspath_prepend(str(site))
    assert builtin_bank() == REPO_ROOT
    (site / "practice_bank" / "exercises").mkdir()
    assert builtin_bank() == site / "practice_bank"


def test_new_refuses_the_installed_bank(home, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "practice_bank" / "exercises").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    refused = invoke("new", "5A")
    assert refused.exit_code == 2 and "part of the installed package" in refused.stderr
    assert "practice bank init" in refused.stderr and not (site / "practice_bank/exercises/5A").exists()


def test_protected_folders_follow_the_bank(fixture_bank, tmp_path):
    from runner.grading.job import child_spec

    exercise = Bank(fixture_bank).get("D1")
    spec = child_spec(exercise, tmp_path / "x.py", ())
    assert spec.protected_dirs == (str(fixture_bank / "hidden_tests"), str(fixture_bank / "solutions"))
