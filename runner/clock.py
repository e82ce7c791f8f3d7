"""One clock: the time box an attempt is judged by, and the process's source of `now`.

During a mock session the session's deadline is the clock for every task in it; otherwise the exercise's own
time limit is. Every surface (submit, status, the scorecard, the live view, the mock report) asks a `Timebox`,
never compares times itself, and always passes `now` in, so one rule holds everywhere: time is up strictly after
the deadline, and a submission at the deadline itself still counts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

TEST_CLOCK_ENV = "PRACTICE_TEST_CLOCK"  # for tests only: a file holding seconds to add to the wall clock
UNDER_TEST_ENV = "PYTEST_CURRENT_TEST"  # set by pytest while a test runs (and inherited by what it starts)


@dataclass(frozen=True)
class Timebox:
    """A start, a length and where they come from: "exercise" (its own limit) or "session" (a mock session)."""

    started_at: float
    limit_s: float
    source: str = "exercise"

    @property
    def deadline(self) -> float:
        return self.started_at + self.limit_s

    @property
    def mock(self) -> bool:
        return self.source == "session"

    def elapsed(self, now: float) -> float:
        return max(0.0, now - self.started_at)

    def remaining(self, now: float) -> float:
        """Seconds left; negative once over."""
        return self.deadline - now

    def over(self, now: float) -> bool:
        """True strictly after the deadline."""
        return now > self.deadline

    def counts(self, now: float) -> bool:
        """Whether work handed in at `now` counts: up to and including the deadline."""
        return not self.over(now)


def attempt_timebox(attempt, session=None) -> Timebox:
    """The clock an attempt is judged by: its mock session's when it belongs to one, else its own limit."""
    if session is not None and attempt.session_id is not None and attempt.session_id == session.id:
        return session_timebox(session)
    return Timebox(attempt.started_at, attempt.time_limit_s, "exercise")


def session_timebox(session) -> Timebox:
    return Timebox(session.started_at, session.deadline - session.started_at, "session")


def clock_from_env(environ=os.environ) -> Callable[[], float]:
    """The wall clock, or for tests the wall clock plus the offset in the file named by PRACTICE_TEST_CLOCK.

    The offset file lets a test move time on, even inside a running live view or watcher, without sleeping.
    It is honoured only under pytest, so a mock session's clock cannot be moved by accident.
    """
    path = environ.get(TEST_CLOCK_ENV)
    if not path or not environ.get(UNDER_TEST_ENV):
        return time.time

    def shifted() -> float:
        try:
            with open(path, encoding="utf-8") as fh:
                offset = float(fh.read().strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return time.time() + offset

    return shifted
