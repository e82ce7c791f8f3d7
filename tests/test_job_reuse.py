"""One job process grades consecutive submissions, and nothing a check keeps reaches the next one.

Each bank below has one check that keeps state in one way, and one check that fails with the pid of the process
that ran it. A submission graded after another by the same job process reports the same pid; one graded by a fresh
fork, a different one.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from runner.bank import Bank
from runner.grading.client import GraderPool

HEADER = """\
import functools
import os

import numpy as np
import pytest


def test_zz_pid(solution):
    \"\"\"says which process graded it\"\"\"
    assert False, f"graded by {os.getpid()}"
"""

STASH_WAY = """
    KEY = pytest.StashKey[dict]()

    @pytest.fixture
    def remembered_fixture(request):
        return {stash}.setdefault(KEY, {{}})

    def remembered(solution, cache):
        if "r" not in cache:
            cache["r"] = solution.double(np.ones(3))
        return cache["r"]
    """

# Each way a check could keep state; `remembered(solution)` must give the first submission's result afterwards.
WAYS = {
    "module dict": """
        _CACHE = {}

        def remembered(solution):
            if "r" not in _CACHE:
                _CACHE["r"] = solution.double(np.ones(3))
            return _CACHE["r"]
        """,
    "pytest stash": STASH_WAY.format(stash="request.config.stash"),
    "node stash": STASH_WAY.format(stash="request.node.parent.stash"),
    "mutable default": """
        def remembered(solution, _box=[]):
            if not _box:
                _box.append(solution.double(np.ones(3)))
            return _box[0]
        """,
    "class attribute": """
        class Memo:
            value = None

        def remembered(solution):
            if Memo.value is None:
                Memo.value = solution.double(np.ones(3))
            return Memo.value
        """,
    "closure": """
        def _make():
            box = {}

            def remember(solution):
                if "r" not in box:
                    box["r"] = solution.double(np.ones(3))
                return box["r"]
            return remember

        remembered = _make()
        """,
    "lru_cache": """
        @functools.lru_cache(maxsize=None)
        def _first(n):
            return [None]

        def remembered(solution):
            box = _first(3)
            if box[0] is None:
                box[0] = solution.double(np.ones(3))
            return box[0]
        """,
    "support library": """
        from memo_lib import remembered
        """,
}

CHECK = """

def test_remembered(solution{extra}):
    \"\"\"uses what it remembered\"\"\"
    assert np.allclose(remembered(solution{args}), 2.0), "not doubled"
"""

OTHER_STATE = {
    "global numpy generator": "np.random.normal()",
    "Python's generator": "import random; random.random()",
    "environment": "os.environ['PRACTICE_TEST_LEFT'] = '1'",
    "numpy error settings": "np.seterr(all='ignore')",
}


def make_bank(tmp_path: Path, fixture_bank: Path, body: str) -> Path:
    bank = tmp_path / "bank"
    shutil.copytree(fixture_bank, bank)
    tests = bank / "hidden_tests" / "D1"
    for old in tests.glob("*.py"):
        old.unlink()
    (tests / "test_d1.py").write_text(body)
    support = bank / "exercises" / "_support"
    support.mkdir(exist_ok=True)
    (support / "memo_lib.py").write_text("import numpy as np\n\n" + textwrap.dedent(WAYS["module dict"]))
    return bank


def grade_in_turn(bank: Path, tmp_path: Path, kinds: list[str]) -> list:
    """Grade the files in this order on one worker (so one job process, where it may be reused)."""
    right = tmp_path / "right.py"
    right.write_text("def double(x):\n    return x * 2\n")
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def double(x):\n    return x * 3\n")
    files = []
    inplace = tmp_path / "inplace.py"
    inplace.write_text("def double(x):\n    x *= 2\n    return x\n")
    sources = {"right": right, "wrong": wrong, "inplace": inplace}
    for n, kind in enumerate(kinds):
        path = tmp_path / "class" / f"s{n}" / "double.py"
        path.parent.mkdir(parents=True)
        shutil.copy(sources[kind], path)
        files.append(path)
    with GraderPool(1, env={"PRACTICE_ISOLATION": "process"}) as pool:
        results = dict(pool.run(Bank(bank).get("D1"), files))
    return [results[path] for path in files]


def pid_of(result) -> str:
    (check,) = [t for t in result.tests if t.name == "test_zz_pid"]
    assert check.message.startswith("graded by "), check.message
    return check.message


def outcome(result, name: str) -> str:
    return next(t.outcome.value for t in result.tests if t.name == name)


def test_a_stateless_bank_is_graded_by_one_job_process(tmp_path, fixture_bank):
    stateless = "\n\ndef remembered(solution):\n    return solution.double(np.ones(3))\n"
    bank = make_bank(tmp_path, fixture_bank, HEADER + stateless + CHECK.format(extra="", args=""))
    results = grade_in_turn(bank, tmp_path, ["right", "wrong", "right", "wrong"])
    assert len({pid_of(r) for r in results}) == 1
    assert [outcome(r, "test_remembered") for r in results] == ["passed", "failed", "passed", "failed"]


def test_what_the_sandbox_recorded_for_one_submission_is_gone_for_the_next(tmp_path, fixture_bank):
    """runner.checks records which of a check's arrays learner code changed; the record starts empty each time."""
    check = ("\n\nfrom runner.checks import assert_not_modified\n\n\ndef test_leaves_x(solution):\n"
             "    \"\"\"leaves x alone\"\"\"\n    x = np.ones(3)\n    solution.double(x)\n"
             "    assert_not_modified(x, 'x')\n")
    bank = make_bank(tmp_path, fixture_bank, HEADER + check)
    results = grade_in_turn(bank, tmp_path, ["inplace", "right", "inplace", "right"])
    assert [outcome(r, "test_leaves_x") for r in results] == ["failed", "passed", "failed", "passed"]
    assert len({pid_of(r) for r in results}) == 1  # and the record kept nothing that would end the job process


@pytest.mark.parametrize("way", sorted(WAYS))
def test_state_a_check_keeps_never_reaches_the_next_submission(tmp_path, fixture_bank, way):
    code = textwrap.dedent(WAYS[way])
    extra, args = (", remembered_fixture", ", remembered_fixture") if "stash" in way else ("", "")
    bank = make_bank(tmp_path, fixture_bank, HEADER + code + CHECK.format(extra=extra, args=args))
    results = grade_in_turn(bank, tmp_path, ["right", "wrong", "wrong"])
    # Kept, it would have passed the wrong ones with the right one's result.
    assert [outcome(r, "test_remembered") for r in results] == ["passed", "failed", "failed"], way
    assert pid_of(results[0]) != pid_of(results[1]) != pid_of(results[2])


@pytest.mark.parametrize("what", sorted(OTHER_STATE))
def test_other_global_state_ends_the_job_process(tmp_path, fixture_bank, what):
    check = f"\n\ndef test_changes_it(solution):\n    \"\"\"changes it\"\"\"\n    {OTHER_STATE[what]}\n"
    bank = make_bank(tmp_path, fixture_bank, HEADER + check)
    first, second = grade_in_turn(bank, tmp_path, ["right", "right"])
    assert pid_of(first) != pid_of(second)


def test_validate_names_the_state_the_checks_keep(tmp_path, fixture_bank):
    from runner.validate import validate

    bank = make_bank(tmp_path, fixture_bank, (fixture_bank / "hidden_tests/D1/test_d1.py").read_text()
                     + textwrap.dedent(WAYS["module dict"]) + CHECK.format(extra="", args=""))
    (report,), _ = validate(Bank(bank), ["D1"], jobs=1, write_timing=False)
    (problem,) = [p for p in report.problems if "keep state" in p.message]
    assert "test_d1._CACHE" in problem.message and "fixture" in problem.message
    assert problem.path == bank / "hidden_tests" / "D1"


def test_checks_skipped_at_the_run_deadline_end_the_job_process(tmp_path, fixture_bank):
    """A module fixture the skipped checks still needed is torn down, and the next submission gets a fresh fork."""
    checks = "".join(f"\n\ndef test_slow_{n}(solution, shared):\n    \"\"\"takes a while\"\"\"\n"
                     f"    import time\n    time.sleep(0.4)\n" for n in range(6))
    fixture = "\n\n@pytest.fixture(scope='module')\ndef shared():\n    return {}\n"
    bank = make_bank(tmp_path, fixture_bank, HEADER + fixture + checks)
    yaml_path = bank / "exercises" / "D1" / "exercise.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("  run_seconds: 10", "  run_seconds: 1"))
    first, second = grade_in_turn(bank, tmp_path, ["right", "right"])
    for result in (first, second):
        outcomes = [t.outcome.value for t in result.tests]
        assert "passed" in outcomes and "timeout" in outcomes, outcomes
    assert pid_of(first) != pid_of(second)


@pytest.mark.parametrize("sig", ["SIGSTOP", "SIGKILL"])
def test_a_job_process_stopped_or_killed_between_submissions_is_replaced(tmp_path, fixture_bank, sig):
    """Where learner code may signal the grader (the process layer), what it does to the job process after that
    process answered must not reach the next submission."""
    import os
    import signal
    import time

    from runner.sandbox.reaper import descendants

    bank = make_bank(tmp_path, fixture_bank, (fixture_bank / "hidden_tests/D1/test_d1.py").read_text())
    right = tmp_path / "double.py"
    right.write_text("def double(x):\n    return x * 2\n")
    exercise = Bank(bank).get("D1")
    with GraderPool(1, env={"PRACTICE_ISOLATION": "process"}) as pool:
        assert [r.score for _, r in pool.run(exercise, [right])] == [100]
        jobs = [pid for pid in descendants(pool.workers[0].proc.pid)
                if open(f"/proc/{pid}/comm").read().strip() == "practice-job"]
        assert len(jobs) == 1  # idle, waiting for the next submission
        os.kill(jobs[0], getattr(signal, sig))
        start = time.monotonic()
        assert [r.score for _, r in pool.run(exercise, [right])] == [100]
        assert time.monotonic() - start < 5  # not the run deadline (10 s) of a job process that never answers
