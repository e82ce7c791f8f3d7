from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def fixture_bank() -> Path:
    """A one-exercise bank (D1: double it) for platform tests."""
    return HERE / "fixtures" / "bank"


@pytest.fixture
def practice_env(tmp_path, monkeypatch, fixture_bank):
    """Point PRACTICE_HOME, PRACTICE_WORKSPACE and PRACTICE_BANK at fresh places."""
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PRACTICE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("PRACTICE_BANK", str(fixture_bank))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


class ShiftedClock:
    """Moves the clock of `practice` commands (and of the processes they start) on, without sleeping."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0.0
        path.write_text("0")

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.path.write_text(repr(self.offset))


@pytest.fixture
def shifted_clock(tmp_path, monkeypatch) -> ShiftedClock:
    """PRACTICE_TEST_CLOCK pointed at an offset file: the wall clock plus what the test advances."""
    clock = ShiftedClock(tmp_path / "clock-offset")
    monkeypatch.setenv("PRACTICE_TEST_CLOCK", str(clock.path))
    return clock


class ProcessWatch:
    """Run `practice` commands and find the processes they leave behind.

    The test process adopts orphans (a subreaper), so whatever a run starts stays in this process's tree, under
    any isolation layer; a process in that tree whose environment cannot be read fails the check instead of
    passing it unchecked (learner code may run as another user)."""

    def __init__(self):
        import threading

        from runner.sandbox.reaper import become_subreaper

        self.adopting = become_subreaper()
        self.running: set[int] = set()
        self.lock = threading.Lock()

    def run(self, args: list[str], env: dict, timeout: float = 60):
        import subprocess

        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        with self.lock:
            self.running.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        finally:
            with self.lock:
                self.running.discard(proc.pid)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)

    def left_behind(self, marker: str) -> list[int]:
        """Live processes in this test process's tree, outside runs still in progress, whose environment holds
        `marker`."""
        import os

        from runner.sandbox.reaper import descendants

        with self.lock:
            running = set(self.running)
        busy = set(running)
        for pid in running:
            busy.update(descendants(pid))
        found = []
        for pid in descendants(os.getpid()):
            if pid in busy:
                continue
            try:
                with open(f"/proc/{pid}/stat", "rb") as fh:
                    if fh.read().rsplit(b")", 1)[1].split()[0] == b"Z":  # ended; an adopted orphan: reap it
                        os.waitpid(pid, os.WNOHANG)
                        continue
                with open(f"/proc/{pid}/environ", "rb") as fh:
                    environ = fh.read()
            except (FileNotFoundError, ProcessLookupError, ChildProcessError):
                continue  # it ended meanwhile
            except OSError as exc:
                raise AssertionError(f"cannot tell whether process {pid} was left behind: {exc}") from None
            if marker.encode() in environ:
                found.append(pid)
        return found


@pytest.fixture(scope="module")
def process_watch():
    """Run commands and check for leftover processes (Linux /proc). The test process adopts orphans only
    while a module uses it: elsewhere an orphaned grader must not find the test process as its parent."""
    import sys

    from runner.sandbox.reaper import become_subreaper

    if not sys.platform.startswith("linux"):
        pytest.skip("process clean-up checks read /proc")
    yield ProcessWatch()
    become_subreaper(False)
