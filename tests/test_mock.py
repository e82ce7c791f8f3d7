"""Mock OA sessions: deadline rules with an injected clock (no sleeping), reports, JSON and export."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runner.cli import app
from runner.config import Locations
from runner.core import Practice
from runner.errors import NoAttempt, UsageError


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env(tmp_path, fixture_bank):
    clock = Clock()
    locations = Locations(bank=fixture_bank, workspace=tmp_path / "ws", home=tmp_path / "home")
    return Practice(locations, clock=clock), clock, fixture_bank


def solution(bank: Path, exercise: str, name: str = "reference.py") -> str:
    folder = bank / "solutions" / exercise
    return (folder / name if name == "reference.py" else folder / "wrong" / name).read_text()


def save(path: Path, text: str, clock: Clock) -> None:
    """Save a file as the learner would, at the injected clock's time."""
    path.write_text(text)
    os.utime(path, (clock.now, clock.now))


def fresh(p: Practice, clock: Clock) -> Practice:
    """A new Practice on the same home: as after closing the terminal."""
    return Practice(p.locations, clock=clock)


def task(report, exercise):
    return next(t for t in report.tasks if t.exercise == exercise)


def test_preset_draw_is_seeded_and_ordered(env):
    p, clock, bank = env
    report = p.mock.start(seed=3)
    assert report.session.preset == "pair" and report.session.ids == ["D1", "H1"]
    assert report.session.deadline - report.session.started_at == 600
    for t in report.tasks:
        assert Path(t.file).read_text() == (bank / "exercises" / t.exercise / "double.py").read_text()
        assert f"mock-{report.session.id}" in t.file


def test_one_session_at_a_time(env):
    p, clock, _ = env
    p.mock.start(ids=["D1"], minutes=1)
    with pytest.raises(UsageError):
        p.mock.start(ids=["H1"], minutes=1)
    clock.now += 61  # the first one is over: starting again finishes it
    assert p.mock.start(ids=["H1"], minutes=1).session.ids == ["H1"]


def test_last_submission_before_deadline_counts_late_ones_are_flagged(env):
    p, clock, bank = env
    report = p.mock.start(ids=["D1", "H1"], minutes=10)
    d1 = Path(task(report, "D1").file)
    clock.now += 60
    save(d1, solution(bank, "D1"), clock)
    assert p.submit("D1", None).score == 100
    clock.now += 60
    save(d1, solution(bank, "D1", "upcast.py"), clock)
    assert p.submit("D1", None).score == 75
    clock.now += 600  # past the deadline
    save(d1, solution(bank, "D1"), clock)
    late = p.submit("D1", None)
    assert late.score == 100 and late.counted is False
    status = fresh(p, clock).mock.status()
    assert task(status, "D1").score == 75 and task(status, "D1").late == 1
    assert task(status, "D1").submissions == 3


def test_saved_but_unsubmitted_work_is_graded_at_the_deadline(env):
    p, clock, bank = env
    report = p.mock.start(ids=["D1", "H1"], minutes=10)
    h1 = Path(task(report, "H1").file)
    save(h1, solution(bank, "H1"), clock)
    deadline = report.session.deadline
    clock.now = deadline + 30
    status = fresh(p, clock).mock.status()
    assert status.auto_graded == ["H1"]
    h1_task = task(status, "H1")
    assert h1_task.score == 100 and h1_task.counted_at == deadline
    sub = p.store.submissions(exercise="H1")[-1]
    assert sub.automatic and sub.counted and sub.submitted_at == deadline and sub.file == str(h1)
    again = fresh(p, clock).mock.status()  # settled once: nothing graded twice
    assert again.auto_graded == [] and len(p.store.submissions(exercise="H1")) == 1


def test_version_at_deadline_comes_from_snapshots_when_edited_later(env):
    p, clock, bank = env
    report = p.mock.start(ids=["D1"], minutes=10)
    d1 = Path(report.tasks[0].file)
    save(d1, solution(bank, "D1"), clock)
    clock.now += 100
    p.mock.status()  # any command snapshots saved files
    clock.now = report.session.deadline + 50
    save(d1, "def double(x):\n    return x * 3\n", clock)  # edited after the deadline
    clock.now += 10
    final = fresh(p, clock).mock.finish()
    assert final.tasks[0].score == 100
    assert "x * 2" in p.store.submissions(exercise="D1")[-1].source


def test_file_unchanged_since_last_submission_is_not_graded_again(env):
    p, clock, bank = env
    report = p.mock.start(ids=["D1"], minutes=10)
    save(Path(report.tasks[0].file), solution(bank, "D1", "upcast.py"), clock)
    clock.now += 30
    p.submit("D1", None)
    clock.now = report.session.deadline + 1
    status = p.mock.status()
    assert status.auto_graded == [] and status.tasks[0].submissions == 1 and status.tasks[0].score == 75


def test_finish_early_report_json_and_comparison(env, tmp_path):
    p, clock, bank = env
    first = p.mock.start(ids=["D1", "H1"], minutes=10)
    save(Path(task(first, "D1").file), solution(bank, "D1"), clock)
    clock.now += 120
    report = p.mock.finish()  # early: what is saved now is graded, as at a deadline
    assert report.score == 50.0 and report.session.finished_at == clock.now
    assert report.session.deadline == clock.now
    with pytest.raises(NoAttempt):
        p.mock.status()
    second = p.mock.start(ids=["D1", "H1"], minutes=10)
    for t in second.tasks:
        save(Path(t.file), solution(bank, t.exercise), clock)
    clock.now += 700
    final = p.mock.finish()
    data = final.to_dict()
    assert set(data) >= {"session", "score", "tasks"} and data["score"] == 100
    assert [t["exercise"] for t in data["tasks"]] == ["D1", "H1"]
    assert all(set(t) >= {"exercise", "score", "submissions", "counted_at"} for t in data["tasks"])
    assert data["previous"] == [{"session": first.session.id, "preset": "custom", "score": 50.0,
                                 "finished_at": report.session.finished_at}]


def test_cli_rehearsal_end_to_end(practice_env, fixture_bank, tmp_path, shifted_clock):
    runner = CliRunner()
    started = runner.invoke(app, ["mock", "start", "--minutes", "0.05", "--seed", "1"])
    assert started.exit_code == 0, started.output
    assert "Mock session 1 · pair" in started.stdout
    d1 = practice_env / "ws" / "mock-1" / "D1" / "double.py"
    shutil.copy(fixture_bank / "solutions/D1/reference.py", d1)
    sub = json.loads(runner.invoke(app, ["submit", "d1", "--json"]).stdout)
    assert sub["score"] == 100 and sub["counted"] is True
    status = runner.invoke(app, ["mock", "status"])
    assert "D1" in status.stdout and "Session score 50/100" in status.stdout
    shifted_clock.advance(3.1)  # past the 3-second session's deadline, without waiting for it
    late = json.loads(runner.invoke(app, ["submit", "H1", "--json", "--file", str(fixture_bank /
                                                                                  "solutions/H1/reference.py")]).stdout)
    assert late["counted"] is False
    html, svg = tmp_path / "report.html", tmp_path / "report.svg"
    done = runner.invoke(app, ["mock", "finish", "--json", "--export", str(html)])
    assert done.exit_code == 0
    data = json.loads(done.stdout)
    assert data["score"] == 50 and "<html" in html.read_text().lower()
    assert runner.invoke(app, ["mock", "finish"]).exit_code == 1
    assert runner.invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "1"]).exit_code == 0
    assert runner.invoke(app, ["mock", "finish", "--export", str(svg)]).exit_code == 0
    assert svg.read_text().lstrip().startswith("<svg")
    assert runner.invoke(app, ["mock", "finish", "--export", str(tmp_path / "r.pdf")]).exit_code == 2


@pytest.mark.slow
def test_full_rehearsal_on_the_real_bank(practice_env, monkeypatch, shifted_clock):
    """preset -> four tasks -> submissions -> deadline -> report, with the bank's default preset."""
    from runner.config import REPO_ROOT

    monkeypatch.setenv("PRACTICE_BANK", str(REPO_ROOT))
    runner = CliRunner()
    assert runner.invoke(app, ["mock", "start", "--seed", "11", "--minutes", "0.25"]).exit_code == 0
    status = json.loads(runner.invoke(app, ["mock", "status", "--json"]).stdout)
    tasks = status["session"]["exercises"]
    assert len(tasks) == 4 and {t[0] for t in tasks} == {"1", "2", "3", "4"}  # one part of each question
    files = {}
    for task in tasks:
        folder = practice_env / "ws" / "mock-1" / task
        files[task] = next(folder.glob("*.py"))
    first, second, third, _ = tasks
    for task in (first, second, third):
        shutil.copy(REPO_ROOT / "solutions" / task / "reference.py", files[task])
    for task in (first, second):  # submitted; the third is only saved
        assert json.loads(runner.invoke(app, ["submit", task, "--json"]).stdout)["counted"] is True
    deadline = status["session"]["deadline"]
    shifted_clock.advance(16)  # past the 15-second session's deadline, without waiting for it
    report = json.loads(runner.invoke(app, ["mock", "finish", "--json"]).stdout)
    scores = {t["exercise"]: t["score"] for t in report["tasks"]}
    assert scores == {first: 100, second: 100, third: 100, tasks[3]: 0}
    assert report["score"] == 75
    third_task = next(t for t in report["tasks"] if t["exercise"] == third)
    assert third_task["counted_at"] == pytest.approx(deadline)
