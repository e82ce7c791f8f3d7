"""exercise.yaml loading: strict schema, one-line errors naming the file, the field and the fix."""

from __future__ import annotations

import shutil

import pytest
import yaml

from runner.bank import Bank, load_exercise
from runner.errors import BankError, UnknownExercise


@pytest.fixture
def bank(tmp_path, fixture_bank):
    shutil.copytree(fixture_bank, tmp_path / "bank")
    return tmp_path / "bank"


def edit(bank, change):
    path = bank / "exercises" / "D1" / "exercise.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def error_for(bank) -> str:
    with pytest.raises(BankError) as info:
        load_exercise(bank, "D1")
    line = info.value.one_line()
    assert "\n" not in line
    assert "exercise.yaml" in line
    return line


def test_loads_into_frozen_dataclasses(fixture_bank):
    exercise = Bank(fixture_bank).get("d1")
    assert exercise.id == "D1" and exercise.functions == ("double",)
    assert exercise.examples[0].expect.startswith("np.array")
    assert exercise.limits.call_seconds == 2 and exercise.limits.memory_mb == 2048
    with pytest.raises(AttributeError):
        exercise.title = "x"


def test_unknown_key_suggests_the_right_one(bank):
    edit(bank, lambda d: d.update(hints_text=["x"]))
    assert "field `hints_text` is not a known key" in error_for(bank)


def test_missing_field(bank):
    edit(bank, lambda d: d.pop("prompt"))
    assert "field `prompt` is missing" in error_for(bank)


def test_wrong_types_and_values(bank):
    edit(bank, lambda d: d.update(difficulty="brutal"))
    assert "field `difficulty` is 'brutal'. Use one of: easy, medium, hard" in error_for(bank)
    edit(bank, lambda d: d.update(difficulty="easy", minutes=-3))
    assert "field `minutes` must be a number above 0" in error_for(bank)


def test_nested_field_is_named(bank):
    edit(bank, lambda d: d["examples"][1].update(expect="1"))
    assert "field `examples[1]` needs exactly one of expect, check or raises" in error_for(bank)
    edit(bank, lambda d: d.update(examples=[], limits={"call_secs": 3}))
    assert "field `limits.call_secs` is not a known key" in error_for(bank)


def test_id_must_match_folder(bank):
    edit(bank, lambda d: d.update(id="D2"))
    assert "field `id` is 'D2' but the folder is 'D1'" in error_for(bank)


def test_missing_stub(bank):
    edit(bank, lambda d: d.update(stub="nope.py"))
    assert "field `stub` names 'nope.py', which does not exist" in error_for(bank)


def test_broken_yaml_names_the_line(bank):
    (bank / "exercises" / "D1" / "exercise.yaml").write_text("format: 1\nid: [D1\n")
    assert "YAML error at line" in error_for(bank)


def test_unknown_id(fixture_bank):
    with pytest.raises(UnknownExercise) as info:
        Bank(fixture_bank).get("zz")
    assert "no exercise `zz`" in info.value.one_line()


def test_missing_bank(tmp_path):
    with pytest.raises(BankError) as info:
        Bank(tmp_path)
    assert "PRACTICE_BANK" in info.value.one_line()


def test_real_bank_loads():
    from runner.config import REPO_ROOT

    bank = Bank(REPO_ROOT)
    assert bank.ids[:4] == ["1A", "1B", "1C", "1D"] or bank.ids[0] == "1A"
    for exercise in bank.all():
        assert exercise.prompt.strip()


def test_parse_cache_follows_edits(bank, tmp_path):
    first = Bank(bank, cache_dir=tmp_path / "cache").get("D1")
    assert list((tmp_path / "cache").glob("bank-*.json"))
    edit(bank, lambda d: d.update(title="Triple it"))
    path = bank / "exercises" / "D1" / "exercise.yaml"
    import os

    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second = Bank(bank, cache_dir=tmp_path / "cache").get("D1")
    assert (first.title, second.title) == ("Double it", "Triple it")
