"""Grading through the sandbox, checked against golden results.json files beside example submissions.

Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from runner.bank import Bank

HERE = Path(__file__).parent
EXAMPLES = sorted(p.name for p in (HERE / "examples").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def graded(fixture_bank):
    from runner.grading.client import GraderPool

    exercise = Bank(fixture_bank).get("D1")
    paths = [HERE / "examples" / name / "submission.py" for name in EXAMPLES]
    with GraderPool(2) as pool:
        return {path.parent.name: result for path, result in pool.run(exercise, paths)}


@pytest.mark.parametrize("name", EXAMPLES)
def test_matches_golden_results(graded, name):
    golden = HERE / "examples" / name / "results.json"
    actual = graded[name].to_dict()
    assert actual.pop("isolation") in ("namespaces+uid", "namespaces", "uid", "process")  # differs by machine
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, indent=2) + "\n")
    assert actual == json.loads(golden.read_text())


def test_outcomes_cover_every_kind(graded):
    outcomes = {t.outcome.value for r in graded.values() for t in r.tests}
    assert {"passed", "failed", "error", "timeout"} <= outcomes
    assert graded["passing"].score == 100
    assert 0 < graded["partial"].score < 100
    assert graded["stub"].score == 0
    for name in ("syntax_error", "forbidden_import", "missing_function", "exit_at_import"):
        assert graded[name].status.value == "error" and graded[name].score == 0, name


def test_error_reasons_are_one_clear_line(graded):
    assert "SyntaxError at line 1" in graded["syntax_error"].error
    assert "`torch` is not allowed here (constraint: NumPy only)" in graded["forbidden_import"].error
    assert "no function `double`" in graded["missing_function"].error
    assert "SystemExit" in graded["exit_at_import"].error
    for result in graded.values():
        assert result.error is None or "\n" not in result.error


def test_each_worker_and_its_learners_run_on_a_cpu_of_their_own(fixture_bank, tmp_path):
    """With as many workers as CPUs, worker k (with its job and learner processes) runs on the k-th CPU only."""
    from runner.grading.client import GraderPool, worker_cpus

    cpus = sorted(os.sched_getaffinity(0))
    assert worker_cpus(len(cpus) + 1) == [None] * (len(cpus) + 1)  # more workers than CPUs: the kernel places them
    assert worker_cpus(len(cpus)) == cpus
    if len(cpus) != 2:
        assert worker_cpus(2) == [None, None]  # fewer: another run may share this machine, so none is pinned
        pytest.skip("this machine does not have exactly 2 CPUs to pin 2 workers to")
    reports = []
    for i in range(2):
        path = tmp_path / f"s{i}" / "double.py"
        path.parent.mkdir()
        path.write_text("import os\n\n\ndef double(x):\n"
                        "    raise RuntimeError(f'cpus {sorted(os.sched_getaffinity(0))}')\n")
        reports.append(path)
    exercise = Bank(fixture_bank).get("D1")
    with GraderPool(2).start() as pool:
        results = [r for _, r in pool.run(exercise, reports)]
        pinned = sorted(tuple(sorted(os.sched_getaffinity(w.proc.pid))) for w in pool.workers)
    assert pinned == [(cpus[0],), (cpus[1],)]
    seen = {t.message.partition("cpus ")[2].partition("]")[0] + "]" for r in results for t in r.tests
            if "cpus" in t.message}
    assert seen <= {f"[{cpus[0]}]", f"[{cpus[1]}]"} and seen, seen
