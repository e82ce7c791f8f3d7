"""The sdist and the wheel carry the bank (exercises/, hidden_tests/, solutions/, _support/) and no build junk."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from runner.config import BANK_PACKAGE, REPO_ROOT

pytestmark = pytest.mark.slow
BANK_FOLDERS = ("exercises", "hidden_tests", "solutions")
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                    ".pytest_cache", ".ruff_cache", ".gl", ".whl")


def build(hook: str, source: Path, out: Path) -> Path:
    """Run a PEP 517 hook of setuptools in `source` (offline, no isolation); return the file it wrote."""
    code = f"from setuptools import build_meta as b; print(b.{hook}({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return out / done.stdout.strip().splitlines()[-1]


def bank_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for folder in BANK_FOLDERS for p in (root / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and not p.suffix == ".pyc"
            and not p.name.startswith(".")}


def test_sdist_and_wheel_carry_the_bank_and_no_junk(tmp_path):
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip("needs setuptools>=77 (the dev extra) to build offline")
    source = tmp_path / "src"
    shutil.copytree(REPO_ROOT, source, ignore=NOT_SOURCE)
    for junk in (source / "exercises/1A/__pycache__/x.cpython-311.pyc", source / ".venv/lib/site.py",
                 source / "runner/__pycache__/cli.cpython-311.pyc"):
        junk.parent.mkdir(parents=True, exist_ok=True)
        junk.write_bytes(b"junk")
    expected = bank_files(source)
    assert {"exercises/1A/exercise.yaml", "hidden_tests/1A/test_1a.py", "solutions/1A/reference.py",
            "exercises/_support/toymodel/__init__.py", "exercises/presets.yaml"} <= expected

    sdist = build("build_sdist", source, tmp_path / "sdist")
    with tarfile.open(sdist) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp_path / "unpacked", **safe)
    unpacked = next((tmp_path / "unpacked").iterdir())
    assert bank_files(unpacked) == expected
    assert not list(unpacked.rglob("__pycache__")) and not (unpacked / ".venv").exists()

    wheel = build("build_wheel", unpacked, tmp_path / "wheel")  # a wheel from the sdist, as pip would
    names = zipfile.ZipFile(wheel).namelist()
    prefix = f"{BANK_PACKAGE}/"
    assert {n[len(prefix):] for n in names if n.startswith(prefix)} == expected
    assert "runner/cli.py" in names and "runner/exercise.schema.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or ".venv" in n or
                n.startswith(("tests/", "bench/", "exercises/", "solutions/", "hidden_tests/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "practice = runner.cli:app" in zipfile.ZipFile(wheel).read(entry_points).decode()
