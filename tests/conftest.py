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
