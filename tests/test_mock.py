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
    p.mock.snapshot()  # as the file watcher does on every save
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
    p.mock.snapshot()  # as the file watcher does on every save
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


# ---- the file watcher ------------------------------------------------------------------------------------

def test_watcher_snapshots_each_change_and_stops_at_the_deadline(env):
    """Driven in-process with the injected clock: its sleeps are where the learner saves and time passes."""
    from runner.watcher import watch

    p, clock, bank = env
    report = p.mock.start(ids=["D1"], minutes=10)
    d1, deadline = Path(report.tasks[0].file), report.session.deadline
    wrong, right = solution(bank, "D1", "upcast.py"), solution(bank, "D1")
    script = [lambda: save(d1, wrong, clock), lambda: None, lambda: save(d1, right, clock),
              lambda: setattr(clock, "now", deadline + 5),
              lambda: save(d1, "def double(x):\n    return x * 3\n", clock)]  # after the deadline: never seen
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        clock.now += seconds
        script.pop(0)() if script else setattr(clock, "now", deadline + 60)

    assert watch(p.store, report.session.id, clock, sleep) == "deadline"
    sources = [s.source for s in p.store.snapshots(p.store.session_attempts(report.session.id)[0].id)]
    assert sources[1:] == [wrong, right] and "NotImplementedError" in sources[0]  # the stub, then each change
    assert naps[0] == 0.5
    os.utime(d1, (deadline - 100, deadline - 100))  # `touch -d`: an old mtime does not make the late edit count
    final = fresh(p, clock).mock.finish()
    sub = p.store.submissions(exercise="D1")[-1]
    assert final.tasks[0].score == 100 and sub.source == right, (sub.state, sub.error)


def test_watcher_ends_with_a_finished_session_and_reports_its_health(env):
    from runner.watcher import health, watch

    p, clock, _ = env
    report = p.mock.start(ids=["D1"], minutes=10)
    assert p.mock.status().watcher == "missing"  # started without one (as when it cannot run)
    assert watch(p.store, report.session.id, clock, lambda s: fresh(p, clock).mock.finish()) == "finished"
    assert health(p.store, report.session.id, clock.now) == "ended"


def test_watcher_process_lives_and_ends_with_the_session(practice_env, fixture_bank, shifted_clock):
    """The real detached process started by `mock start`: it snapshots saves, ignores mtimes, and exits."""
    from runner.store import Store

    runner = CliRunner()
    assert runner.invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "1"]).exit_code == 0
    store = Store(practice_env / "home" / "practice.db")
    pid = json.loads(store.get_meta("watcher:1"))["pid"]
    d1 = practice_env / "ws" / "mock-1" / "D1" / "double.py"
    right = solution(fixture_bank, "D1")
    d1.write_text(right)
    wait_for(lambda: any(s.source == right for s in store.snapshots(1)))
    assert "The file watcher is not running" not in runner.invoke(app, ["mock", "status"]).stdout
    assert json.loads(runner.invoke(app, ["mock", "status", "--json"]).stdout)["watcher"] == "running"
    shifted_clock.advance(61)  # the deadline passes: the watcher ends by itself
    wait_for(lambda: json.loads(store.get_meta("watcher:1"))["state"] == "deadline")
    wait_for(lambda: not alive(pid))
    d1.write_text("def double(x):\n    return x * 3\n")  # written after the deadline, dated before it
    os.utime(d1, (time.time() - 3600, time.time() - 3600))
    report = json.loads(runner.invoke(app, ["mock", "finish", "--json"]).stdout)
    assert report["tasks"][0]["score"] == 100
    assert runner.invoke(app, ["mock", "start", "--ids", "D1", "--minutes", "5"]).exit_code == 0
    pid = json.loads(store.get_meta("watcher:2"))["pid"]
    assert alive(pid)
    assert runner.invoke(app, ["mock", "finish"]).exit_code == 0  # finishing ends it too
    wait_for(lambda: json.loads(store.get_meta("watcher:2"))["state"] == "finished")
    wait_for(lambda: not alive(pid))


def wait_for(condition, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running (a zombie left for its parent to reap counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
