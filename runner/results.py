"""Grading results as data: the scorecard and `--json` both render these."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import Enum


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class Status(str, Enum):
    GRADED = "graded"
    ERROR = "error"


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    description: str
    outcome: Outcome
    points: float
    max_points: float
    message: str = ""
    seconds: float = field(default=0.0, compare=False)  # time the check took (batch JUnit); not in to_dict
    detail: dict | None = None  # a counterexample (runner/counterexamples.py), only when asked for with --reveal

    def to_dict(self) -> dict:
        data = {"name": self.name, "description": self.description, "outcome": self.outcome.value,
                "points": self.points, "max_points": self.max_points, "message": self.message}
        if self.detail is not None:
            data["detail"] = copy.deepcopy(self.detail)  # as asdict gave it: the caller's to change
        return data


@dataclass(frozen=True)
class GradeResult:
    exercise: str
    status: Status
    tests: tuple[TestResult, ...] = ()
    error: str | None = None
    elapsed_s: float | None = None
    time_limit_s: float | None = None
    hints_used: int = 0
    output: str = ""  # what learner code printed (capped)
    constraints: str = ""  # the import rule enforced, as shown on the scorecard
    duration_s: float = 0.0  # how long grading took
    counted: bool = True  # False: a mock-session submission after the deadline
    timing: dict | None = field(default=None, compare=False)  # what learner calls cost (LearnerHost.timing)
    clock: str = "exercise"  # what elapsed_s/time_limit_s measure: "exercise" (its limit) or "session" (a mock)
    isolation: str = ""  # the sandbox layer learner code ran under (runner/sandbox/layers.py)
    bank_problem: bool = field(default=False, compare=False)  # the bank, not the file, could not be graded
    kept_state: tuple[str, ...] = field(default=(), compare=False)  # what the checks left changed (stateguard.py)

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_points(self) -> float:
        return sum(t.max_points for t in self.tests)

    @property
    def passed(self) -> int:
        return sum(t.outcome is Outcome.PASSED for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def score(self) -> float:
        if self.status is not Status.GRADED or not self.max_points:
            return 0.0
        return round(100.0 * self.points / self.max_points, 1)

    @property
    def overtime(self) -> bool:
        """Handed in after the time box's end (in a mock session: exactly when it does not count)."""
        from runner.clock import Timebox

        if self.elapsed_s is None or not self.time_limit_s:
            return False
        return Timebox(0.0, self.time_limit_s).over(self.elapsed_s)

    def to_dict(self) -> dict:
        """The `submit --json` object."""
        return {
            "exercise": self.exercise,
            "status": self.status.value,
            "score": self.score,
            "points": self.points,
            "max_points": self.max_points,
            "passed": self.passed,
            "total": self.total,
            "elapsed_s": None if self.elapsed_s is None else round(self.elapsed_s, 1),
            "time_limit_s": self.time_limit_s,
            "overtime": self.overtime,
            "hints_used": self.hints_used,
            "counted": self.counted,
            "clock": self.clock,
            "isolation": self.isolation,
            "error": self.error,
            "tests": [t.to_dict() for t in self.tests],
        }


@dataclass(frozen=True)
class ExampleResult:
    call: str
    passed: bool
    expected: str = ""
    got: str = ""
    message: str = ""
    where: str = ""  # where got and expected differ (indices, first differing entries)


@dataclass(frozen=True)
class PlotData:
    title: str
    kind: str
    xlabel: str
    ylabel: str
    x: tuple[float, ...] = ()
    series: dict = field(default_factory=dict)  # label -> tuple of y values (line)
    grid: tuple[tuple[float, ...], ...] = ()  # rows (heatmap)
    error: str = ""


@dataclass(frozen=True)
class RunResult:
    """`practice run`: the visible examples, what the code printed, and any plots."""

    exercise: str
    status: Status
    examples: tuple[ExampleResult, ...] = ()
    plots: tuple[PlotData, ...] = ()
    output: str = ""
    error: str | None = None

    @property
    def passed(self) -> int:
        return sum(e.passed for e in self.examples)
