"""Hostile submissions against the sandbox: each scores 0, ends by the run deadline, leaves no process
behind, and still gives exactly one valid `submit --json` object."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).parent
HOSTILE = sorted(p.stem for p in (HERE / "hostile").glob("*.py"))
RUN_SECONDS = 4  # H1's run deadline (tests/fixtures/bank/exercises/H1/exercise.yaml)
STARTUP_ALLOWANCE = 6  # interpreter start, worker warm-up and a busy CI machine

pytestmark = pytest.mark.slow


def submit(name: str, fixture_bank: Path, tmp: Path, watch) -> dict:
    marker = f"PRACTICE_HOSTILE_MARKER={uuid.uuid4().hex}"
    key, value = marker.split("=")
    env = {**os.environ, "PRACTICE_HOME": str(tmp / name), "PRACTICE_WORKSPACE": str(tmp / "ws"), key: value}
    start = time.monotonic()
    proc = watch.run([sys.executable, "-m", "runner", "--bank", str(fixture_bank), "submit", "H1", "--json",
                      "--file", str(HERE / "hostile" / f"{name}.py")], env=env, timeout=60)
    wall = time.monotonic() - start
    left = watch.left_behind(marker)
    for _ in range(20):
        if not left:
            break
        time.sleep(0.05)
        left = watch.left_behind(marker)
    return {"proc": proc, "wall": wall, "left": left}


@pytest.fixture(scope="module")
def outcomes(fixture_bank, tmp_path_factory, process_watch):
    tmp = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda n: (n, submit(n, fixture_bank, tmp, process_watch)), HOSTILE)
        return dict(results)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_submission_is_contained(outcomes, name):
    run = outcomes[name]
    proc = run["proc"]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1, f"stdout is not one line: {proc.stdout[:300]!r}"
    data = json.loads(proc.stdout)
    assert data["exercise"] == "H1"
    assert data["score"] == 0, data
    assert run["wall"] < RUN_SECONDS + 2 + STARTUP_ALLOWANCE, f"took {run['wall']:.1f} s"
    assert not run["left"], f"processes left behind: {run['left']}"


def messages(outcomes, name) -> str:
    data = json.loads(outcomes[name]["proc"].stdout)
    return " ".join([data["error"] or ""] + [t["message"] for t in data["tests"]])


def test_specific_outcomes(outcomes):
    loop = json.loads(outcomes["infinite_loop"]["proc"].stdout)
    assert {t["outcome"] for t in loop["tests"]} == {"timeout"}
    assert "memory limit exceeded" in messages(outcomes, "huge_allocation")
    assert "memory limit exceeded" in messages(outcomes, "huge_bytes")
    assert "run deadline" in messages(outcomes, "sleep_until_deadline")
    assert "not allowed here" in messages(outcomes, "pytest_skip_at_import")
    assert "SystemExit" in messages(outcomes, "raise_systemexit")
    assert "KeyboardInterrupt" in messages(outcomes, "raise_keyboardinterrupt")
    assert "exited" in messages(outcomes, "os_exit_in_call")
    assert "corrupted its result channel" in messages(outcomes, "corrupt_channel")
    skipped = [t for name in outcomes for t in json.loads(outcomes[name]["proc"].stdout)["tests"]
               if t["outcome"] == "skipped"]
    assert not skipped
