"""Where things live: the bank, the learner's workspace and the history database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Locations:
    """The three roots every command works from."""

    bank: Path  # holds exercises/, hidden_tests/, solutions/
    workspace: Path  # learner files, one folder per exercise
    home: Path  # practice.db and submitted sources

    @property
    def database(self) -> Path:
        return self.home / "practice.db"


def default_workspace() -> Path:
    """Return the default workspace: ~/practice-workspace."""
    return Path.home() / "practice-workspace"


def default_home() -> Path:
    """Return the default state folder: ~/.practice."""
    return Path.home() / ".practice"


def resolve_locations(bank: Path | str | None = None) -> Locations:
    """Resolve the roots from arguments, then PRACTICE_* variables, then defaults."""
    env = os.environ
    bank_path = Path(bank or env.get("PRACTICE_BANK") or REPO_ROOT).expanduser().resolve()
    workspace = Path(env.get("PRACTICE_WORKSPACE") or default_workspace()).expanduser()
    home = Path(env.get("PRACTICE_HOME") or default_home()).expanduser()
    return Locations(bank=bank_path, workspace=workspace, home=home)
