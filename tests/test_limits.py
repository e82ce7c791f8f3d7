"""Time limits: derived from the reference's measured cost, counted in CPU time with a wall-clock backstop, and
no more learner calls once one has timed out (a hang costs one call's limit, not one per check)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner import limits
from runner.bank import CALL_FLOOR_S, RUN_FLOOR_S, WALL_FACTOR, Bank, Limits, Timing, load_exercise
from runner.config import REPO_ROOT
from runner.grading.plugin import NOT_RUN
from runner.results import GradeResult, Status

BANK = Bank(REPO_ROOT)


def timing(call_cpu: float | None, call_wall: float = 0.001, run: float = 0.2) -> Timing:
    return Timing(calls=12, slowest_call_s=call_wall, slowest_call_cpu_s=call_cpu, run_s=run)


# ---- deriving limits ------------------------------------------------------------------------------------

def test_a_cheap_reference_gets_the_floors():
    got = Limits.derive(timing(0.0005))
    assert got.call_cpu_seconds == CALL_FLOOR_S == 2.0
    assert got.call_seconds == WALL_FACTOR * got.call_cpu_seconds == 6.0
    assert got.run_seconds == got.call_seconds + RUN_FLOOR_S == 16.0


def test_a_costly_reference_gets_fifty_times_its_slowest_call_and_a_run_deadline_that_fits():
    got = Limits.derive(timing(0.1, call_wall=0.15, run=4.0))
    assert got.call_cpu_seconds == 5.0  # 50 x 0.1 s of CPU time, not the wall time
    assert got.call_seconds == 15.0
    assert got.run_seconds == 15.0 + 40.0  # one call's backstop + 10 x the reference's whole run
    assert Limits.derive(timing(None, call_wall=0.1)).call_cpu_seconds == 5.0  # no CPU figure: wall, an upper bound


def test_exercise_yaml_values_win_and_unmeasured_exercises_keep_the_defaults():
    got = Limits.derive(timing(0.0005), {"call_seconds": 1.0, "run_seconds": 4.0})
    assert (got.call_cpu_seconds, got.call_seconds, got.run_seconds) == (2.0, 1.0, 4.0)
    assert Limits.derive(None) == Limits()
    assert Limits.derive(None, {"memory_mb": 512}).memory_mb == 512


def test_loading_reads_timing_json(tmp_path, fixture_bank):
    bank = tmp_path / "bank"
    shutil.copytree(fixture_bank, bank)
    yaml_path = bank / "exercises/D1/exercise.yaml"
    yaml_path.write_text(yaml_path.read_text().split("limits:")[0])
    assert load_exercise(bank, "D1").limits == Limits()
    (bank / "exercises/D1/timing.json").write_text(json.dumps(timing(0.08).to_dict()))
    got = load_exercise(bank, "D1").limits
    assert (got.call_cpu_seconds, got.call_seconds, got.run_seconds) == (4.0, 12.0, 22.0)
    (bank / "exercises/D1/timing.json").write_text("{not json")
    assert load_exercise(bank, "D1").limits == Limits()


def test_every_bank_exercise_has_a_current_measurement_and_safe_limits():
    for exercise in BANK.all():
        stale = limits.stale_reason(exercise)
        assert stale is None, f"exercises/{exercise.id}/timing.json {stale}: run `practice validate {exercise.id}`"
        got, stored = exercise.limits, Timing.read(limits.timing_path(exercise))
        assert got.call_cpu_seconds >= max(CALL_FLOOR_S, 50 * stored.slowest_call) - 1e-9, exercise.id
        assert got.call_seconds >= WALL_FACTOR * got.call_cpu_seconds, exercise.id
        assert got.run_seconds >= got.call_seconds + RUN_FLOOR_S, exercise.id


# ---- grading under the limits ---------------------------------------------------------------------------

T_YAML = """\
format: 1
id: {id}
title: Twice
topic: limits
difficulty: easy
minutes: 5
stub: twice.py
functions: [twice]
prompt: Write `twice(n)` returning `2 * n`.
limits:
  call_cpu_seconds: 1
  call_seconds: {wall}
  run_seconds: 90
"""

T_TESTS = '''\
def test_one(solution):
    """one"""
    assert solution.twice(1) == 2


def test_two(solution):
    """two"""
    assert solution.twice(2) == 4


def test_no_learner_code():
    """needs no learner code"""
    assert 2 * 3 == 6


def test_three(solution):
    """three"""
    assert solution.twice(3) == 6
'''

STUB = "def twice(n):\n    raise NotImplementedError  # TODO\n"
SUBMISSIONS = {
    "reference": "def twice(n):\n    return 2 * n\n",
    "busy_loop": "def twice(n):\n    while True:\n        pass\n",
    "sleeps_forever": "import time\n\n\ndef twice(n):\n    time.sleep(1000)\n",
    # 1.5 s of wall time but almost no CPU time: within the 1 s CPU limit, which is what counts
    "sleeps_briefly": "import time\n\n\ndef twice(n):\n    if n == 1:\n        time.sleep(1.5)\n    return 2 * n\n",
}


@pytest.fixture(scope="module")
def t_bank(tmp_path_factory) -> Path:
    """T1: a 1 s CPU limit with a wall backstop far away (60 s); T2: the same with a 3 s backstop."""
    root = tmp_path_factory.mktemp("limits") / "bank"
    files = {f"subs/{k}.py": v for k, v in SUBMISSIONS.items()}
    for exercise_id, wall in (("T1", 60), ("T2", 3)):
        files |= {f"exercises/{exercise_id}/exercise.yaml": T_YAML.format(id=exercise_id, wall=wall),
                  f"exercises/{exercise_id}/twice.py": STUB, f"hidden_tests/{exercise_id}/test_t.py": T_TESTS,
                  f"solutions/{exercise_id}/reference.py": SUBMISSIONS["reference"]}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def graded(t_bank):
    from runner.grading.client import GraderPool

    bank, found = Bank(t_bank), {}
    with GraderPool(2) as pool:
        for exercise_id, names in (("T1", ["reference", "busy_loop", "sleeps_briefly"]), ("T2", ["sleeps_forever"])):
            for path, result in pool.run(bank.get(exercise_id), [t_bank / "subs" / f"{n}.py" for n in names]):
                found[path.stem] = {t.name: (t.outcome.value, t.message) for t in result.tests} | {"_": result}
    return found


def test_after_a_timeout_the_remaining_checks_that_need_learner_code_are_not_run(graded):
    loop = graded["busy_loop"]
    assert loop["test_one"] == ("timeout", "twice() used more than 1 s of CPU time")
    assert loop["test_two"] == loop["test_three"] == ("timeout", NOT_RUN)
    assert loop["test_no_learner_code"] == ("passed", "")  # checks without learner code still run
    assert loop["_"].timing["calls"] == 1 and loop["_"].timing["timed_out"]


def test_a_sleeping_call_is_caught_by_the_wall_clock_backstop(graded):
    asleep = graded["sleeps_forever"]
    assert asleep["test_one"] == ("timeout", "twice() did not finish within the 3 s time limit")
    assert asleep["test_two"] == asleep["test_three"] == ("timeout", NOT_RUN)


def test_cpu_time_is_what_counts_against_the_call_limit(graded):
    assert graded["sleeps_briefly"]["_"].score == 100  # 1.5 s of wall time, under 1 s of CPU time
    assert graded["reference"]["_"].score == 100
    measured = graded["sleeps_briefly"]["_"].timing
    assert measured["slowest_call_s"] >= 1.5 and measured["slowest_call_cpu_s"] < 0.5


def test_examples_evaluated_through_the_host_stop_after_a_timeout_too(t_bank):
    import time

    from runner.grading.plugin import LearnerHost, NotRun
    from runner.sandbox.child import ChildSpec
    from runner.sandbox.proxy import SandboxTimeout

    spec = ChildSpec(submission=str(t_bank / "subs/busy_loop.py"), workdir="", call_cpu_seconds=1)
    host = LearnerHost(spec, Limits(call_cpu_seconds=1, call_seconds=60, run_seconds=60), time.monotonic() + 60)
    try:
        with pytest.raises(SandboxTimeout, match="CPU time"):
            host.evaluate("twice(1)")
        with pytest.raises(NotRun, match=NOT_RUN):
            host.evaluate("twice(2)")
    finally:
        host.close()


def test_an_infinite_loop_in_1a_gets_its_scorecard_after_one_call(tmp_path):
    loop = tmp_path / "softmax.py"
    loop.write_text("def softmax(x, axis=-1):\n    while True:\n        pass\n")
    env = {"PRACTICE_HOME": str(tmp_path / "home"), "PRACTICE_WORKSPACE": str(tmp_path / "ws"),
           "PRACTICE_BANK": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "runner", "submit", "1A", "--json", "--file", str(loop)],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=120)
    data = json.loads(proc.stdout)
    first, *rest = data["tests"]
    assert first["outcome"] == "timeout" and first["message"].startswith("softmax()"), first
    assert rest and all((t["outcome"], t["message"]) == ("timeout", NOT_RUN) for t in rest)
    assert data["score"] == 0


def test_validate_writes_the_measurement_and_a_bank_run_flags_it_when_stale(tmp_path, fixture_bank):
    from runner.validate import ExerciseReport, timing_checks, validate

    bank_root = tmp_path / "bank"
    shutil.copytree(fixture_bank, bank_root)
    reports, _ = validate(Bank(bank_root), ["D1"])
    assert reports[0].ok and reports[0].timing_written, [p.message for p in reports[0].problems]
    stored = Timing.read(bank_root / "exercises/D1/timing.json")
    assert stored.calls == 3 and stored.slowest_call_cpu_s is not None and stored.digest
    tests = bank_root / "hidden_tests/D1/test_d1.py"
    tests.write_text(tests.read_text() + "\n# a change\n")
    exercise, report = Bank(bank_root).get("D1"), ExerciseReport("D1")
    timing_checks(exercise, report, GradeResult("D1", Status.GRADED, timing=stored.to_dict()), write=False)
    assert [p.message.split(".")[0] for p in report.problems] == [
        "is out of date: the reference or hidden tests changed since it was measured"]


# ---- a busy machine -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_no_reference_times_out_beside_two_cpu_bound_processes():
    """Grade every reference while two CPU-bound processes run beside the grader; print the smallest headroom
    (limit / measured) per limit across the bank."""
    from runner.grading.client import GraderPool

    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    rows = []
    try:
        with GraderPool(1) as pool:
            for exercise in BANK.all():
                for _, result in pool.run(exercise, [exercise.reference_path]):
                    slow = [(t.name, t.outcome.value, t.message) for t in result.tests if t.outcome.value != "passed"]
                    assert result.score == 100 and not slow, (exercise.id, result.error, slow)
                    got, cost = exercise.limits, result.timing
                    rows.append((exercise.id, got.call_cpu_seconds / max(cost["slowest_call_cpu_s"], 1e-3),
                                 got.call_seconds / max(cost["slowest_call_s"], 1e-3), got.run_seconds / cost["run_s"]))
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    for i, name in enumerate(("per-call CPU", "per-call wall", "run deadline"), start=1):
        worst = min(rows, key=lambda row: row[i])
        print(f"smallest {name} headroom: {worst[i]:.0f}x ({worst[0]})")
        assert worst[i] >= 3, worst
