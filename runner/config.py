"""Where things live: the bank, the learner's workspace and the history database.

The bank is, first to last: `--bank`, $PRACTICE_BANK, `bank = "..."` in $PRACTICE_HOME/config.toml, then the
bank shipped with practice (the installed `practice_bank/` data folder, or this checkout for an editable
install). One bank is used at a time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from runner.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent
BANK_PACKAGE = "practice_bank"  # the wheel's copy of the bank (setup.py writes it)
CONFIG_FILE = "config.toml"
CONFIG_KEYS = ("bank",)
_CONFIG_LINE = re.compile(r"""([A-Za-z_][\w-]*)\s*=\s*(?:"([^"\\]*)"|'([^']*)')\s*(?:#.*)?""")


@dataclass(frozen=True)
class Locations:
    """The three roots every command works from."""

    bank: Path  # holds exercises/, hidden_tests/, solutions/
    workspace: Path  # learner files, one folder per exercise
    home: Path  # practice.db and submitted sources
    bank_source: str = "built-in"  # --bank, PRACTICE_BANK, config.toml or built-in

    @property
    def database(self) -> Path:
        return self.home / "practice.db"


def default_workspace() -> Path:
    """Return the default workspace: ~/practice-workspace."""
    return Path.home() / "practice-workspace"


def default_home() -> Path:
    """Return the default state folder: ~/.practice."""
    return Path.home() / ".practice"


def installed_bank() -> Path | None:
    """The bank a built install (wheel, pipx) carries in its practice_bank/ data folder; None in a checkout."""
    import importlib.util

    spec = importlib.util.find_spec(BANK_PACKAGE)  # finds the folder without importing anything
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "exercises").is_dir():
            return Path(folder)
    return None


def builtin_bank() -> Path:
    """The bank shipped with practice: the installed data folder, else the checkout (editable installs)."""
    return installed_bank() or REPO_ROOT


def read_config(home: Path) -> dict[str, str]:
    """Read $PRACTICE_HOME/config.toml (string keys only); {} when there is none."""
    path = home / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    data = _parse_toml(text, path)
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise UsageError(f"{path}: unknown setting `{key}`", fix=f"Known settings: {', '.join(CONFIG_KEYS)}.")
        if not isinstance(value, str):
            raise UsageError(f"{path}: `{key}` must be a quoted string", fix=f'Write it as {key} = "...".')
    return data


def _parse_toml(text: str, path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: only `key = "string"` lines, which is all config.toml holds
        data = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            match = _CONFIG_LINE.fullmatch(line)
            if not match:
                raise UsageError(f"{path}: line {number} is not `key = \"value\"`",
                                 fix="Fix that line or remove it.") from None
            data[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: {exc}", fix="Fix the TOML syntax there.") from None


def resolve_locations(bank: Path | str | None = None) -> Locations:
    """Resolve the roots from arguments, then PRACTICE_* variables, then config.toml, then defaults."""
    env = os.environ
    # absolute: an attempt records its file's path, and a relative one breaks from any other folder
    workspace = Path(env.get("PRACTICE_WORKSPACE") or default_workspace()).expanduser().absolute()
    home = Path(env.get("PRACTICE_HOME") or default_home()).expanduser().absolute()
    if bank:
        bank_path, source = Path(bank), "--bank"
    elif env.get("PRACTICE_BANK"):
        bank_path, source = Path(env["PRACTICE_BANK"]), "PRACTICE_BANK"
    elif configured := read_config(home).get("bank"):
        bank_path, source = home / Path(configured).expanduser(), str(home / CONFIG_FILE)  # relative to home
    else:
        bank_path, source = builtin_bank(), "built-in"
    return Locations(bank=bank_path.expanduser().resolve(), workspace=workspace, home=home, bank_source=source)
