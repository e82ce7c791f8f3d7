"""Batch grading throughput: `practice grade 1A` on N submissions with --jobs 2, against one process per
submission, and a check that every result is identical to grading that file alone with `practice submit`.

    python bench/bench_batch.py [--n 100] [--jobs 2]

Target (issue 9): at least 20 submissions per second on 2 cores with --jobs 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def outcome_key(result: dict) -> tuple:
    return (result["status"], result["score"], result["error"],
            tuple((t["name"], t["outcome"], t["points"]) for t in result["tests"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--exercise", default="1A")
    args = parser.parse_args()
    solutions = ROOT / "solutions" / args.exercise
    stub = next((ROOT / "exercises" / args.exercise).glob("*.py"))
    kinds = [solutions / "reference.py", *sorted((solutions / "wrong").glob("*.py")), stub]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for i in range(args.n):
            shutil.copy(kinds[i % len(kinds)], folder / f"student{i:04d}.py")
        env = {**os.environ, "PRACTICE_HOME": f"{tmp}/home", "PRACTICE_BANK": str(ROOT)}
        practice = [sys.executable, "-m", "runner"]
        start = time.perf_counter()
        done = subprocess.run([*practice, "grade", args.exercise, str(folder), "--jobs", str(args.jobs), "--json"],
                              env=env, capture_output=True, text=True, check=True)
        batch_s = time.perf_counter() - start
        batch = {Path(r["file"]).name: r for r in map(json.loads, done.stdout.splitlines())}

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
            subprocess.run([sys.executable, "-c", "import numpy, pytest"], check=True)
        bare_s = (time.perf_counter() - start) / 10

    identical = all(outcome_key(batch[n]) == outcome_key(r) for n, r in singles.items())
    rate = args.n / batch_s
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"practice grade {args.exercise}: {args.n} submissions, --jobs {args.jobs}: {batch_s:.2f} s "
          f"= {rate:.1f} submissions/s (target 20/s: {'ok' if rate >= 20 else 'UNDER'})")
    print(f"one `practice submit` process per submission: {single_s * 1000:.0f} ms = {1 / single_s:.1f}/s "
          f"(batch is {rate * single_s:.1f}x faster)")
    print(f"bare floor, one `python -c 'import numpy, pytest'` per submission: {1 / bare_s:.1f}/s "
          f"(batch is {rate * bare_s:.1f}x that)")
    print(f"results identical to grading one at a time ({len(singles)} kinds compared): {identical}")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
