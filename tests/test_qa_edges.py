"""Edges a new user hits: long solution lines, unwritable bank folders (found by walking the product)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from typer.testing import CliRunner

from runner import render
from runner.cli import app


def test_solution_wraps_long_lines_instead_of_cutting_them():
    long_line = "    return e / np.where(s > 0, s, 1)  # s == 0 only for an all -inf slice, whose e is all zeros END"
    sol = SimpleNamespace(exercise=SimpleNamespace(id="1A"), reference=f"def f():\n{long_line}\n", answers="")
    out = io.StringIO()
    render.render_solution(Console(file=out, width=80, color_system=None), sol)
    text = out.getvalue()
    assert "END" in text  # Rich cut the line at the panel's edge before word_wrap


def test_bank_init_where_it_cannot_write_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["bank", "init", str(blocker / "bank")])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: cannot create a bank at") and "internal error" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_mock_report_export_into_a_missing_folder_is_one_line(practice_env, tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "5"]).exit_code == 0
    assert runner.invoke(app, ["mock", "finish"]).exit_code == 0
    for name in ("r.html", "r.svg"):
        result = runner.invoke(app, ["mock", "report", "1", "--export", str(tmp_path / "missing" / name)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("error: cannot write the report to") and "mock report 1 --export" in \
            result.stderr


@pytest.mark.parametrize("option", ["--csv", "--junit"])
def test_grade_output_into_a_missing_folder_is_refused_before_grading(practice_env, tmp_path, option):
    out = tmp_path / "missing" / "grades.out"
    for args in (["grade", "D1", str(tmp_path / "nobody.py")], ["grade", "merge", str(tmp_path / "none.jsonl")]):
        result = CliRunner().invoke(app, [*args, option, str(out)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith(f"error: cannot write {out}: its folder") and "Traceback" not in result.output


def test_versions_of_an_attempt_with_none_say_so(practice_env):
    runner = CliRunner()
    assert runner.invoke(app, ["start", "D1", "--no-live"]).exit_code == 0
    for option in ("--show", "--restore"):
        result = runner.invoke(app, ["versions", "D1", option, "1"])
        assert result.exit_code == 2, result.output
        assert "no saved versions in this attempt" in result.stderr and "1–0" not in result.stderr


def test_a_new_mock_session_starts_from_the_stub_and_keeps_a_leftover_file(practice_env):
    """A reset history numbers sessions from 1 again; mock-1's old (solved) file must not be graded as new work."""
    old = practice_env / "ws" / "mock-1" / "D1" / "double.py"
    old.parent.mkdir(parents=True)
    old.write_text("def double(x):\n    return x * 2\n")
    assert CliRunner().invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "5"]).exit_code == 0
    assert "return x * 2" not in old.read_text()
    kept = list(old.parent.glob("double.*.old.py"))
    assert len(kept) == 1 and kept[0].read_text() == "def double(x):\n    return x * 2\n"
    assert CliRunner().invoke(app, ["mock", "finish"]).exit_code == 0  # stops the session's watcher


def test_a_practice_home_that_cannot_be_made_is_one_line(practice_env, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("PRACTICE_HOME", str(blocker / "home"))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: cannot open the history database") and "PRACTICE_HOME" in result.stderr


@pytest.mark.parametrize("minutes", ["0", "nan", "inf", "-inf"])
def test_mock_minutes_that_give_no_real_deadline_are_refused(practice_env, minutes):
    """0 used to mean the preset's default length (falsy), nan failed in the database, inf after the session began."""
    runner = CliRunner()
    for args in (["--ids", "D1"], []):
        result = runner.invoke(app, ["mock", "start", *args, "--minutes", minutes])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: --minutes must be a positive number")
    assert runner.invoke(app, ["mock", "status"]).exit_code == 1  # no session was started


def test_gradescope_export_refuses_a_missing_folder_and_a_nan_total(practice_env, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["export", "gradescope", "D1", "-o", str(tmp_path / "missing" / "ag.zip")])
    assert result.exit_code == 1 and result.stderr.startswith("error: cannot write"), result.output
    result = runner.invoke(app, ["export", "gradescope", "D1", "--total", "nan", "-o", str(tmp_path / "ag.zip")])
    assert result.exit_code == 2 and "--total must be positive" in result.stderr, result.output
    assert not (tmp_path / "ag.zip").exists()


def test_live_counterexample_row_keeps_the_call_at_80_columns():
    """1A's real descriptions are longer than the row: the call (what to paste) must still show."""
    from runner.render import _line, _live_counterexamples
    from runner.results import GradeResult, Outcome, Status, TestResult

    description = ("Handles logits of magnitude 1e4 (positive and negative, rows far apart) without overflow or NaN.")
    test = TestResult("t5", description, Outcome.FAILED, 0, 2, "non-finite",
                      detail={"call": "softmax(np.array([710.0]))", "yours": "np.array([np.nan])",
                              "expected": "np.array([1.0])"})
    view = SimpleNamespace(revealed=GradeResult("1A", Status.GRADED, tests=(test,)))
    out = io.StringIO()
    console = Console(file=out, width=76, color_system=None)
    for row in _live_counterexamples(view):
        console.print(_line(row, 76))
    assert "softmax(np.array([710.0]))" in out.getvalue()


def test_status_with_an_attempt_started_in_another_bank(practice_env, tmp_path):
    """`practice --bank B start X` then plain `practice status`: X is not in the default bank; status still works."""
    runner = CliRunner()
    bank = tmp_path / "course"
    assert runner.invoke(app, ["bank", "init", str(bank)]).exit_code == 0
    assert runner.invoke(app, ["new", "--bank", str(bank), "C1"]).exit_code == 0
    assert runner.invoke(app, ["start", "D1", "--no-live"]).exit_code == 0
    assert runner.invoke(app, ["--bank", str(bank), "start", "C1", "--no-live"]).exit_code == 0
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "Active: D1" in result.stdout and "C1" in result.stdout  # C1 listed among the open attempts
    assert runner.invoke(app, ["--bank", str(bank), "status"]).stdout.startswith("Active: C1")
    result = runner.invoke(app, ["submit"])  # the active attempt (C1) is not in the default bank
    assert result.exit_code == 1 and "your active attempt, C1, is not in the bank in use" in result.stderr


def test_grade_table_shows_student_names_as_written_not_as_markup():
    """A folder named `[b]oops` or `a[bold]x[` is that student, not bold text."""
    results = [{"student": name, "file": f"{name}/f.py", "score": 0.0, "passed": 0, "total": 1,
                "error": "SyntaxError at line 1: [/] never closed, and a note longer than sixty characters END"}
               for name in ("[b]oops", "a[bold]x[")]
    out = io.StringIO()
    render.render_batch(Console(file=out, width=200, color_system=None), results, {"submissions": 0})
    text = out.getvalue()
    assert "[b]oops" in text and "a[bold]x[" in text and "characters END" in text


def test_live_view_s_on_a_missing_file_keeps_the_view_open():
    """Pressing s while the file is gone (an editor's save in progress, a slip of rm) ended the live view."""
    from runner.clock import Timebox
    from runner.errors import WorkspaceError
    from runner.live import LiveView

    def missing(*args, **kwargs):
        raise WorkspaceError("no file at /w/1A/softmax.py", fix="Check the path, or run `practice start ID`.")

    class Pool:
        def __init__(self):
            self.cancelled = []

        def cancel(self, ticket):
            self.cancelled.append(ticket)

        def submit(self, *args, **kwargs):
            return 1

    exercise = SimpleNamespace(id="1A", title="Numerically stable softmax", prompt="Write softmax.")
    info = SimpleNamespace(exercise=exercise, path=Path("/w/1A/softmax.py"), timebox=Timebox(0, 900), attempt=None)
    practice = SimpleNamespace(clock=lambda: 100.0, begin_submit=missing)
    view = LiveView(practice, info, Console(file=io.StringIO(), width=80, height=24, color_system=None))
    view._pool = Pool()
    view.start_examples()
    assert view.key("s") is True
    assert view.message.startswith("Not submitted: no file at /w/1A/softmax.py")
    assert view.running is not None and view.running.kind == "examples" and not view._pool.cancelled


def test_live_view_file_moved_away_and_back(tmp_path):
    """r on a missing file says so (was a grader FileNotFoundError); a file moved back clears 'is missing'."""
    from runner.clock import Timebox
    from runner.live import LiveView

    class Pool:
        def submit(self, *args, **kwargs):
            return 1

        def cancel(self, ticket):
            pass

    path = tmp_path / "softmax.py"
    path.write_text("def softmax(x, axis=-1):\n    return x\n")
    exercise = SimpleNamespace(id="1A", title="Numerically stable softmax", prompt="Write softmax.")
    info = SimpleNamespace(exercise=exercise, path=path, timebox=Timebox(0, 900), attempt=SimpleNamespace(id=1))
    practice = SimpleNamespace(clock=lambda: 100.0, store=SimpleNamespace(add_snapshot=lambda *a: True))
    view = LiveView(practice, info, Console(file=io.StringIO(), width=80, height=24, color_system=None))
    view._pool = Pool()
    view.check_saved()
    view.running = None  # the examples finished
    aside = tmp_path / "aside.py"
    path.rename(aside)
    view.check_saved()
    assert "is missing" in view.message
    view.key("r")
    assert view.message == f"Not run: {path} is missing." and view.running is None
    view.check_saved()
    aside.rename(path)  # the same inode, size and mtime: not a save
    view.check_saved()
    assert view.message == "Your file is back."


def test_start_with_a_file_where_its_folder_goes_says_so(practice_env):
    """It said 'Your file: …/D1/double.py (your existing file, unchanged)' and no file existed."""
    (practice_env / "ws").mkdir(exist_ok=True)
    (practice_env / "ws" / "D1").write_text("not a folder")
    result = CliRunner().invoke(app, ["start", "D1", "--no-live"])
    assert result.exit_code == 1, result.output
    assert "a file is in the way of its folder" in result.stderr and "unchanged" not in result.output


def test_live_prompt_summary_is_words_not_markdown():
    """The live view's few prompt rows showed `**`, backticks and `| --- | --- |` table rules (1B, 1C, 4C)."""
    from runner.render import _plain

    prompt = ("Use `np.einsum`.\n\n**`attention(Q, K, V) -> np.ndarray`**\n\n| argument | shape |\n| --- | --- |\n"
              "| `Q` | `[B, Lq, dk]` |\n\n- **Efficiency:** divide by `dk ** 0.5`; n = 10**6.\n")
    assert _plain(prompt) == ("Use np.einsum.  attention(Q, K, V) -> np.ndarray  argument · shape; Q · [B, Lq, dk];  "
                              "- Efficiency: divide by dk ** 0.5; n = 10**6.")


def test_grade_merge_refuses_results_of_two_exercises(tmp_path):
    """Shards of 1A and 2A were merged into one CSV with both exercises' check columns."""
    one, two = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    one.write_text(json.dumps({"file": "s/a.py", "student": "a", "exercise": "1A", "tests": []}) + "\n")
    two.write_text("\n" + json.dumps({"file": "s/b.py", "student": "b", "exercise": "2A", "tests": []}) + "\n")
    result = CliRunner().invoke(app, ["grade", "merge", str(one), str(two)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {two}:2 holds a result of 2A, {one}:1 one of 1A")


def test_mock_header_of_a_session_finished_early_is_a_clock_not_a_long_fraction(practice_env):
    runner = CliRunner()
    assert runner.invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "5"]).exit_code == 0
    done = runner.invoke(app, ["mock", "finish"])
    head = done.stdout.splitlines()[0]
    assert re.fullmatch(r"Mock session 1 · custom · 1 tasks · 0:0\d", head), head


def test_printed_output_cannot_drive_the_terminal():
    """`print("\\x1b[2J")` in learner code cleared the learner's screen through `practice run`."""
    from runner.results import RunResult, Status

    out = io.StringIO()
    result = RunResult("1A", Status.GRADED, output="\x1b[2J\x1b[31mred\x1b[0m\x07 done\n")
    render.render_run(Console(file=out, width=80, color_system=None), result)
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert "^[[2J^[[31mred^[[0m^G done" in out.getvalue()


def test_exception_messages_cannot_drive_the_terminal():
    """`raise ValueError("\\x1b[2J")`: its message reached the terminal through the scorecard and `practice run`."""
    from runner.results import ExampleResult, GradeResult, Outcome, RunResult, Status, TestResult

    evil = "your code raised ValueError: \x1b[2J\x1b]52;c;cHduZWQ=\x07"
    out = io.StringIO()
    console = Console(file=out, width=100, color_system=None)
    render.render_scorecard(console, GradeResult("1A", Status.GRADED, tests=(
        TestResult("t", "d", Outcome.ERROR, 0, 1, evil),)), reveal=True)
    render.render_scorecard(console, GradeResult("1A", Status.ERROR, error=evil))
    render.render_run(console, RunResult("1A", Status.GRADED, examples=(
        ExampleResult("softmax(x)", False, "", "", evil),)))
    assert "\x1b" not in out.getvalue() and "\x07" not in out.getvalue()
    assert out.getvalue().count("ValueError: ^[[2J^[]52;c;cHduZWQ=^G") == 3


def test_junit_stays_valid_xml_whatever_a_student_raises(tmp_path):
    """A student's exception message with ESC or NUL made the class's JUnit file unparseable for everyone."""
    from junitparser import JUnitXml

    from runner.batch import write_junit

    def record(student, message):
        return {"student": student, "file": f"{student}/softmax.py", "exercise": "1A", "status": "graded",
                "score": 0.0, "total": 1, "duration_s": 0.1, "error": None,
                "tests": [{"name": "t", "outcome": "error", "message": message, "seconds": 0.1}]}

    path = tmp_path / "grades.xml"
    write_junit([record("alice", "fine"), record("mallory", "ValueError: \x1b[2J\x00\x07\ud800 bad")], path, "1A")
    suites = {s.name: s for s in JUnitXml.fromfile(str(path))}
    assert set(suites) == {"alice", "mallory"}
    assert "ValueError: ^[[2J^@^G\ufffd bad" in path.read_text(encoding="utf-8")


def test_a_relative_workspace_is_made_absolute(practice_env, monkeypatch, tmp_path):
    """PRACTICE_WORKSPACE=relws: the attempt recorded relws/D1/double.py, and `submit` from elsewhere found no file."""
    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    monkeypatch.setenv("PRACTICE_WORKSPACE", "relws")
    runner = CliRunner()
    assert runner.invoke(app, ["start", "D1", "--no-live"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = runner.invoke(app, ["submit", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exercise"] == "D1"
    assert (tmp_path / "here" / "relws" / "D1" / "double.py").is_file()


def test_grade_with_no_existing_path_is_one_line(practice_env, tmp_path):
    """A mistyped class folder is refused before grading (exit 2), not graded as one missing student."""
    result = CliRunner().invoke(app, ["grade", "D1", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "nothing to grade: no file or folder at" in result.output and "Traceback" not in result.output


def test_a_bank_whose_checks_cannot_be_collected_is_not_the_learners_zero(practice_env, fixture_bank, tmp_path,
                                                                          monkeypatch):
    """Hidden tests missing from the bank: exit 3 naming the bank, and the submission never counts."""
    import shutil

    bank = tmp_path / "broken-bank"
    shutil.copytree(fixture_bank, bank)
    for test in (bank / "hidden_tests" / "D1").glob("test_*.py"):
        test.unlink()
    monkeypatch.setenv("PRACTICE_BANK", str(bank))
    result = CliRunner().invoke(app, ["submit", "D1", "--file", str(bank / "solutions/D1/reference.py"), "--json"])
    assert result.exit_code == 3, result.output
    assert "could not be collected; this is a bank problem" in result.stderr and "Traceback" not in result.output
    history = json.loads(CliRunner().invoke(app, ["history", "--json"]).stdout)
    assert [(s["state"], s["counted"]) for s in history["submissions"]] == [("interrupted", 0)]
    assert history["exercises"][0]["best"] is None
