"""Grading integrity: honest accidents and learner tricks that must never change a grade.

User files shadowing the standard library, interrupted submissions, in-place mutation of the checks' inputs,
exactly the recorded bytes running, error messages that name what happened, and batch grading that survives
one bad file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.config import Locations
from runner.core import Practice
from runner.errors import StoreError

HERE = Path(__file__).parent
PRACTICE = str(Path(sys.executable).with_name("practice"))
SHADOWS = ("random", "json", "select", "copy", "typing", "tempfile", "signal")


def cli(args: list[str], env: dict, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `practice` console script (its own process, its own working folder)."""
    return subprocess.run([PRACTICE, *args], capture_output=True, text=True, env={**os.environ, **env}, cwd=cwd,
                          timeout=timeout)


@pytest.fixture
def cli_env(tmp_path, fixture_bank) -> dict:
    return {"PRACTICE_HOME": str(tmp_path / "home"), "PRACTICE_WORKSPACE": str(tmp_path / "ws"),
            "PRACTICE_BANK": str(fixture_bank)}


# ---- 1. the user's folder never reaches the grader's import path ---------------------------------------------

def test_stdlib_names_in_the_working_folder_do_not_break_grading(tmp_path, cli_env, fixture_bank):
    folder = tmp_path / "scratch"
    folder.mkdir()
    for name in SHADOWS:
        (folder / f"{name}.py").write_text('raise RuntimeError("a scratch file shadowed the standard library")\n')
    solution = folder / "double.py"  # the learner's own file sits beside them, as in a scratch folder
    solution.write_text((fixture_bank / "solutions" / "D1" / "reference.py").read_text())
    submitted = cli(["submit", "D1", "--file", str(solution), "--json"], cli_env, folder)
    assert submitted.returncode == 0, submitted.stderr
    result = json.loads(submitted.stdout)
    assert (result["status"], result["score"]) == ("graded", 100), result
    ran = cli(["run", "D1", "--file", str(solution)], {**cli_env, "NO_COLOR": "1"}, folder)
    assert ran.returncode == 0, ran.stderr
    assert "2 of 2 examples pass" in ran.stdout, ran.stdout


# ---- 2. an interrupted submission is marked, never counts, and the next command says so ------------------------

INTEGRITY = HERE / "hostile" / "integrity"


def rows(home: Path) -> list[sqlite3.Row]:
    """The submissions table, read directly (opening a Store would sweep it)."""
    db = sqlite3.connect(home / "practice.db")
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM submissions ORDER BY id").fetchall()
    finally:
        db.close()


def start_slow_submit(cli_env: dict, cwd: Path) -> subprocess.Popen:
    """`practice submit` of a correct but slow file, in its own session (as a terminal would run it)."""
    proc = subprocess.Popen([PRACTICE, "submit", "D1", "--json", "--file", str(INTEGRITY / "slow_double.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, **cli_env}, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal,
    # even where this suite runs with SIGINT ignored (a background job of a non-interactive shell passes that on)
    locks = Path(cli_env["PRACTICE_HOME"]) / "locks"
    deadline = time.monotonic() + 30
    while not (locks.is_dir() and any(locks.glob("submission-*.lock"))):
        assert proc.poll() is None and time.monotonic() < deadline, "the submission never started grading"
        time.sleep(0.02)
    time.sleep(0.4)  # well inside grading: every call takes a second
    assert proc.poll() is None
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP])
def test_a_stopped_submit_is_marked_interrupted_at_once(tmp_path, cli_env, sig):
    proc = start_slow_submit(cli_env, tmp_path)
    if sig == signal.SIGINT:  # meanwhile, a command that opens the store leaves a live submission alone
        assert cli(["list"], cli_env, tmp_path).stderr == ""
        assert [r["state"] for r in rows(Path(cli_env["PRACTICE_HOME"]))] == ["pending"]
        assert proc.poll() is None
    os.killpg(proc.pid, sig)  # Ctrl-C (the foreground group), a closed terminal (SIGTERM is handled the same)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    home = Path(cli_env["PRACTICE_HOME"])
    (row,) = rows(home)
    assert (row["state"], row["counted"], row["score"]) == ("interrupted", 0, None)
    assert not list((home / "locks").glob("*.lock"))
    listed = cli(["list", "--json"], cli_env, tmp_path)
    assert "note: submission #1 (D1) stopped before grading finished and does not count" in listed.stderr
    assert listed.stderr.count("\n") == 1
    d1 = next(r for r in json.loads(listed.stdout) if r["id"] == "D1")
    assert (d1["best"], d1["submissions"]) == (None, 0)
    assert cli(["list"], cli_env, tmp_path).stderr == ""  # said once


def test_a_killed_submit_is_marked_by_the_next_command_and_never_counts(tmp_path, cli_env, fixture_bank):
    good = cli(["submit", "D1", "--json", "--file", str(fixture_bank / "solutions" / "D1" / "reference.py")],
               cli_env, tmp_path)
    assert json.loads(good.stdout)["score"] == 100
    proc = start_slow_submit(cli_env, tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    home = Path(cli_env["PRACTICE_HOME"])
    assert [r["state"] for r in rows(home)] == ["graded", "pending"]  # nobody could mark it
    history = cli(["history", "--json"], cli_env, tmp_path)
    assert history.returncode == 0, history.stderr
    assert "note: submission #2 (D1) stopped before grading finished" in history.stderr
    (d1,) = json.loads(history.stdout)["exercises"]
    assert (d1["submissions"], d1["best"]) == (1, 100)  # the interrupted row is listed, never counted
    assert [(r["state"], r["counted"]) for r in rows(home)] == [("graded", 1), ("interrupted", 0)]
    listed = json.loads(cli(["list", "--json"], cli_env, tmp_path).stdout)
    d1 = next(r for r in listed if r["id"] == "D1")
    assert (d1["best"], d1["submissions"]) == (100, 1)


def test_an_interrupted_mock_submission_does_not_replace_the_last_score(tmp_path, fixture_bank):
    locations = Locations(bank=fixture_bank, workspace=tmp_path / "ws", home=tmp_path / "home")
    p = Practice(locations)
    p.mock.start(seed=3)
    d1 = p.store.open_attempt("D1")
    Path(d1.file).write_text((fixture_bank / "solutions" / "D1" / "reference.py").read_text())
    assert p.submit("D1", None).score == 100

    def stopped(exercise, path):
        raise KeyboardInterrupt

    p.grader = stopped
    with pytest.raises(KeyboardInterrupt):
        p.submit("D1", None)
    assert [s.state for s in p.store.submissions(attempt_id=d1.id)] == ["graded", "interrupted"]
    task = next(t for t in p.mock.status().tasks if t.exercise == "D1")
    assert task.score == 100


def test_a_full_disk_while_recording_the_grade(tmp_path, fixture_bank):
    from runner.grading.client import grade_file

    locations = Locations(bank=fixture_bank, workspace=tmp_path / "ws", home=tmp_path / "home")
    p = Practice(locations)

    def grade_then_fill_the_disk(exercise, path):
        result = grade_file(exercise, path)
        pages = p.store.db.execute("PRAGMA page_count").fetchone()[0]
        p.store.db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite now fails as on a full disk
        return dataclasses.replace(result, error="x" * 200_000)  # a result that needs new pages

    p.grader = grade_then_fill_the_disk
    with pytest.raises(StoreError, match="could not write the history database"):
        p.submit("D1", fixture_bank / "solutions" / "D1" / "reference.py")
    later = Practice(locations)
    assert [(s.state, s.counted) for s in later.store.submissions()] == [("interrupted", 0)]
    assert "#1 (D1)" in later.interrupted_notice()
    assert later.interrupted_notice() is None


# ---- 3. in-place changes stay in the learner's copies; the checks get a report instead --------------------------

def test_learner_changes_never_reach_the_callers_arrays(tmp_path):
    import numpy as np

    from runner import checks
    from runner.sandbox.child import ChildSpec
    from runner.sandbox.proxy import LearnerProcess

    src = tmp_path / "zeroes.py"
    src.write_text("import numpy as np\n\n\ndef f(x, d, rng):\n    x[...] = 0\n    d['w'][0] = 7\n    rng.random(3)\n"
                   "    return np.zeros_like(x)\n")
    proc = LearnerProcess(ChildSpec(submission=str(src), workdir=""), call_seconds=10, output_limit=1000)
    try:
        x, w, v = np.arange(4.0), np.ones(3), np.arange(3.0)
        rng, same = np.random.default_rng(0), np.random.default_rng(0)
        same.random(3)
        assert proc.call("f", x, {"w": w, "v": v}, rng).tolist() == [0.0] * 4
        assert x.tolist() == [0.0, 1.0, 2.0, 3.0] and w.tolist() == [1.0] * 3  # never written back
        assert checks.modified_by(x) == "f()" and checks.modified_by(x[1:]) == "f()"  # views count
        assert checks.modified_by({"w": w}) == "f()" and checks.modified_by(v) is None
        assert rng.random() == same.random()  # a generator is the caller's stream: it moved on
        with pytest.raises(AssertionError, match=r"your function f\(\) modified x in place"):
            checks.assert_not_modified(x, "x")
        checks.assert_not_modified(v, "v")
    finally:
        proc.close()
        checks._modified.clear()


def test_zeroing_the_inputs_scores_nothing():
    """Files that implement nothing but zero their inputs in place (E12 scored 90.9 when changes came back)."""
    from runner.bank import Bank
    from runner.config import REPO_ROOT
    from runner.grading.client import GraderPool

    bank = Bank(REPO_ROOT)
    ids = ["E12", "E6", "E7", "E11", "E15"]
    with GraderPool(2) as pool:
        for exercise in (bank.get(i) for i in ids):
            path = REPO_ROOT / "solutions" / exercise.id / "wrong" / "zeroes_inputs.py"
            ((_, result),) = list(pool.run(exercise, [path]))
            assert result.status.value == "graded" and result.score <= 20, (exercise.id, result.score)


# ---- 4. exactly the recorded bytes run; hidden tests come from where learner code cannot plant anything ----------

def plant_pyc(path: Path, runs_instead: str) -> None:
    """Leave `path` as it is, with a __pycache__ entry (matching mtime and size) compiled from other code."""
    import importlib.util
    import py_compile

    real = path.read_bytes()
    fake = runs_instead.encode()
    assert len(fake) <= len(real)
    fake += b"#" * (len(real) - len(fake))  # same size
    stamp = int(path.stat().st_mtime)
    path.write_bytes(fake)
    os.utime(path, (stamp, stamp))
    py_compile.compile(str(path), cfile=importlib.util.cache_from_source(str(path)), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    path.write_bytes(real)
    os.utime(path, (stamp, stamp))


def loads_with_the_standard_loader(path: Path, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_planted_bytecode_and_conftest_never_run(tmp_path, fixture_bank):
    import shutil

    import numpy as np

    from runner.bank import Bank
    from runner.grading.client import GraderPool

    bank = tmp_path / "bank"
    shutil.copytree(fixture_bank, bank)
    tests = bank / "hidden_tests" / "D1"
    # A conftest.py that hands every check the right answer, and bytecode for the checks that passes anything.
    (tests / "conftest.py").write_text("import numpy as np\nimport pytest\n\n\nclass Right:\n"
                                       "    def double(self, x):\n        return np.asarray(x) * 2\n\n\n"
                                       "@pytest.fixture\ndef solution():\n    return Right()\n")
    names = [line.split("(")[0][4:] for line in (tests / "test_d1.py").read_text().splitlines()
             if line.startswith("def test_")]
    plant_pyc(tests / "test_d1.py", "".join(f"def {n}(solution):\n    pass\n" for n in names))
    assert loads_with_the_standard_loader(tests / "test_d1.py", "planted_checks").test_values(None) is None

    learner = tmp_path / "learner"
    learner.mkdir()
    honest = learner / "double.py"
    honest.write_text("def double(x):\n    return x * 2\n")
    plant_pyc(honest, "def double(x):\n    return x * 3\n")
    assert loads_with_the_standard_loader(honest, "planted_double").double(np.ones(1))[0] == 3.0
    stub = learner / "stub.py"
    stub.write_text((bank / "exercises" / "D1" / "double.py").read_text())

    with GraderPool(1, env={"PRACTICE_ISOLATION": "process"}) as pool:  # the weakest layer: no copies, same user
        results = dict(pool.run(Bank(bank).get("D1"), [honest, stub]))
    assert results[honest].score == 100, results[honest]  # its source ran, not the planted bytecode
    assert results[stub].score == 0, results[stub]  # neither the conftest nor the planted checks ran


def test_the_recorded_source_is_what_gets_graded(tmp_path, fixture_bank):
    locations = Locations(bank=fixture_bank, workspace=tmp_path / "ws", home=tmp_path / "home")
    p = Practice(locations)
    path = tmp_path / "double.py"
    recorded = (fixture_bank / "solutions" / "D1" / "reference.py").read_text()
    path.write_text(recorded)
    pending = p.begin_submit("D1", path)
    path.write_text("def double(x):\n    return x * 3\n")  # edited after it was recorded, before grading
    result = p.finish_submit(pending, p.grade(pending))
    assert result.score == 100
    (row,) = p.store.submissions()
    assert (row.source, row.score) == (recorded, 100)


# ---- 5 and 6. every error names what happened; one file never takes the batch down ------------------------------

def test_each_sabotage_ends_only_its_own_submission(fixture_bank):
    """At the weakest layer (learner code can signal its grader), graded in one batch on one worker, in order."""
    from runner.bank import Bank
    from runner.grading.client import GraderPool

    names = ["huge_int", "masked_result", "kills_its_grader", "oversized_frame", "kills_its_worker"]
    reference = fixture_bank / "solutions" / "D1" / "reference.py"
    paths = [INTEGRITY / f"{n}.py" for n in names] + [reference]
    exercise = Bank(os.path.relpath(fixture_bank)).get("D1")  # a relative bank path works too
    with GraderPool(1, env={"PRACTICE_ISOLATION": "process"}) as pool:
        results = {path.stem: result for path, result in pool.run(exercise, paths)}

    def said(name: str) -> str:
        result = results[name]
        return " ".join([result.error or ""] + [t.message for t in result.tests])

    assert results["reference"].score == 100  # graded after all of them, on a replaced worker
    assert results["kills_its_worker"].score == 100  # its job process carried on and reported; then a new worker
    for name in names[:-1]:
        assert results[name].score == 0, (name, said(name))
        assert "deadline" not in said(name) and "sys.exit" not in said(name), (name, said(name))
    assert "cannot be graded" in said("huge_int") and "integer" in said("huge_int")
    assert "masked array" in said("masked_result")
    assert "killed by SIGKILL" in said("kills_its_grader")
    assert "memory limit" in said("oversized_frame") and "3072 MiB" in said("oversized_frame")


def test_a_malformed_event_ends_that_job_and_replaces_the_worker(fixture_bank):
    from runner.bank import Bank
    from runner.grading.client import GraderPool, _assemble

    exercise = Bank(fixture_bank).get("D1")
    with GraderPool(1) as pool:
        worker = pool._spare()
        worker.job = {"id": 7}
        real_fd = worker.fd
        read_fd, write_fd = os.pipe()
        os.write(write_fd, b'{"job": 7, "event": "collected", "tests": []}\nthis is not json\n')
        worker.fd = read_fd
        try:
            assert worker.read_events() is True
        finally:
            worker.fd = real_fd
            os.close(read_fd)
            os.close(write_fd)
        assert worker.proc.poll() is not None  # killed: its channel can no longer be trusted
        result = _assemble(exercise, worker.events, "grade")
        assert result.status.value == "error" and "not a JSON event" in result.error
        assert pool._replace_if_dead(worker) is not worker
    # valid JSON with the wrong shape is one submission's error, not an exception out of the pool
    broken = _assemble(exercise, [{"event": "collected", "tests": [{"name": "x"}]}, {"event": "end"}], "grade")
    assert broken.status.value == "error" and "malformed" in broken.error


def test_frames_larger_than_allowed_are_refused_before_allocating():
    import struct

    from runner.sandbox import wire

    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, struct.pack(">4sIQ", b"PRW1", 2, 3 << 30))
        reader = wire.FrameReader(max_bytes=1 << 20)
        with pytest.raises(wire.FrameTooLarge, match="3072 MiB"):
            reader.pump(read_fd)
        assert reader.body is None  # nothing was allocated for it
    finally:
        os.close(read_fd)
        os.close(write_fd)
