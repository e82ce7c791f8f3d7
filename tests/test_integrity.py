"""Grading integrity: honest accidents and learner tricks that must never change a grade.

User files shadowing the standard library, interrupted submissions, in-place mutation of the checks' inputs,
exactly the recorded bytes running, error messages that name what happened, and batch grading that survives
one bad file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
