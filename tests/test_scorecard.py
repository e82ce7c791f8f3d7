"""The Rich scorecard, rendered to an 80-column console and compared with golden text."""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console

from runner.render import render_scorecard
from runner.results import GradeResult, Outcome, Status, TestResult

GOLDEN = Path(__file__).parent / "golden"

RESULT = GradeResult(
    exercise="1A",
    status=Status.GRADED,
    tests=(
        TestResult("test_sums", "each slice along the axis sums to 1", Outcome.PASSED, 2, 2),
        TestResult("test_big", "handles logits of magnitude 1e4 without overflow", Outcome.FAILED, 0, 3,
                   "result contains NaN in 4 of 12 entries where a number is expected"),
        TestResult("test_slow", "finishes on a 10^6-long axis", Outcome.TIMEOUT, 0, 1,
                   "softmax() did not finish within the 10 s time limit"),
        TestResult("test_mask", "a slice of only -inf gives zeros", Outcome.ERROR, 0, 2,
                   "your code raised ZeroDivisionError: division by zero (line 7, in softmax)"),
    ),
    elapsed_s=1000.0,
    time_limit_s=900.0,
    hints_used=1,
)


def render(result, **kwargs) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None, legacy_windows=False)
    render_scorecard(console, result, "Numerically stable softmax", **kwargs)
    return console.file.getvalue()


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


def test_scorecard_golden():
    check_golden("scorecard.txt", render(RESULT))


def test_scorecard_reveal_golden():
    check_golden("scorecard_reveal.txt", render(RESULT, reveal=True))


def test_error_scorecard_golden():
    result = GradeResult(exercise="1A", status=Status.ERROR, error="your file could not be imported: SyntaxError "
                         "at line 3: invalid syntax", elapsed_s=61.0, time_limit_s=900.0)
    check_golden("scorecard_error.txt", render(result))


def test_score_and_overtime():
    assert RESULT.score == 25.0 and RESULT.overtime and RESULT.passed == 1 and RESULT.max_points == 8
