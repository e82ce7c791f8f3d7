"""The whole bank, through the real sandbox: reference 100, stub 0, every known-wrong solution rejected."""

from __future__ import annotations

import re

import pytest

from runner.bank import Bank
from runner.config import REPO_ROOT
from runner.results import Outcome

BANK = Bank(REPO_ROOT)


@pytest.fixture(scope="module")
def pool():
    from runner.grading.client import GraderPool

    with GraderPool(2) as grader:
        yield grader


def _failures(result) -> str:
    if result.error:
        return result.error
    failed = [t for t in result.tests if t.outcome is not Outcome.PASSED]
    return "; ".join(f"{t.name}: {t.outcome.value} {t.message}" for t in failed)


@pytest.mark.parametrize("exercise_id", BANK.ids)
def test_exercise_is_sound(pool, exercise_id):
    exercise = BANK.get(exercise_id)
    wrongs = exercise.wrong_solutions()
    assert wrongs, f"{exercise_id}: add known-wrong solutions under {exercise.wrong_dir}"
    paths = [exercise.reference_path, exercise.stub_path, *wrongs]
    results = dict(pool.run(exercise, paths))
    reference = results[exercise.reference_path]
    assert reference.score == 100, f"{exercise_id} reference scored {reference.score}: {_failures(reference)}"
    stub = results[exercise.stub_path]
    assert stub.score == 0, f"{exercise_id} stub scored {stub.score}"
    for wrong in wrongs:
        result = results[wrong]
        assert result.score < 100, f"{exercise_id}: known-wrong {wrong.name} passed every hidden check"


@pytest.mark.parametrize("exercise_id", BANK.ids)
def test_exercise_is_complete(exercise_id):
    exercise = BANK.get(exercise_id)
    assert "TODO" in exercise.stub_path.read_text(), f"{exercise.stub_path}: mark what to write with TODO"
    assert list(exercise.tests_dir.glob("test_*.py")), f"{exercise_id}: no hidden tests"
    assert exercise.examples, f"{exercise_id}: add visible examples"
    if exercise.questions:
        assert exercise.answers_path.is_file(), f"{exercise_id}: write model answers in {exercise.answers_path}"
        answers = exercise.answers_path.read_text()
        for question in exercise.questions:
            assert re.search(rf"^##\s+{re.escape(question.id)}\b", answers, re.M), (
                f"{exercise.answers_path}: no `## {question.id}` model answer")
