"""Instructor tooling on a bank built in the test: new, validate, every command on PRACTICE_BANK, batch grading
with CSV/JUnit/shards/merge, and the Gradescope autograder run locally in Gradescope's folder layout."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runner.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def bank(tmp_path, monkeypatch):
    root = tmp_path / "bank"
    (root / "exercises").mkdir(parents=True)
    monkeypatch.setenv("PRACTICE_BANK", str(root))
    monkeypatch.setenv("PRACTICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PRACTICE_WORKSPACE", str(tmp_path / "ws"))
    result = invoke("new", "7A", "--title", "Scale rows", "--topic", "warm up")
    assert result.exit_code == 0, result.output
    return root


def test_new_scaffold_validates_and_refuses_overwrite(bank):
    yaml_text = (bank / "exercises/7A/exercise.yaml").read_text()
    assert yaml_text.count("#") > 20  # every field explained
    assert "TODO" in (bank / "exercises/7A/solution.py").read_text()
    assert "@pytest.mark.points" in (bank / "hidden_tests/7A/test_7a.py").read_text()
    assert list((bank / "solutions/7A/wrong").glob("*.py"))
    again = invoke("new", "7a")
    assert again.exit_code == 2 and "already exists" in again.stderr
    ok = invoke("validate")
    assert ok.exit_code == 0, ok.output
    assert "✓ 7A" in ok.stdout and "1/1 wrong rejected" in ok.stdout


def test_every_command_works_on_a_bank_elsewhere(bank, tmp_path):
    assert json.loads(invoke("list", "--json").stdout)[0]["id"] == "7A"
    assert "Scale rows" in invoke("show", "7a").stdout
    assert invoke("start", "7A").exit_code == 0
    learner = tmp_path / "ws/7A/solution.py"
    assert "TODO" in learner.read_text()
    shutil.copy(bank / "solutions/7A/reference.py", learner)
    assert "2 of 2 examples pass" in invoke("run", "7A").stdout
    assert invoke("hint", "7A").exit_code == 0
    assert json.loads(invoke("submit", "7A", "--json").stdout)["score"] == 100
    assert "reference solution" in invoke("solution", "7A").stdout
    assert json.loads(invoke("history", "--json").stdout)["exercises"][0]["best"] == 100
    assert invoke("stats").exit_code == 0
    assert invoke("mock", "start", "--ids", "7A", "--minutes", "1").exit_code == 0
    assert invoke("mock", "finish", "--json").exit_code == 0
    assert invoke("export", "gradescope", "7A", "-o", tmp_path / "ag.zip").exit_code == 0


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_validate_names_each_problem_and_fails(bank):
    shutil.copy(bank / "solutions/7A/reference.py", bank / "solutions/7A/wrong/actually_right.py")
    tests = bank / "hidden_tests/7A/test_7a.py"
    tests.write_text(tests.read_text() + '\n\nSEEN = []\n\n\ndef test_zz_first(solution):\n    """records"""\n'
                     '    SEEN.append(1)\n\n\ndef test_zzz_second(solution):\n    """depends on order"""\n'
                     '    assert SEEN, "order dependent"\n')
    write(bank / "exercises/stray.md", "x")
    write(bank / "solutions/7A/notes.txt", "x")
    result = invoke("validate")
    assert result.exit_code == 1
    out = result.stdout
    assert "✗ 7A" in out
    assert "solutions/7A/wrong/actually_right.py: this known-wrong solution passes every hidden check" in out
    assert "gave different results on a second run" in out
    assert "✗ orphan exercises/stray.md" in out and "✗ orphan solutions/7A/notes.txt" in out


def test_validate_checks_schema_and_stub(bank):
    yaml_path = bank / "exercises/7A/exercise.yaml"
    original = yaml_path.read_text()
    yaml_path.write_text(original.replace("minutes: 10", "minutes: 10\nowner: me"))
    assert "schema: `owner` is not allowed" in invoke("validate", "7A").stdout
    yaml_path.write_text(original)
    stub = bank / "exercises/7A/solution.py"
    stub.write_text("import numpy as np\n\n\ndef scale_rows(x, factors):\n    return x * factors[:, None]\n")
    out = invoke("validate", "7A").stdout
    assert "the stub has no TODO markers" in out and "the untouched stub scores" in out


def make_class(bank: Path, folder: Path, n: int) -> dict[str, float]:
    """n submissions in every layout: files, student folders, broken ones; returns the expected scores."""
    ref = (bank / "solutions/7A/reference.py").read_text()
    wrong = (bank / "solutions/7A/wrong/scales_columns.py").read_text()
    expected = {}
    for i in range(n):
        kind = i % 5
        if kind == 0:
            write(folder / f"s{i:03d}.py", ref)
            expected[f"s{i:03d}"] = 100.0
        elif kind == 1:
            write(folder / f"s{i:03d}" / "solution.py", ref)
            expected[f"s{i:03d}"] = 100.0
        elif kind == 2:
            write(folder / f"s{i:03d}" / "anything.py", wrong)
            expected[f"s{i:03d}"] = 0.0  # broadcasts the wrong way: every check fails
        elif kind == 3:
            write(folder / f"s{i:03d}.py", "def scale_rows(x, factors)\n")
            expected[f"s{i:03d}"] = 0.0
        else:
            write(folder / f"s{i:03d}" / "a.py", ref)
            write(folder / f"s{i:03d}" / "b.py", ref)
            expected[f"s{i:03d}"] = 0.0  # ambiguous folder
    return expected


def test_grade_a_class_of_100(bank, tmp_path):
    expected = make_class(bank, tmp_path / "class", 98)
    write(tmp_path / "class" / "=1+2" / "solution.py", "def scale_rows(x, factors)\n")  # a formula, and broken
    write(tmp_path / "class" / "@SUM(A1)" / "solution.py", (bank / "solutions/7A/reference.py").read_text())
    expected.update({"=1+2": 0.0, "@SUM(A1)": 100.0})
    out_csv, out_xml = tmp_path / "scores.csv", tmp_path / "junit.xml"
    result = invoke("grade", "7A", tmp_path / "class", "--jobs", "2", "--json", "--csv", out_csv, "--junit", out_xml)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 100 and all("file" in r and "score" in r and "tests" in r for r in lines)
    by_student = {r["student"]: r for r in lines}
    for student, score in expected.items():
        if score is None:
            assert 0 < by_student[student]["score"] < 100
        else:
            assert by_student[student]["score"] == score, student
    assert "several .py files" in by_student["s004"]["error"]
    assert "Summary 100 submissions" in result.stderr and "100: 41" in result.stderr
    check_csv(out_csv, expected)
    check_junit(out_xml, expected)


def check_csv(path: Path, expected: dict[str, float]) -> None:
    """Read as a spreadsheet import would: every row out of the exercise's 5 points, formulas kept as text."""
    rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    assert len(rows) == len(expected)
    checks = ["test_matches_a_loop", "test_keeps_float32", "test_input_untouched", "test_rejects_wrong_length"]
    assert list(rows[0])[-4:] == checks
    by_student = {r["student"]: r for r in rows}
    assert set(by_student) == {"'" + s if s[0] in "=@" else s for s in expected}
    for row in rows:
        assert float(row["max_points"]) == 5.0, row  # also rows that could not be graded
        assert all(row[c] in ("0.0", "1.0", "2.0") for c in checks), row
        assert float(row["points"]) / float(row["max_points"]) * 100 == float(row["score"])
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values()), row
    assert by_student["'=1+2"]["status"] == "error" and by_student["'=1+2"]["test_matches_a_loop"] == "0.0"
    assert by_student["'@SUM(A1)"]["score"] == "100.0"
    assert rows[0]["student"] == "'=1+2" and rows[-1]["student"] == "s097"  # sorted once finished


def check_junit(path: Path, expected: dict[str, float]) -> None:
    """Read with junitparser: one suite per student, testcases named by student (classname) and timed."""
    from junitparser import Error, Failure, JUnitXml

    xml = JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == set(expected)
    for student, suite in suites.items():
        cases = list(suite)
        assert len(cases) == 4 and {c.classname for c in cases} == {student}
        assert all(c.time is not None and c.time >= 0 for c in cases)
        if student[0] == "s" and int(student[1:]) % 5 in (0, 1, 2):  # graded (the rest never ran a check)
            assert suite.time > 0 and sum(c.time for c in cases) > 0, student
        elif student[0] == "s":
            assert sum(c.time for c in cases) == 0, student
        passed = sum(c.is_passed for c in cases)
        assert (passed == 4) == (expected[student] == 100), student
    broken = list(suites["=1+2"])
    assert all(isinstance(c.result[0], Error) and "not run" in c.result[0].message for c in broken)
    assert any(isinstance(r, Failure) for c in suites["s002"] for r in c.result)


def test_interrupted_grade_keeps_what_finished(bank, tmp_path):
    """Ctrl-C in the middle of a batch (a real SIGINT to a real process): CSV rows and JSON lines so far remain."""
    import signal

    slow = "import time\nimport numpy as np\n\n\ndef scale_rows(x, factors):\n    time.sleep(0.15)\n" \
           "    return x * np.asarray(factors)[:, None]\n"
    for i in range(40):
        write(tmp_path / "class" / f"s{i:02d}.py", slow)
    out_csv, out_xml = tmp_path / "scores.csv", tmp_path / "junit.xml"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "runner", "grade", "7A", str(tmp_path / "class"), "--jobs", "1",
                             "--json", "--csv", str(out_csv), "--junit", str(out_xml)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal,
    # even where this suite runs with SIGINT ignored (a background job of a non-interactive shell passes that on)
    lines = [proc.stdout.readline(), proc.stdout.readline()]  # two results are out: interrupt the third or so
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    lines += rest.splitlines()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    graded = [json.loads(line) for line in lines if line.strip()]
    assert 2 <= len(graded) < 40
    rows = list(csv.DictReader(out_csv.open(newline="")))
    assert sorted(r["student"] for r in rows) == sorted(g["student"] for g in graded)
    assert all(float(r["max_points"]) == 5.0 for r in rows)
    from junitparser import JUnitXml

    assert sorted(suite.name for suite in JUnitXml.fromfile(str(out_xml))) == sorted(g["student"] for g in graded)


def test_shards_merge_to_the_whole(bank, tmp_path, monkeypatch):
    make_class(bank, tmp_path / "class", 12)
    whole = [json.loads(line) for line in invoke("grade", "7A", tmp_path / "class", "--json").stdout.splitlines()]
    files = []
    for i in (1, 2, 3):  # shard 1 as a CI matrix gives it, 2 as Slurm array task 11 of 10-12, 3 as Kubernetes index 2
        if i == 1:
            out = invoke("grade", "7A", tmp_path / "class", "--json", "--shard", "1/3")
        elif i == 2:
            for name, value in (("ID", 11), ("MIN", 10), ("MAX", 12), ("COUNT", 3)):
                monkeypatch.setenv(f"SLURM_ARRAY_TASK_{name}", str(value))
            out = invoke("grade", "7A", tmp_path / "class", "--json", "--shard", "auto")
        else:
            for name in ("ID", "MIN", "MAX", "COUNT"):
                monkeypatch.delenv(f"SLURM_ARRAY_TASK_{name}")
            monkeypatch.setenv("JOB_COMPLETION_INDEX", "2")
            out = invoke("grade", "7A", tmp_path / "class", "--json", "--shard", "auto", "--shard-count", "3")
        assert out.exit_code == 0, out.output
        files.append(tmp_path / f"shard{i}.jsonl")
        files[-1].write_text(out.stdout)
    assert sum(len(f.read_text().splitlines()) for f in files) == 12
    merged = invoke("grade", "merge", *files, "--json", "--csv", tmp_path / "m.csv")
    assert merged.exit_code == 0
    got = [json.loads(line) for line in merged.stdout.splitlines()]

    def key(r):
        return r["student"], r["score"], [(t["name"], t["outcome"]) for t in r["tests"]]

    assert sorted(map(key, got)) == sorted(map(key, whole))
    assert invoke("grade", "7A", tmp_path / "class", "--shard", "4/3").exit_code == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert invoke("grade", "merge", bad).exit_code == 2


# Gradescope's results.json as its autograder specification describes it (gradescope-autograders.readthedocs.io,
# "Autograder Specifications"), for the fields this export writes.
VISIBILITY = {"enum": ["visible", "hidden", "after_due_date", "after_published"]}
RESULTS_SPEC = {
    "type": "object", "required": ["score", "tests"], "additionalProperties": False,
    "properties": {
        "score": {"type": "number", "minimum": 0}, "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"}, "visibility": VISIBILITY, "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object", "required": ["score", "max_score", "name", "visibility", "output"],
            "additionalProperties": False,
            "properties": {"score": {"type": "number", "minimum": 0}, "max_score": {"type": "number", "minimum": 0},
                           "status": {"enum": ["passed", "failed"]}, "name": {"type": "string", "minLength": 1},
                           "number": {"type": "string"}, "output": {"type": "string"}, "tags": {"type": "array"},
                           "visibility": VISIBILITY}}},
    },
}


def export_and_unpack(zip_path: Path, root: Path, *options) -> tuple[list[str], str]:
    """`practice export gradescope`, unpacked as Gradescope does: source/, and run_autograder copied to the root."""
    out = invoke("export", "gradescope", "7A", "-o", zip_path, *options)
    assert out.exit_code == 0, out.output
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    os.chmod(root / "run_autograder", 0o755)
    return names, out.stdout


def run_autograder(root: Path, files: dict[str, str]) -> tuple[dict, str]:
    """One student's submission through the exported run_autograder; results.json checked against the spec."""
    from jsonschema import validate

    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    for name, text in files.items():
        write(root / "submission" / name, text)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    env.pop("PRACTICE_BANK")
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results, RESULTS_SPEC)
    assert results["score"] == round(sum(t["score"] for t in results["tests"]), 4)  # score agrees with tests
    return results, done.stdout


def test_gradescope_zip_runs_in_gradescope_layout(bank, tmp_path):
    yaml_path = bank / "exercises/7A/exercise.yaml"  # a hanging submission should cost little test time
    yaml_path.write_text(yaml_path.read_text().replace("\nlimits:", "\nlimits:\n  call_seconds: 1", 1))
    root = tmp_path / "autograder"
    names, said = export_and_unpack(tmp_path / "autograder.zip", root)
    assert "setup.sh" in names and "run_autograder" in names
    assert not [n for n in names if "solutions/" in n or "reference" in n or n.endswith(".npz")]
    assert "autograder points to 5 (4 checks)" in " ".join(said.split())
    ref = (bank / "solutions/7A/reference.py").read_text()
    cases = {"right": ({"solution.py": ref}, 5.0),
             "broken": ({"solution.py": "def scale_rows(x, factors)\n"}, 0.0),
             "hangs": ({"solution.py": "def scale_rows(x, factors):\n    while True:\n        pass\n"}, 0.0)}
    for name, (files, score) in cases.items():
        results, stdout = run_autograder(root, files)
        assert results["score"] == score, (name, results)
        assert sum(t["max_score"] for t in results["tests"]) == 5.0, name  # every check listed, also when broken
        assert {t["visibility"] for t in results["tests"]} == {"visible"}
        assert f"Score {score:g}/5" in results["output"]
        assert stdout.startswith(f"practice 7A: solution.py: score {score:g}/5"), stdout  # the instructor's log
    assert "timeout" in " ".join(t["output"] for t in results["tests"])

    root = tmp_path / "autograder-100"
    export_and_unpack(tmp_path / "ag100.zip", root, "--total", "100", "--visibility", "after_due_date")
    helper = "import numpy as np\n\n\ndef by_rows(x, f):\n    return x * np.asarray(f, dtype=x.dtype)[:, None]\n"
    uses_helper = ("from rowhelp import by_rows\n\n\ndef scale_rows(x, factors):\n    if len(factors) != len(x):\n"
                   "        raise ValueError('length')\n    return by_rows(x, factors)\n")
    results, stdout = run_autograder(root, {"solution.py": uses_helper, "rowhelp.py": helper})
    assert results["score"] == 100.0 and "Score 100/100" in results["output"], results
    assert {t["visibility"] for t in results["tests"]} == {"after_due_date"}
    assert results["visibility"] == "after_due_date"
    assert sorted(t["max_score"] for t in results["tests"]) == [20.0, 20.0, 20.0, 40.0]
    assert invoke("export", "gradescope", "7A", "-o", tmp_path / "x.zip", "--visibility", "soon").exit_code == 2


def test_gradescope_zip_carries_only_the_fixtures_the_exercise_uses():
    from runner.bank import Bank
    from runner.config import REPO_ROOT
    from runner.gradescope import bank_files

    bank = Bank(REPO_ROOT)
    names = {e: {p.name for p in bank_files(bank, bank.get(e))} for e in ("1A", "4C", "E13")}
    assert not any(n.endswith(".npz") or n == "model.py" for n in names["1A"])
    assert {n for n in names["4C"] if n.endswith(".npz")} == {"handmade-2l.npz", "induction-2l.npz"}
    assert "model.py" in names["E13"] and not any(n.endswith(".npz") for n in names["E13"])
    assert not any("reference" in n or n.startswith("build_") for ns in names.values() for n in ns)


def test_csv_cells_that_a_spreadsheet_would_evaluate_stay_text(tmp_path):
    """OWASP's list: = + - @ tab and carriage return at the start; numbers are left as numbers."""
    from runner.batch import csv_cell, write_csv

    for risky in ("=1+2", "+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\tx", "\rx"):
        assert csv_cell(risky) == "'" + risky
    assert [csv_cell(v) for v in ("s001", "a=b", "", 0.0, -1.5, 16)] == ["s001", "a=b", "", 0.0, -1.5, 16]
    record = {"student": "-1", "file": "@x.py", "status": "error", "score": 0.0, "points": 0.0, "max_points": 5.0,
              "passed": 0, "total": 1, "error": "=HYPERLINK(\"http://x\")",
              "tests": [{"name": "test_a", "points": 0.0}]}
    write_csv([record], tmp_path / "x.csv")
    row = next(csv.DictReader((tmp_path / "x.csv").open(newline="")))
    assert (row["student"], row["file"], row["error"], row["test_a"]) == ("'-1", "'@x.py", "'=HYPERLINK(\"http://x\")",
                                                                          "0.0")
