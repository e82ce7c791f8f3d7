"""Latency of `practice list` and `practice submit 1A`, as ratios to bare baselines on this machine.

    python bench/bench_cli.py [--runs N] [--isolation all|namespaces|uid|process]

Targets (issue 2): list within 2.5x `python -c "import typer, rich"`; submit of a correct 1A within 2x a
bare pytest run of a single numpy test (issue 13), at each isolation layer measured (all available ones by
default, strongest first; PRACTICE_ISOLATION forces each).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import BARE_PYTEST_ENV, isolation_layers, median_seconds, report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BARE_TEST = "import numpy as np\n\n\ndef test_sum():\n    assert np.allclose(np.ones(3).sum(), 3.0)\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--isolation", default="all", help="all, or one of namespaces, uid, process")
    args = parser.parse_args()
    runs, chosen = args.runs, isolation_layers(args.isolation)
    practice = shutil.which("practice") or str(Path(sys.executable).parent / "practice")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PRACTICE_HOME": f"{tmp}/home", "PRACTICE_WORKSPACE": f"{tmp}/ws", "PRACTICE_BANK": str(ROOT)}
        test_file = Path(tmp) / "test_bare.py"
        test_file.write_text(BARE_TEST)
        bare_import = median_seconds([sys.executable, "-c", "import typer, rich"], runs)
        listing = median_seconds([practice, "list"], runs, env)
        bare_pytest = median_seconds([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                      str(test_file)], runs, BARE_PYTEST_ENV)
        submits = {layer: median_seconds([practice, "submit", "1A", "--json", "--file",
                                          str(ROOT / "solutions/1A/reference.py")], runs,
                                         {**env, "PRACTICE_ISOLATION": layer}) for layer in chosen}
    report([
        ("practice list  vs  python -c 'import typer, rich'", listing, bare_import, 2.5),
        *((f"submit 1A [{layer}]  vs  bare pytest numpy test", submit, bare_pytest, 2.0)
          for layer, submit in submits.items()),
    ])


if __name__ == "__main__":
    main()
