"""Read the bank's YAML files and check their fields, with errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.errors import BankError


def parse_yaml(path: Path) -> Any:
    """Parse one YAML file safely; raise BankError naming the line on a syntax error."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BankError(f"{path}: cannot be read ({exc.strerror})", fix="Check the file exists.") from None
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise BankError(f"{path}: YAML error{where}: {problem}", fix="Fix the YAML syntax there.") from None


class Reader:
    """Validate one YAML mapping, raising BankError that names file, field and fix."""

    def __init__(self, path: Path, data: Any, where: str = ""):
        self.path, self.data, self.where = path, data, where

    def fail(self, key: str, problem: str, fix: str) -> BankError:
        name = f"{self.where}{key}" if key else self.where.rstrip(".") or "(top level)"
        return BankError(f"{self.path}: field `{name}` {problem}", fix=fix)

    def mapping(self, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if not isinstance(self.data, dict):
            raise self.fail("", "is not a mapping", "Write it as `key: value` lines.")
        for key in self.data:
            if key not in allowed:
                import difflib

                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"Did you mean `{close[0]}`?" if close else f"Allowed keys: {', '.join(allowed)}."
                raise self.fail(str(key), "is not a known key", f"Remove it. {hint}")
        for key in required:
            if key not in self.data or self.data[key] is None:
                raise self.fail(key, "is missing", f"Add `{key}:` (see exercises/SCHEMA.md).")
        return self.data

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self.fail(key, f"must be text, not {type(value).__name__}", "Quote it or write it as a string.")

    def number(self, key: str, default: float | None = None, minimum: float = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= minimum:
            raise self.fail(key, f"must be a number above {minimum:g}, got {value!r}", "Give a positive number.")
        return float(value)

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings", "Write it as `- item` lines.")
        return tuple(value)

    def items(self, key: str) -> list[Reader]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list", "Write each entry as a `- ` item.")
        return [Reader(self.path, item, f"{self.where}{key}[{i}].") for i, item in enumerate(value)]

    def sub(self, key: str) -> Reader:
        return Reader(self.path, self.data.get(key) or {}, f"{self.where}{key}.")
