"""The whole bank, proved through the real sandbox exactly as `practice validate` does: schema, files, reference
100, stub 0, every known-wrong solution rejected, deterministic checks, passing examples, timing, no orphans."""

from __future__ import annotations

import pytest

from runner.bank import Bank
from runner.config import REPO_ROOT
from runner.schema import load_schema
from runner.validate import DETERMINISM_SEED, ExerciseReport, graded_checks, orphans, static_checks

BANK = Bank(REPO_ROOT)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pools():
    from runner.grading.client import GraderPool

    with GraderPool(2) as pool, GraderPool(1, env={"PYTHONHASHSEED": DETERMINISM_SEED}) as second:
        yield pool, second


@pytest.mark.parametrize("exercise_id", BANK.ids)
def test_exercise_is_sound(pools, exercise_id):
    report = ExerciseReport(exercise_id)
    exercise = static_checks(BANK, exercise_id, report, load_schema(BANK.root))
    if exercise is not None:
        graded_checks(exercise, report, *pools)
    assert report.ok, "\n".join(p.line(BANK.root) for p in report.problems)


def test_bank_has_no_orphans():
    assert not orphans(BANK), "\n".join(p.line(BANK.root) for p in orphans(BANK))


def test_every_question_part_and_quick_item_is_present():
    ids = set(BANK.ids)
    expected = {f"{q}{p}" for q in "1234" for p in "ABCD"} | {f"E{i}" for i in range(1, 21)}
    present = expected & ids
    assert {"1A", "1B", "1C", "1D", "2A", "2B", "2C", "2D", "3A", "3B", "4A", "4D"} <= present
    for exercise_id in present:
        if exercise_id.startswith("E"):
            assert 5 <= BANK.get(exercise_id).minutes <= 15, f"{exercise_id}: quick items take 5-15 minutes"
