"""Check data against the shipped JSON Schema (draft 2020-12) with `jsonschema`, one message per violation."""

from __future__ import annotations

import json
from pathlib import Path

from runner.bank import BankLayout

SCHEMA_FILE = "exercise.schema.json"
SHIPPED = Path(__file__).resolve().parent / SCHEMA_FILE  # a bank may override it with exercises/exercise.schema.json


def _where(path) -> str:
    """A JSON path as the YAML author reads it: `examples[1].call`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error) -> str:
    """One short line naming the field, whatever the keyword."""
    where = _where(error.absolute_path)
    here = f"`{where or '(top level)'}`"
    keyword, expected = error.validator, error.validator_value
    if keyword == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "; ".join(f"`{where + '.' if where else ''}{key}` is not allowed" for key in extra)
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(expected)
        return f"`{where + '.' if where else ''}{missing}` is required"
    if keyword == "type":
        kinds = [expected] if isinstance(expected, str) else expected
        return f"{here} must be of type {' or '.join(kinds)}"
    if keyword == "const":
        return f"{here} must be {expected!r}"
    if keyword == "enum":
        return f"{here} must be one of {', '.join(map(str, expected))}"
    if keyword == "minLength" and expected == 1:
        return f"{here} must not be empty"
    if keyword == "pattern":
        return f"{here} does not match {expected}"
    if keyword == "minimum":
        return f"{here} must be at least {expected}"
    if keyword == "exclusiveMinimum":
        return f"{here} must be above {expected}"
    if keyword == "minItems":
        return f"{here} needs at least {expected} item(s)"
    if keyword == "oneOf":
        return f"{here} must match exactly one of its alternatives"
    return f"{here}: {error.message}"


def schema_errors(value, schema: dict) -> list[str]:
    """Return one message per violation, each naming the field (`examples[1].call`), in document order."""
    from jsonschema import Draft202012Validator  # imported here: only `practice validate` needs it

    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    return [_message(e) for e in errors]


def load_schema(bank_root: Path) -> dict:
    """The bank's own schema if it has one, else the one shipped with practice."""
    override = BankLayout(bank_root).schema_override_path
    path = override if override.is_file() else SHIPPED
    return json.loads(path.read_text(encoding="utf-8"))
