from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def fixture_bank() -> Path:
    """A one-exercise bank (D1: double it) for platform tests."""
    return HERE / "fixtures" / "bank"


@pytest.fixture
def practice_env(tmp_path, monkeypatch, fixture_bank):
    """Point PRACTICE_HOME, PRACTICE_WORKSPACE and PRACTICE_BANK at fresh places."""
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PRACTICE_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("PRACTICE_BANK", str(fixture_bank))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path
