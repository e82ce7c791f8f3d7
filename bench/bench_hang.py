"""Time from a submission that never returns to its scorecard, as a ratio to a bare baseline on this machine.

    python bench/bench_hang.py [--runs N]

Each exercise's functions loop forever; `practice submit ID --json` must answer with a scorecard: the first call
times out on its CPU limit (max(2 s, 50x the reference's slowest call)) and every other check that needs learner
code is "not run: an earlier call timed out". Baseline: `python -c "import numpy, pytest"`. Goal (issue 12):
1A's scorecard within 10 s; the target column is that goal as a ratio to this machine's baseline. 3D is a
model-based exercise (toy transformer fixtures, support library), graded the same way; its yaml allows 8 s of CPU
per call (a correct plain einsum takes ~2 s), so its target is that limit plus 3 s of start-up (the CLI, a
worker, collecting its model fixtures).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import median_seconds, report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_S = 10.0


def hanging_file(folder: Path, exercise_id: str) -> Path:
    """A submission whose every function loops forever."""
    from runner.bank import Bank

    functions = Bank(ROOT).get(exercise_id).functions
    path = folder / f"hang_{exercise_id}.py"
    path.write_text("".join(f"def {name}(*args, **kwargs):\n    while True:\n        pass\n\n\n"
                            for name in functions))
    return path


def call_cpu_limit(exercise_id: str) -> float:
    """The exercise's per-call CPU limit, derived or set in its yaml."""
    from runner.bank import Bank

    return Bank(ROOT).get(exercise_id).limits.call_cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    practice = shutil.which("practice") or str(Path(sys.executable).parent / "practice")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PRACTICE_HOME": f"{tmp}/home", "PRACTICE_WORKSPACE": f"{tmp}/ws", "PRACTICE_BANK": str(ROOT)}
        bare = median_seconds([sys.executable, "-c", "import numpy, pytest"], runs)
        rows = []
        for exercise_id in ("1A", "3D"):
            loop = hanging_file(Path(tmp), exercise_id)
            seconds = median_seconds([practice, "submit", exercise_id, "--json", "--file", str(loop)], runs, env)
            goal = max(GOAL_S, call_cpu_limit(exercise_id) + 3.0)
            rows.append((f"{exercise_id} hang -> scorecard  vs  import numpy, pytest", seconds, bare, goal / bare))
    report(rows)


if __name__ == "__main__":
    main()
