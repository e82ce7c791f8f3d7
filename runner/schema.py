"""Check data against the shipped JSON Schema (the subset of draft 2020-12 that exercise.schema.json uses)."""

from __future__ import annotations

import json
import re
from pathlib import Path

SCHEMA_FILE = "exercise.schema.json"
SHIPPED = Path(__file__).resolve().parent / SCHEMA_FILE  # a bank may override it with exercises/exercise.schema.json


def _type_ok(value, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return kind == "null" and value is None


def schema_errors(value, schema: dict, where: str = "") -> list[str]:
    """Return one message per violation, each naming the field (`examples[1].call`)."""
    here = where or "(top level)"
    if "const" in schema and value != schema["const"]:
        return [f"`{here}` must be {schema['const']!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"`{here}` must be one of {', '.join(map(str, schema['enum']))}"]
    kinds = schema.get("type")
    if kinds is not None and not any(_type_ok(value, k) for k in ([kinds] if isinstance(kinds, str) else kinds)):
        return [f"`{here}` must be of type {' or '.join([kinds] if isinstance(kinds, str) else kinds)}"]
    errors: list[str] = []
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"`{here}` must not be empty")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"`{here}` does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"`{here}` must be at least {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"`{here}` must be above {schema['exclusiveMinimum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"`{here}` needs at least {schema['minItems']} item(s)")
        for i, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), f"{where}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"`{where + '.' if where else ''}{key}` is required")
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if key in props:
                errors += schema_errors(item, props[key], name)
            elif schema.get("additionalProperties") is False:
                errors.append(f"`{name}` is not allowed")
        if "oneOf" in schema:
            matching = sum(not schema_errors(value, option, where) for option in schema["oneOf"])
            if matching != 1:
                errors.append(f"`{here}` must match exactly one of its alternatives (found {matching})")
    return errors


def load_schema(bank_root: Path) -> dict:
    """The bank's own schema if it has one, else the one shipped with practice."""
    from runner.bank import BankLayout

    override = BankLayout(bank_root).schema_override_path
    path = override if override.is_file() else SHIPPED
    return json.loads(path.read_text(encoding="utf-8"))
