"""exercise.yaml against the JSON Schema through `jsonschema`: one message per violation naming the field, and
`practice list` never imports jsonschema."""

from __future__ import annotations

import subprocess
import sys

from runner.config import REPO_ROOT
from runner.schema import SHIPPED, load_schema, schema_errors

GOOD = {"format": 1, "id": "7A", "title": "Scale rows", "topic": "warm up", "difficulty": "easy", "minutes": 10,
        "stub": "solution.py", "functions": ["scale_rows"], "prompt": "Write it."}


def test_the_shipped_schema_is_a_valid_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(load_schema(REPO_ROOT))
    assert load_schema(REPO_ROOT / "nowhere") == load_schema(SHIPPED.parent.parent / "no-bank")
    assert schema_errors(GOOD, load_schema(REPO_ROOT)) == []


def test_each_violation_is_one_line_naming_the_field():
    bad = {**GOOD, "owner": "me", "format": 2, "difficulty": "trivial", "minutes": 0, "title": "", "id": "7 A",
           "tags": ["ok", 3]}
    del bad["prompt"]
    errors = schema_errors(bad, load_schema(REPO_ROOT))
    assert "`owner` is not allowed" in errors
    assert "`prompt` is required" in errors
    assert "`format` must be 1" in errors
    assert "`difficulty` must be one of easy, medium, hard" in errors
    assert "`minutes` must be above 0" in errors
    assert "`title` must not be empty" in errors
    assert any(e.startswith("`id` does not match") for e in errors)
    assert "`tags[1]` must be of type string" in errors
    assert len(errors) == 8


def test_practice_list_does_not_import_jsonschema():
    code = ("import sys\nfrom runner.cli import app\ntry:\n    app(['list', '--json'])\nexcept SystemExit:\n    pass\n"
            "print('jsonschema' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr
