"""The command line, driven through typer's CliRunner: exit codes and output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from runner.cli import app

runner = CliRunner()


def invoke(*args, input=None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def env(practice_env):
    return practice_env


def learner_file(env):
    return env / "ws" / "D1" / "double.py"


def test_help_everywhere():
    for args in ([], ["list"], ["show"], ["start"], ["run"], ["submit"], ["status"], ["history"], ["hint"],
                 ["solution"], ["versions"], ["stats"], ["new"], ["validate"], ["grade"], ["export"],
                 ["export", "gradescope"], ["mock"], ["mock", "start"], ["mock", "status"], ["mock", "finish"],
                 ["mock", "presets"], ["bank"], ["bank", "init"], ["bank", "show"]):
        result = invoke(*args, "--help")
        assert result.exit_code == 0, args
        assert "Usage" in result.output


def test_list_json(env):
    result = invoke("list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["D1", "H1"]
    assert rows[:1] == [{"id": "D1", "title": "Double it", "topic": "warmup", "tags": ["basics"], "difficulty": "easy",
                     "minutes": 5.0, "best": None, "submissions": 0, "status": "new"}]


def test_list_table(env):
    result = invoke("list")
    assert result.exit_code == 0
    assert "D1" in result.stdout and "Double it" in result.stdout and "new" in result.stdout


def test_unknown_id_names_the_closest(env):
    result = invoke("show", "d2")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == "error: no exercise `d2` in the bank. Did you mean `D1`?"


def test_show_renders_prompt_and_constraints(env):
    result = invoke("show", "d1")
    assert result.exit_code == 0
    assert "D1 · Double it" in result.stdout
    assert "NumPy only" in result.stdout and "5 minutes" in result.stdout


def test_start_writes_stub_and_never_overwrites(env):
    result = invoke("start", "d1")
    assert result.exit_code == 0
    path = learner_file(env)
    assert path.read_text().count("NotImplementedError") == 1
    assert str(path) in result.stdout
    path.write_text("def double(x):\n    return x * 2\n")
    again = invoke("start", "D1")
    assert again.exit_code == 0
    assert "Resumed" in again.stdout
    assert path.read_text() == "def double(x):\n    return x * 2\n"


def test_restart_moves_the_file_aside(env):
    invoke("start", "D1")
    path = learner_file(env)
    path.write_text("# my work\n")
    result = invoke("start", "D1", "--restart")
    assert result.exit_code == 0
    olds = list(path.parent.glob("double.*.old.py"))
    assert len(olds) == 1 and olds[0].read_text() == "# my work\n"
    assert "NotImplementedError" in path.read_text()


def test_submit_json_is_one_object(env, fixture_bank):
    invoke("start", "D1")
    learner_file(env).write_text((fixture_bank / "solutions/D1/reference.py").read_text())
    result = invoke("submit", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exercise"] == "D1" and data["status"] == "graded" and data["score"] == 100
    assert set(data) >= {"exercise", "status", "score", "points", "max_points", "passed", "total", "elapsed_s",
                         "time_limit_s", "overtime", "error", "tests"}
    assert {t["outcome"] for t in data["tests"]} == {"passed"}
    assert set(data["tests"][0]) == {"name", "description", "outcome", "points", "max_points", "message"}


def test_submit_scorecard_and_reveal(env, fixture_bank):
    invoke("start", "D1")
    learner_file(env).write_text((fixture_bank / "solutions/D1/wrong/upcast.py").read_text())
    plain = invoke("submit", "D1")
    assert plain.exit_code == 0
    assert "Score 75/100" in plain.stdout and "float32 input should give float32" not in plain.stdout
    revealed = invoke("submit", "D1", "--reveal")
    assert "float32 input should give float32" in revealed.stdout


def test_submit_broken_file_scores_zero_with_reason(env):
    invoke("start", "D1")
    learner_file(env).write_text("def double(x)\n")
    result = invoke("submit", "D1", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "error" and data["score"] == 0 and "SyntaxError" in data["error"]


def test_submit_any_file_without_attempt(env, fixture_bank):
    result = invoke("submit", "D1", "--file", str(fixture_bank / "solutions/D1/reference.py"), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["elapsed_s"] is None


def test_submit_missing_file_is_one_line(env, tmp_path):
    result = invoke("submit", "D1", "--file", str(tmp_path / "nope.py"))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: no file at")


def test_submit_without_active_attempt(env):
    result = invoke("submit")
    assert result.exit_code == 1
    assert "no active attempt" in result.stderr


def test_history_keeps_every_submission_and_source(env, fixture_bank):
    invoke("start", "D1")
    invoke("submit", "D1", "--json")
    learner_file(env).write_text((fixture_bank / "solutions/D1/reference.py").read_text())
    invoke("submit", "D1", "--json")
    data = json.loads(invoke("history", "--json").stdout)
    assert [r["score"] for r in data["submissions"]] == [0, 100]
    assert data["exercises"][0]["exercise"] == "D1" and data["exercises"][0]["best"] == 100
    assert data["exercises"][0]["attempts"] == 1 and data["exercises"][0]["time_to_solve_s"] is not None
    shown = invoke("history")
    assert "By exercise" in shown.stdout and "Submissions" in shown.stdout
    stats = invoke("stats")
    assert stats.exit_code == 0 and "warmup" in stats.stdout and "Scores over time" in stats.stdout
    assert json.loads(invoke("stats", "--json").stdout)["topics"][1]["solved"] == 1
    from runner.store import Store

    sources = [s.source for s in Store(env / "home" / "practice.db").submissions()]
    assert "NotImplementedError" in sources[0] and "x * 2" in sources[1]
    listed = json.loads(invoke("list", "--json").stdout)[0]
    assert listed["id"] == "D1"
    assert listed["best"] == 100 and listed["status"] == "solved"


def test_hints_are_recorded_and_shown(env):
    assert invoke("hint", "D1").exit_code == 1  # no attempt yet
    invoke("start", "D1")
    first = invoke("hint", "D1")
    assert "Hint 1 of 2" in first.stdout
    assert "Hint 2 of 2" in invoke("hint", "D1").stdout
    assert "Hint 2 of 2" in invoke("hint", "D1").stdout
    data = json.loads(invoke("submit", "D1", "--json").stdout)
    assert data["hints_used"] == 2


def test_solution_asks_before_first_submission(env):
    invoke("start", "D1")
    refused = invoke("solution", "D1")
    assert refused.exit_code == 4
    assert "--yes" in refused.stderr
    shown = invoke("solution", "D1", "--yes")
    assert shown.exit_code == 0 and "return x * 2" in shown.stdout and "Q1" in shown.stdout


def test_status_shows_time_left(env):
    assert "No active attempt" in invoke("status").stdout
    invoke("start", "D1")
    result = invoke("status")
    assert "D1 · Double it" in result.stdout and "Time left" in result.stdout


def test_run_checks_visible_examples(env, fixture_bank):
    invoke("start", "D1")
    stub = invoke("run", "D1")
    assert stub.exit_code == 0 and "0 of 2 examples pass" in stub.stdout
    learner_file(env).write_text("print('debug!')\n" + (fixture_bank / "solutions/D1/reference.py").read_text())
    good = invoke("run")
    assert "2 of 2 examples pass" in good.stdout and "debug!" in good.stdout


def test_broken_bank_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "exercises" / "X1").mkdir(parents=True)
    (tmp_path / "exercises" / "X1" / "exercise.yaml").write_text("format: 1\nid: X1\ntitel: oops\n")
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path / "home"))
    result = invoke("--bank", str(tmp_path), "list")
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "exercise.yaml: field `titel` is not a known key" in result.stderr and "`title`" in result.stderr


def test_no_color_is_honoured(env, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = invoke("list")
    assert "\x1b[" not in result.stdout
