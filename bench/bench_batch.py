"""Batch grading throughput: `practice grade 1A` on N submissions with --jobs 2, against one process per
submission, and a check that every result is identical to grading that file alone with `practice submit`.

    python bench/bench_batch.py [--n 100] [--jobs 2] [--runs 3] [--isolation all|namespaces|uid|process]

--isolation all (the default) runs the batch once per isolation layer this machine offers
(runner/sandbox/layers.py; PRACTICE_ISOLATION forces each), strongest first, so what isolation costs stays
visible. Target (issue 15): at least 30 submissions per second on 2 cores for 1A at the strongest layer.
Run it on a quiet machine: numbers taken under load are not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import bench_env, isolation_layers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def outcome_key(result: dict) -> tuple:
    """What must agree: the status, score, error and every check (one that could not be graded lists each at 0)."""
    tests = tuple((t["name"], t["outcome"], t["points"]) for t in result["tests"])
    return result["status"], result["score"], result["error"], tests


TARGET = 30.0


def grade_batch(practice: list[str], args, folder: Path, env: dict) -> tuple[float, dict]:
    """The median wall time of `practice grade` on the folder over --runs runs (after one unmeasured), and the
    results of the last."""
    times = []
    for i in range(args.runs + 1):
        start = time.perf_counter()
        done = subprocess.run([*practice, "grade", args.exercise, str(folder), "--jobs", str(args.jobs), "--json"],
                              env=env, capture_output=True, text=True, check=True)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times), {Path(r["file"]).name: r for r in map(json.loads, done.stdout.splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="measured runs per layer (the median is reported)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--exercise", default="1A")
    parser.add_argument("--isolation", default="all", help="all, or one of namespaces, uid, process")
    args = parser.parse_args()
    solutions = ROOT / "solutions" / args.exercise
    stub = next((ROOT / "exercises" / args.exercise).glob("*.py"))
    kinds = [solutions / "reference.py", *sorted((solutions / "wrong").glob("*.py")), stub]
    chosen = isolation_layers(args.isolation)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for i in range(args.n):
            shutil.copy(kinds[i % len(kinds)], folder / f"student{i:04d}.py")
        base_env = bench_env({"PRACTICE_HOME": f"{tmp}/home", "PRACTICE_BANK": str(ROOT)})
        practice = [sys.executable, "-m", "runner"]
        runs = {}
        for layer in chosen:
            runs[layer] = grade_batch(practice, args, folder, {**base_env, "PRACTICE_ISOLATION": layer})
        env = {**base_env, "PRACTICE_ISOLATION": chosen[0]}

        start = time.perf_counter()
        singles = {}
        for i in range(len(kinds)):  # one of each kind, each graded alone in a fresh process
            name = f"student{i:04d}.py"
            out = subprocess.run([*practice, "submit", args.exercise, "--json", "--file", str(folder / name)],
                                 env=env, capture_output=True, text=True, check=True)
            singles[name] = json.loads(out.stdout)
        single_s = (time.perf_counter() - start) / len(kinds)

        start = time.perf_counter()
        for _ in range(10):
            subprocess.run([sys.executable, "-c", "import numpy, pytest"], env=bench_env(), check=True)
        bare_s = (time.perf_counter() - start) / 10

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    weakest = runs[chosen[-1]][0]
    for layer, (batch_s, results) in runs.items():
        rate = args.n / batch_s
        cost = "" if layer == chosen[-1] else f", {100 * (batch_s / weakest - 1):+.0f}% time vs {chosen[-1]}"
        ran = sorted({r.get("isolation", layer) for r in results.values()})  # as the results name it (e.g. +uid)
        print(f"practice grade {args.exercise} [isolation {', '.join(ran)}]: {args.n} submissions, --jobs {args.jobs}: "
              f"{batch_s:.2f} s = {rate:.1f} submissions/s{cost}"
              + (f" (target {TARGET:g}/s: {'ok' if rate >= TARGET else 'UNDER'})" if layer == chosen[0] else ""))
    rate = args.n / runs[chosen[0]][0]
    print(f"one `practice submit` process per submission [{chosen[0]}]: {single_s * 1000:.0f} ms = "
          f"{1 / single_s:.1f}/s (batch is {rate * single_s:.1f}x faster)")
    print(f"bare floor, one `python -c 'import numpy, pytest'` per submission: {1 / bare_s:.1f}/s "
          f"(batch is {rate * bare_s:.1f}x that)")
    identical = all(outcome_key(batch[n]) == outcome_key(r) for _, batch in runs.values() for n, r in singles.items())
    print(f"results identical to grading one at a time, at every layer ({len(singles)} kinds compared): {identical}")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
