"""One clock: the Timebox rules, and the mock session's clock agreeing on every command-line surface."""

from __future__ import annotations

import json
import re
import shutil
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from runner.cli import app
from runner.clock import Timebox, attempt_timebox, clock_from_env
from runner.store import Store
from runner.workspace import move_aside


def test_timebox_one_rule_at_the_deadline():
    box = Timebox(started_at=100.0, limit_s=60.0)
    assert box.deadline == 160.0 and box.elapsed(90.0) == 0.0 and box.elapsed(130.0) == 30.0
    assert box.counts(160.0) and not box.over(160.0) and box.remaining(160.0) == 0.0  # at the deadline: counts
    assert box.over(160.001) and not box.counts(160.001) and box.remaining(170.0) == -10.0


def test_attempt_in_a_session_is_judged_by_the_session():
    attempt = SimpleNamespace(started_at=0.0, time_limit_s=300.0, session_id=7)
    session = SimpleNamespace(id=7, started_at=0.0, deadline=1800.0)
    assert attempt_timebox(attempt) == Timebox(0.0, 300.0, "exercise")
    box = attempt_timebox(attempt, session)
    assert box == Timebox(0.0, 1800.0, "session") and box.mock
    assert box.counts(480.0) and not Timebox(0.0, 300.0).counts(480.0)


def test_zero_is_a_time_not_no_time(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    assert store.start_attempt("D1", "/w/D1/double.py", 60, now=0.0).started_at == 0.0
    sid = store.begin_submission("D1", None, "/f.py", "x", None, now=0.0)
    assert store.submissions()[0].submitted_at == 0.0 and sid
    (tmp_path / "f.py").write_text("x")
    import time

    assert time.strftime("%Y%m%d", time.localtime(0.0)) in move_aside(tmp_path / "f.py", 0.0).name


def test_clock_from_env_reads_the_offset_each_time(tmp_path):
    offset = tmp_path / "offset"
    offset.write_text("1000")
    clock = clock_from_env({"PRACTICE_TEST_CLOCK": str(offset), "PYTEST_CURRENT_TEST": "t"})
    first = clock()
    offset.write_text("5000")
    assert 3999 < clock() - first < 4001
    import time

    assert abs(clock_from_env({})() - time.time()) < 1
    assert abs(clock_from_env({"PRACTICE_TEST_CLOCK": str(offset)})() - time.time()) < 1  # only under pytest


@pytest.fixture
def instant_grader(monkeypatch):
    """Grading is not what these tests are about: every submission passes its one check at once."""
    from runner.core import Practice
    from runner.results import GradeResult, Outcome, Status, TestResult

    passed = GradeResult("D1", Status.GRADED, tests=(TestResult("t", "works", Outcome.PASSED, 1.0, 1.0),))
    monkeypatch.setattr(Practice, "grade", lambda self, pending, reveal=False: passed)


def _seconds(text: str) -> int:
    m, s = text.split(":")
    return int(m) * 60 + int(s)


def test_mock_clock_agrees_on_every_surface(practice_env, fixture_bank, shifted_clock, instant_grader):
    """8 minutes into a 30-minute session, then after its deadline: submit --json, the scorecard,
    `practice status` and `practice mock status` all tell the session's time."""
    runner = CliRunner()
    assert runner.invoke(app, ["mock", "start", "--ids", "D1,H1", "--minutes", "30"]).exit_code == 0
    d1 = practice_env / "ws" / "mock-1" / "D1" / "double.py"
    shutil.copy(fixture_bank / "solutions/D1/reference.py", d1)
    shifted_clock.advance(8 * 60)

    data = json.loads(runner.invoke(app, ["submit", "D1", "--json"]).stdout)
    assert data["time_limit_s"] == 1800 and 479 < data["elapsed_s"] < 490 and data["clock"] == "session"
    assert data["counted"] is True and data["overtime"] is False  # D1's own limit is 5 minutes: not used
    card = runner.invoke(app, ["submit", "D1"]).stdout
    assert re.search(r"Time 8:0\d of 30:00 of the mock session", card) and "over time" not in card

    status = runner.invoke(app, ["status"]).stdout
    assert "mock session" in status
    left = _seconds(re.search(r"Mock session time left: (\d+:\d\d) of 30:00", status).group(1))
    mock = runner.invoke(app, ["mock", "status"]).stdout
    mock_left = _seconds(re.search(r"time left: (\d+:\d\d) of 30:00", mock).group(1))
    assert 22 * 60 - 10 < left <= 22 * 60 and abs(left - mock_left) <= 2

    shifted_clock.advance(23 * 60)  # 31 minutes in: past the deadline
    late = json.loads(runner.invoke(app, ["submit", "D1", "--json"]).stdout)
    assert late["counted"] is False and late["overtime"] is True and late["time_limit_s"] == 1800
    card = runner.invoke(app, ["submit", "D1"]).stdout
    assert "Late: recorded, not counted" in card and "over time" in card
    assert "Time is up" in runner.invoke(app, ["status"]).stdout
    assert "Time is up" in runner.invoke(app, ["mock", "status"]).stdout
    report = json.loads(runner.invoke(app, ["mock", "finish", "--json"]).stdout)
    d1_task = next(t for t in report["tasks"] if t["exercise"] == "D1")
    assert d1_task["score"] == 100 and d1_task["submissions"] == 4 and d1_task["late_submissions"] == 2


def test_outside_a_mock_nothing_changes(practice_env, fixture_bank, shifted_clock, instant_grader):
    runner = CliRunner()
    runner.invoke(app, ["start", "D1", "--no-live"])
    shutil.copy(fixture_bank / "solutions/D1/reference.py", practice_env / "ws" / "D1" / "double.py")
    shifted_clock.advance(6 * 60)
    data = json.loads(runner.invoke(app, ["submit", "D1", "--json"]).stdout)
    assert data["time_limit_s"] == 300 and data["overtime"] is True and data["counted"] is True
    assert data["clock"] == "exercise"
    status = runner.invoke(app, ["status"]).stdout
    assert "Time left: -1:0" in status and "(over time)" in status and "mock session" not in status
