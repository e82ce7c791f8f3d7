"""Mutation analysis: the operators on a sample function (golden), determinism and stable ids, the equivalents
file, and one exercise of the real bank graded end to end through the sandbox.

Set UPDATE_GOLDEN=1 to rewrite tests/golden/mutants_sample.txt after an intended change of the operators.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from runner import mutants
from runner.cli import app

GOLDEN = Path(__file__).parent / "golden" / "mutants_sample.txt"
REPO = Path(__file__).resolve().parents[1]

SAMPLE = '''"""A sample module: its docstring is never mutated."""

import numpy as np


def attend(Q, K, V, d_head, d_model, mask=None):
    """Attention of one head; the docstring is never mutated."""
    if Q.ndim != 3:
        raise ValueError(f"bad ndim {Q.ndim}, want 3")
    S = Q @ K.T / np.sqrt(d_head)  # scores
    S = S - S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(axis=-1, keepdims=True)
    for i in range(3):
        if i >= 2 and mask is not None:
            break
    out = np.einsum("ij,jd->id", A, V)
    return out[:, 1:d_model] * 0.5
'''


def _listing(found) -> str:
    return "".join(f"{m.id} {m.operator:<11} {m.function}:{m.line}  {m.before}  =>  {m.after}\n" for m in found)


def _afters(found, operator) -> set[str]:
    return {m.after for m in found if m.operator == operator}


def test_operators_on_a_sample_match_the_golden_listing():
    """Every mutant of the sample, one line each: id, operator, place, the changed line before and after."""
    listing = _listing(mutants.generate(SAMPLE))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(listing, encoding="utf-8")
    assert listing == GOLDEN.read_text(encoding="utf-8")


def test_operators_make_the_mistakes_of_numpy_code():
    found = mutants.generate(SAMPLE)
    assert "S = Q @ K / np.sqrt(d_head) # scores" in _afters(found, "transpose")  # .T dropped
    assert 'out = np.einsum("ij,jd->di", A, V)' in _afters(found, "transpose")  # einsum output transposed
    assert "S = Q @ K.T / np.sqrt(d_model) # scores" in _afters(found, "name")  # d_head -> d_model
    assert "S = S - S.max(axis=-1)" in _afters(found, "keyword")  # keepdims=True off
    assert {"S = S - S.max(axis=-2, keepdims=True)", "S = S - S.max(axis=0, keepdims=True)"} <= \
        _afters(found, "axis")
    assert "S = S" in _afters(found, "max-shift")
    assert "if i > 2 and mask is not None:" in _afters(found, "comparison")  # >= -> >
    assert "if i >= 2 and mask is None:" in _afters(found, "comparison")
    assert "if i >= 2 or mask is not None:" in _afters(found, "boolean")
    assert {"return out[:, 1:d_model + 1] * 0.5", "return out[:, 1:d_model - 1] * 0.5"} <= _afters(found, "slice")
    assert 'out = np.einsum("ij,jd->id", V, A)' in _afters(found, "swap-args")
    assert "S = K.T @ Q / np.sqrt(d_head) # scores" in _afters(found, "swap-args")  # operands of @
    assert {"S = Q * K.T / np.sqrt(d_head) # scores", "S = Q @ K.T * np.sqrt(d_head) # scores"} <= \
        _afters(found, "arithmetic")
    assert {"return out[:, 1:d_model] * 1.5", "return out[:, 2:d_model] * 0.5"} <= _afters(found, "number")
    assert {"pass", "return None"} & (_afters(found, "statement") | _afters(found, "return")) == {"pass",
                                                                                                  "return None"}
    assert "A = A.sum(axis=-1, keepdims=True)" in _afters(found, "augassign")
    assert {"for i in []:", "continue"} <= _afters(found, "loop")
    assert "if not i >= 2 and mask is not None:" not in _afters(found, "condition")  # the whole test is negated
    assert "if not (i >= 2 and mask is not None):" in _afters(found, "condition")
    assert all("ndim" not in m.after or m.operator in ("statement", "condition", "comparison", "number")
               for m in found)  # the raise's message is left alone
    assert not any("docstring" in m.before for m in found)


def test_every_mutant_parses_differs_and_diffs_against_the_reference():
    found = mutants.generate(SAMPLE)
    assert len({m.source for m in found}) == len(found) and SAMPLE not in {m.source for m in found}
    assert len({m.id for m in found}) == len(found)
    diff = next(m for m in found if m.operator == "transpose").diff(SAMPLE)
    assert diff.startswith("--- reference.py\n+++ mutant ")
    assert "-    S = Q @ K.T / np.sqrt(d_head)  # scores\n+    S = Q @ K / np.sqrt(d_head)  # scores\n" in diff


def test_generation_is_deterministic_across_runs_and_hash_seeds():
    first = _listing(mutants.generate(SAMPLE))
    assert _listing(mutants.generate(SAMPLE)) == first
    code = "import sys, runner.mutants as m; print(''.join(x.id for x in m.generate(sys.stdin.read())))"
    other = subprocess.run([sys.executable, "-c", code], input=SAMPLE, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "987"}, cwd=REPO)
    assert other.stdout.strip() == "".join(m.id for m in mutants.generate(SAMPLE))


def test_ids_survive_unrelated_edits():
    before = {m.id for m in mutants.generate(SAMPLE)}
    edited = SAMPLE.replace("import numpy as np\n", "import numpy as np\n\nSCALE = 2  # a new constant\n\n"
                            "def helper(x):\n    return x + 1\n")
    edited = edited.replace("    A = np.exp(S)\n", "    # exponentiate\n    A = np.exp(S)\n")
    after = {m.id for m in mutants.generate(edited)}
    assert before <= after and len(after) > len(before)


class _FakePool:
    """Grades without a sandbox: a mutant survives when its source contains one of `survive`."""

    def __init__(self, survive: tuple[str, ...]):
        self.survive = survive

    def run(self, exercise, paths):
        for path in paths:
            text = Path(path).read_text()
            alive = path == exercise.reference_path or any(s in text for s in self.survive)
            yield path, SimpleNamespace(score=100.0 if alive else 40.0)


def _exercise(tmp_path) -> SimpleNamespace:
    solutions = tmp_path / "solutions" / "9Z"
    solutions.mkdir(parents=True)
    (solutions / "reference.py").write_text(SAMPLE)
    return SimpleNamespace(id="9Z", stub="attend.py", solutions_dir=solutions,
                           reference_path=solutions / "reference.py")


def test_equivalents_file_suppresses_recorded_survivors_and_flags_stale_entries(tmp_path):
    exercise = _exercise(tmp_path)
    found = mutants.generate(SAMPLE)
    pool = _FakePool(("mask is None", "S.max(axis=-1)"))
    report = mutants.analyse(exercise, pool)
    survivors = {m.id for m in report.survivors}
    assert len(survivors) == 2 and report.killed == len(found) - 2 and not report.ok
    assert report.score == pytest.approx(100 * (len(found) - 2) / len(found))
    assert "mask is None" in report.diffs[min(survivors, key=lambda i: report.diffs[i].count("mask is None") == 0)]
    kept, killed_id = sorted(survivors)[0], next(m.id for m in found if m.id not in survivors)
    mutants.equivalents_path(exercise).write_text(
        f"{kept}: the change does not alter any result\n{killed_id}: wrongly recorded\n"
        "deadbeef: a mutant of an older reference\n")
    again = mutants.analyse(exercise, pool)
    assert [m.id for m in again.survivors] == sorted(survivors - {kept})
    assert again.equivalent == 1 and again.killed == len(found) - 2
    assert again.score == pytest.approx(100 * again.killed / (len(found) - 1))
    assert any(killed_id in s and "killed" in s for s in again.stale)
    assert any("deadbeef" in s and "no such mutant" in s for s in again.stale)
    mutants.equivalents_path(exercise).write_text(f"{kept}: the change does not alter any result\n"
                                                  f"{sorted(survivors)[1]}: also harmless\n")
    clean = mutants.analyse(exercise, pool)
    assert clean.ok and clean.score == 100.0 and clean.equivalent == 2


def test_equivalents_file_needs_a_reason_per_entry(tmp_path):
    path = tmp_path / "equivalent_mutants.yaml"
    path.write_text("abc12345: fine reason\nbcd23456:\n01234567: an all-digit id stays a string\n")
    good, bad = mutants.load_equivalents(path)
    assert good == {"abc12345": "fine reason", "01234567": "an all-digit id stays a string"}
    assert len(bad) == 1 and "bcd23456" in bad[0]
    path.write_text("- a list\n")
    assert mutants.load_equivalents(path)[1]


@pytest.mark.slow
def test_mutants_of_1a_graded_through_the_sandbox(monkeypatch, tmp_path):
    """`practice validate --mutants 1A --json` on the real bank: every mutant killed or recorded equivalent."""
    monkeypatch.setenv("PRACTICE_BANK", str(REPO))
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["validate", "--mutants", "1A", "--json", "--jobs", "2"])
    report = json.loads(result.stdout)["exercises"][0]
    assert report["exercise"] == "1A" and report["mutants"] >= 30
    assert report["score"] == 100.0 and report["survivors"] == [] and report["stale"] == [], result.stdout
    assert report["killed"] + report["equivalent"] == report["mutants"]
    assert result.exit_code == 0


def test_report_renders_score_and_survivor_diffs(tmp_path):
    """The rendered report names the score and shows each new survivor as a diff; JSON carries the same."""
    from rich.console import Console

    from runner import render

    report = mutants.analyse(_exercise(tmp_path), _FakePool(("mask is None",)))
    console = Console(record=True, width=120, color_system=None)
    render.render_mutants(console, report)
    text = console.export_text()
    survivor = report.survivors[0]
    assert f"{report.mutants} mutants · {report.killed} killed · 0 equivalent" in text
    assert f"survivor {survivor.id}: comparison in attend, line 15" in text
    assert "-        if i >= 2 and mask is not None:" in text and "+        if i >= 2 and mask is None:" in text
    data = report.to_dict()
    assert data["survivors"][0]["id"] == survivor.id and data["survivors"][0]["diff"].startswith("--- reference.py")
    assert data["score"] == round(100 * report.killed / report.mutants, 2)


def test_recorded_equivalent_killed_only_by_time_limits_stays_equivalent(tmp_path):
    """A recorded equivalent that only times out (slower, same result) is not reported stale; other kills are."""
    from runner.results import Outcome

    exercise = _exercise(tmp_path)
    found = mutants.generate(SAMPLE)
    slow, wrong = found[0].id, found[1].id
    mutants.equivalents_path(exercise).write_text(f"{slow}: slower but the same\n{wrong}: wrongly recorded\n")

    class TimingPool:
        def run(self, exercise, paths):
            for path in paths:
                outcome = Outcome.TIMEOUT if slow in str(path) else Outcome.FAILED
                alive = path == exercise.reference_path
                yield path, SimpleNamespace(score=100.0 if alive else 50.0, error=None,
                                            tests=(SimpleNamespace(outcome=Outcome.PASSED),
                                                   SimpleNamespace(outcome=outcome)))

    report = mutants.analyse(exercise, TimingPool())
    assert report.equivalent == 1 and report.killed == len(found) - 1
    assert len(report.stale) == 1 and wrong in report.stale[0]
