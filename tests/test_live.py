"""The live view, driven for real in a pseudo-terminal: keys typed, a file saved, the screen read."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

pexpect = pytest.importorskip("pexpect")
FRAME = re.compile(r"\r(?:\x1b\[2K\x1b\[1A)+\x1b\[2K")  # Rich Live going back up to redraw
LEGEND = "[r]un examples  [s]ubmit  [h]int  [c]ancel run  [q]uit"
STYLE = r"(?:\x1b\[[0-9;]*m)*"  # bold and dim stay on under NO_COLOR
COUNTDOWN = rf"(\d+:\d\d){STYLE} left of"


def pty_env(practice_env, bank) -> dict:
    return {**os.environ, "NO_COLOR": "1", "PRACTICE_HOME": str(practice_env / "home"),
            "PRACTICE_WORKSPACE": str(practice_env / "ws"), "PRACTICE_BANK": str(bank)}


def patient_bank(fixture_bank, tmp_path):
    """The fixture bank with generous limits, so a hanging file keeps a run going until it is cancelled."""
    bank = tmp_path / "bank"
    shutil.copytree(fixture_bank, bank)
    yaml = bank / "exercises/D1/exercise.yaml"
    yaml.write_text(yaml.read_text().replace("call_seconds: 2", "call_seconds: 120")
                    .replace("run_seconds: 10", "run_seconds: 180"))
    return bank


def running_for(child, label: str, seconds: int) -> None:
    """Wait until the screen says `label` has been running for at least `seconds` (a busy machine may skip one)."""
    while True:
        child.expect(rf"{label}… (\d+) s")
        if int(child.match.group(1)) >= seconds:
            return


def frames(log: str) -> list[list[str]]:
    """Each screen the live view drew, as rows without styles."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", FRAME.sub("\f", log).replace("\x1b[2K", ""))
    return [[row.rstrip("\r") for row in frame.split("\n")] for frame in plain.split("\f")[1:]]


@pytest.mark.slow
def test_live_view_reruns_examples_on_save_and_takes_keys(practice_env, fixture_bank):
    env = pty_env(practice_env, fixture_bank)
    child = pexpect.spawn(sys.executable, ["-m", "runner", "start", "D1"], env=env, dimensions=(50, 110),
                          encoding="utf-8", timeout=30)
    try:
        child.expect(r"\[q\]uit")
        child.expect("0 of 2 examples pass")
        path = practice_env / "ws" / "D1" / "double.py"
        time.sleep(0.05)
        shutil.copy(fixture_bank / "solutions/D1/reference.py", path)
        os.utime(path, None)
        child.expect("2 of 2 examples pass")
        child.send("h")
        child.expect("Hint 1 of 2")
        child.send("s")
        child.expect(r"Last score: 100/100")
        path.write_text("def double(x)\n")
        child.expect("could not be imported")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0

    from typer.testing import CliRunner

    from runner.cli import app

    runner = CliRunner()
    versions = runner.invoke(app, ["versions", "D1"])
    assert versions.exit_code == 0 and "Saved versions" in versions.stdout
    shown = runner.invoke(app, ["versions", "D1", "--show", "2"])
    assert "return x * 2" in shown.stdout
    restored = runner.invoke(app, ["versions", "D1", "--restore", "2"])
    assert restored.exit_code == 0
    assert "return x * 2" in path.read_text()
    assert any(p.read_text() == "def double(x)\n" for p in path.parent.glob("double.*.old.py"))
    history = json.loads(runner.invoke(app, ["history", "--json"]).stdout)
    assert [h["score"] for h in history["submissions"]] == [100]
    resumed = runner.invoke(app, ["start", "D1"])
    assert "Resumed" in resumed.stdout


def test_live_screen_fits_every_size_and_escapes_bank_text():
    """The screen is built for its size: 80x24 first, never a wrapped or cut row, the keys always last."""
    from rich.console import Console

    from runner.clock import Timebox
    from runner.render import render_live
    from runner.results import ExampleResult, GradeResult, Outcome, RunResult, Status, TestResult

    exercise = SimpleNamespace(id="1A", title="Numerically stable softmax", prompt="Write [bold]softmax[/bold]. " * 40)
    examples = tuple(ExampleResult(f"softmax(np.array([{i}.0, 2.0]))", i % 2 == 0, "[0.1]", "[0.3]") for i in range(9))
    tests = tuple(TestResult(f"t{i}", "d", Outcome.PASSED if i % 3 else Outcome.TIMEOUT, 1, 1) for i in range(12))
    view = SimpleNamespace(exercise=exercise, path=Path("/home/learner/practice-workspace/mock-12/1A/deep/softmax.py"),
                           box=Timebox(0, 900, "session"), now=1000.0, saves=3, keys=LEGEND,
                           examples=RunResult("1A", Status.GRADED, examples=examples),
                           result=GradeResult("1A", Status.GRADED, tests=tests, counted=False),
                           hint="Hint 2 of 3: [red]subtract the max[/red] first. " * 9, message="Cancelled.",
                           running=SimpleNamespace(label="Grading with the hidden checks"), running_s=12,
                           queued_examples=True)
    for width, height in ((80, 24), (60, 14), (120, 40), (100, 20), (40, 8)):
        console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
        console.print(render_live(view, width, height))
        rows = console.file.getvalue().rstrip("\n").split("\n")
        assert len(rows) < height and max(len(r) for r in rows) <= width, (width, height)
        content = [r.strip("│╰╯╭╮─ ") for r in rows if r.strip("│╰╯╭╮─ ")]
        assert content[-1].startswith("[r]un examples") and "TIME IS UP" in rows[1 if height >= 14 else 0]
        assert any("Last score: 100/100" in r and ("late: recorded, not counted" in r or width < 60) for r in rows)
        assert any("Grading with the hidden checks… 12 s" in r for r in rows)
        if height >= 14:
            assert any(r.strip("│ ").startswith("Task: Write [bold]softmax[/bold]") for r in rows)  # escaped
        if (width, height) == (80, 24):
            assert any("Hint 2 of 3: [red]subtract the max[/red]" in r for r in rows)
            assert any("example" in r for r in rows) and not any(r.strip("│ ") == "..." for r in rows)


@pytest.mark.slow
def test_live_view_stays_responsive_during_a_hanging_run_at_80x24(practice_env, fixture_bank, tmp_path):
    """A file that never returns: the countdown keeps ticking, keys answer, a second `s` is refused, `c` cancels."""
    bank = patient_bank(fixture_bank, tmp_path)
    log = io.StringIO()
    child = pexpect.spawn(sys.executable, ["-m", "runner", "start", "D1"], env=pty_env(practice_env, bank),
                          dimensions=(24, 80), encoding="utf-8", timeout=30)
    child.logfile_read = log
    path = practice_env / "ws" / "D1" / "double.py"
    try:
        child.expect("0 of 2 examples pass")
        path.write_text("def double(x):\n    while True:\n        pass\n")
        running_for(child, "Running the visible examples", 1)
        child.send("c")
        child.expect("Cancelled the examples")
        child.send("s")
        child.expect(COUNTDOWN)
        first = child.match.group(1)
        running_for(child, "Grading with the hidden checks", 2)
        child.send("s")  # a second press while grading: refused on screen, never replayed later
        child.expect("Not submitted again: grading is going")
        child.expect(COUNTDOWN)
        assert child.match.group(1) != first  # the countdown kept changing while the run was going
        running_for(child, "Grading with the hidden checks", 3)
        child.send("c")
        child.expect("Cancelled: the submission is kept but does not count")
        shutil.copy(bank / "solutions/D1/reference.py", path)
        child.expect("2 of 2 examples pass")
        child.send("h")
        child.expect("Hint 1 of 2")
        child.send("s")
        child.expect(r"Last score: 100/100")
        child.expect(re.escape(LEGEND))
        mark = len(log.getvalue())
        child.expect(pexpect.TIMEOUT, timeout=2.2)  # idle: only the countdown changes, once a second
        assert 1 <= len(frames(log.getvalue()[mark:])) <= 3
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    drawn = frames(log.getvalue())
    assert len(drawn) >= 8
    for frame in drawn:  # every screen fits 80x24 with the keys on it: nothing cut at the bottom
        rows = [r for r in frame if r.strip()]
        assert len(rows) <= 23 and max(len(r) for r in rows) <= 80
        assert LEGEND in rows[-2] and rows[-1].startswith("╰")
    last = "\n".join(drawn[-1])
    assert "Hint 1 of 2" in last and "Last score: 100/100" in last and "Task: Write" in last and "2 of 2" in last
    from runner.store import Store

    subs = Store(practice_env / "home" / "practice.db").submissions(exercise="D1")
    assert [(s.state, s.score) for s in subs] == [("cancelled", None), ("graded", 100.0)]


@pytest.mark.slow
def test_live_view_of_a_mock_task_shows_the_session_clock_and_time_up(practice_env, fixture_bank, shifted_clock):
    from typer.testing import CliRunner

    from runner.cli import app

    assert CliRunner().invoke(app, ["mock", "start", "--ids", "D1,H1", "--minutes", "30"]).exit_code == 0
    env = {**pty_env(practice_env, fixture_bank), "PRACTICE_TEST_CLOCK": str(shifted_clock.path)}
    shifted_clock.advance(8 * 60)
    child = pexpect.spawn(sys.executable, ["-m", "runner", "start", "D1"], env=env, dimensions=(24, 80),
                          encoding="utf-8", timeout=30)
    try:
        child.expect(r"Mock session: 2[12]:\d\d left of 30:00")
        child.expect(rf"2[12]:\d\d{STYLE} left of 30:00 \(mock\)")
        shutil.copy(fixture_bank / "solutions/D1/reference.py", practice_env / "ws" / "mock-1" / "D1" / "double.py")
        child.expect("2 of 2 examples pass")
        shifted_clock.advance(23 * 60)  # the session's deadline passes while the view is open
        child.expect("TIME IS UP")
        child.expect("Time is up: submissions now are recorded but not counted")
        child.send("s")
        child.expect("Late: recorded, not counted")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    runner = CliRunner()
    report = json.loads(runner.invoke(app, ["mock", "finish", "--json"]).stdout)
    d1 = next(t for t in report["tasks"] if t["exercise"] == "D1")
    assert d1["late_submissions"] == 1 and d1["score"] == 100  # saved by the deadline: graded at it
