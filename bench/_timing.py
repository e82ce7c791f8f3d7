"""Shared timing helpers for the bench scripts: median wall time of a command, run the same way each time."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# A bare pytest run loads no third-party plugins (the grading workers load none either): with autoload on, the
# plugins installed beside practice (hypothesis's among them) add about 1.2 s and would flatter every ratio.
BARE_PYTEST_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def bench_env(extra: dict | None = None) -> dict:
    """The environment every measured command runs with: this one, as an installed practice runs, with Python's
    bytecode cache (pip writes it at install, a checkout on first run). PYTHONDONTWRITEBYTECODE, set on some
    machines, would make every process compile the package's modules again and measure that instead."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def median_seconds(cmd: list[str], runs: int, env: dict | None = None, warmup: int = 1) -> float:
    """Median wall time of `cmd` over `runs` runs, after `warmup` unmeasured runs."""
    full_env = bench_env(env)
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(rows: list[tuple[str, float, float, float]]) -> None:
    """Print (name, measured s, baseline s, target ratio) rows with their ratios."""
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores")
    print(f"{'measure':<44}{'time':>9}{'baseline':>10}{'ratio':>8}{'target':>8}")
    for name, value, base, target in rows:
        ratio = value / base
        flag = "ok" if ratio <= target else "OVER"
        print(f"{name:<44}{value * 1000:>7.0f}ms{base * 1000:>8.0f}ms{ratio:>7.2f}x{target:>6.1f}x  {flag}")


def isolation_layers(choice: str) -> list[str]:
    """Isolation layers to measure (runner/sandbox/layers.py): every available one, strongest first, or one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from runner.sandbox import layers

    available = [cls.key for cls in layers.LAYERS if cls().available()]
    if choice == "all":
        return available
    if choice not in available:
        sys.exit(f"isolation layer {choice!r} is not available here (available: {', '.join(available)})")
    return [choice]
