"""Sandbox overhead: per call, and per grading run against the in-process grading it replaces.

    python bench/bench_sandbox.py [--calls N] [--runs N] [--isolation all|namespaces|uid|process]

Each measure runs once per isolation layer (all available ones by default, strongest first), including what
starting and ending one learner process costs (once per submission, more after a timeout or crash).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _timing import BARE_PYTEST_ENV, bench_env, isolation_layers, median_seconds, report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def use_layer(layer: str) -> None:
    """Make this process (and the processes it starts) use isolation `layer`."""
    import os

    from runner.sandbox import layers

    os.environ["PRACTICE_ISOLATION"] = layer
    layers._active = None
    layers.prepare_worker()
    print(f"-- isolation {layers.active().name}")


def per_start(starts: int) -> None:
    """Start a learner process, make one call, close it: the per-submission cost of isolation."""
    from runner.sandbox.child import ChildSpec
    from runner.sandbox.proxy import LearnerProcess

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "identity.py"
        path.write_text("def identity(x):\n    return x\n")
        times = []
        for _ in range(starts):
            start = time.perf_counter()
            process = LearnerProcess(ChildSpec(submission=str(path), workdir=""), call_seconds=10, output_limit=1024)
            process.call("identity", np.ones(4))
            process.close()
            times.append(time.perf_counter() - start)
    print(f"learner process start + one call + close: {statistics.median(times) * 1000:.1f} ms (median of {starts})")


def per_call(calls: int) -> None:
    from runner.sandbox.child import ChildSpec
    from runner.sandbox.proxy import LearnerProcess

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "identity.py"
        path.write_text("def identity(x):\n    return x\n")
        namespace: dict = {}
        exec(path.read_text(), namespace)  # the in-process baseline: a direct call
        process = LearnerProcess(ChildSpec(submission=str(path), workdir=""), call_seconds=10, output_limit=1024)
        print(f"{'payload':<22}{'sandboxed call':>16}{'direct call':>14}{'overhead':>12}")
        for label, arg in (("float64[16]", np.ones(16)), ("float64[128x128]", np.ones((128, 128))),
                           ("float64[1000x1000]", np.ones((1000, 1000)))):
            n = calls if arg.size < 10**5 else max(20, calls // 50)
            start = time.perf_counter()
            for _ in range(n):
                process.call("identity", arg)
            remote = (time.perf_counter() - start) / n
            start = time.perf_counter()
            for _ in range(n):
                namespace["identity"](arg)
            local = (time.perf_counter() - start) / n
            print(f"{label:<22}{remote * 1e6:>13.0f} µs{local * 1e6:>11.2f} µs{(remote - local) * 1e6:>9.0f} µs")
        process.close()


def per_run(runs: int) -> None:
    ref = str(ROOT / "solutions/1A/reference.py")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PRACTICE_HOME": f"{tmp}/home", "PRACTICE_WORKSPACE": f"{tmp}/ws", "PRACTICE_BANK": str(ROOT)}
        inprocess = median_seconds([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                                    "runner.grading.inprocess", str(ROOT / "hidden_tests/1A"), "--submission", ref],
                                   runs, {**env, **BARE_PYTEST_ENV})
        sandboxed = median_seconds([sys.executable, "-m", "runner", "submit", "1A", "--json", "--file", ref],
                                   runs, env)
        bare = str(Path(tmp) / "test_bare.py")
        Path(bare).write_text("import numpy as np\n\n\ndef test_sum():\n    assert np.ones(3).sum() == 3.0\n")
        bare_pytest = median_seconds([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", bare], runs,
                                     BARE_PYTEST_ENV)
    report([("submit 1A (sandbox)  vs  in-process pytest run", sandboxed, inprocess, 3.0),
            ("submit 1A (sandbox)  vs  bare pytest numpy test", sandboxed, bare_pytest, 3.0)])

    from runner.bank import Bank
    from runner.grading.client import GraderPool

    exercise = Bank(ROOT).get("1A")
    with GraderPool(1) as pool:
        list(pool.run(exercise, [Path(ref)]))  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            list(pool.run(exercise, [Path(ref)]))
            times.append(time.perf_counter() - start)
    print(f"warm worker, one 1A grading (fork, pytest, learner process): {statistics.median(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--isolation", default="all", help="all, or one of namespaces, uid, process")
    args = parser.parse_args()
    os.environ.clear()
    os.environ.update(bench_env())  # the graders this process starts too (see bench_env)
    for layer in isolation_layers(args.isolation):
        use_layer(layer)
        per_start(max(5, args.runs * 3))
        per_call(args.calls)
        per_run(args.runs)


if __name__ == "__main__":
    main()
