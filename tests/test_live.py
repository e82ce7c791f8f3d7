"""The live view, driven for real in a pseudo-terminal: keys typed, a file saved, the screen read."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import pytest

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.slow


def test_live_view_reruns_examples_on_save_and_takes_keys(practice_env, fixture_bank):
    env = {**os.environ, "NO_COLOR": "1", "PRACTICE_HOME": str(practice_env / "home"),
           "PRACTICE_WORKSPACE": str(practice_env / "ws"), "PRACTICE_BANK": str(fixture_bank)}
    child = pexpect.spawn(sys.executable, ["-m", "runner", "start", "D1"], env=env, dimensions=(50, 110),
                          encoding="utf-8", timeout=30)
    try:
        child.expect(r"\[q\]uit")
        child.expect("0 of 2 examples pass")
        path = practice_env / "ws" / "D1" / "double.py"
        time.sleep(0.05)
        shutil.copy(fixture_bank / "solutions/D1/reference.py", path)
        os.utime(path, None)
        child.expect("2 of 2 examples pass")
        child.send("h")
        child.expect("Hint 1 of 2")
        child.send("s")
        child.expect(r"Score 100/100")
        path.write_text("def double(x)\n")
        child.expect("could not be imported")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0

    from typer.testing import CliRunner

    from runner.cli import app

    runner = CliRunner()
    versions = runner.invoke(app, ["versions", "D1"])
    assert versions.exit_code == 0 and "Saved versions" in versions.stdout
    shown = runner.invoke(app, ["versions", "D1", "--show", "2"])
    assert "return x * 2" in shown.stdout
    restored = runner.invoke(app, ["versions", "D1", "--restore", "2"])
    assert restored.exit_code == 0
    assert "return x * 2" in path.read_text()
    assert any(p.read_text() == "def double(x)\n" for p in path.parent.glob("double.*.old.py"))
    history = json.loads(runner.invoke(app, ["history", "--json"]).stdout)
    assert [h["score"] for h in history["submissions"]] == [100]
    resumed = runner.invoke(app, ["start", "D1"])
    assert "Resumed" in resumed.stdout
