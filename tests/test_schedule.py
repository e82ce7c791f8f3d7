"""`practice next`: ratings from a scripted history, the FSRS queue at a fixed clock (golden), the CLI, mock "due"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from runner.mock import Preset, Slot, draw
from runner.schedule import plan
from runner.store import Store

GOLDEN = Path(__file__).parent / "golden" / "schedule_queue.json"
DAY, MIN = 86400.0, 60.0
T0 = 1767225600.0  # 2026-01-01 00:00 UTC
NOW = T0 + 5 * DAY + 9 * 3600


class Ex:
    def __init__(self, id, topic, difficulty="easy"):
        self.id, self.topic, self.difficulty = id, topic, difficulty

    def __repr__(self):
        return self.id


# The bank's order and topics (a copy, so the golden file follows the scheduler, not bank edits).
BANK = [Ex(i, t) for i, t in [
    ("1A", "attention"), ("1B", "attention"), ("1C", "attention"), ("1D", "attention"), ("2A", "layernorm"),
    ("2B", "layernorm"), ("2C", "residual-stream"), ("2D", "layernorm"), ("3A", "circuits"), ("3B", "circuits"),
    ("3C", "circuits"), ("3D", "circuits"), ("4A", "superposition"), ("E3", "numerics"), ("E11", "attention"),
    ("E20", "numerics")]]


def _submit(store, exercise, attempt, at, score, state="graded", counted=True):
    elapsed = None if attempt is None else at - attempt.started_at
    sid = store.begin_submission(exercise, attempt.id if attempt else None, "/f.py", "src", elapsed, now=at,
                                 session_id=attempt.session_id if attempt else None, counted=counted)
    if state == "interrupted":
        store.interrupt_submission(sid, "grading was stopped")
    else:
        store.finish_submission(sid, state, score, score / 10, 10.0, None, "{}")


def scripted_history(store: Store) -> None:
    """Five days of practice, one of each kind of result."""
    a = store.start_attempt("1A", "/w/1A.py", 15 * MIN, now=T0)  # a failed try, then solved in 9:00: good
    _submit(store, "1A", a, T0 + 5 * MIN, 60.0)
    _submit(store, "1A", a, T0 + 9 * MIN, 100.0)
    a = store.start_attempt("1B", "/w/1B.py", 15 * MIN, now=T0 + 1 * 3600)  # a hint before solving: hard
    store.add_hint(a.id, now=T0 + 3600 + 2 * MIN)
    _submit(store, "1B", a, T0 + 3600 + 10 * MIN, 100.0)
    a = store.start_attempt("2A", "/w/2A.py", 15 * MIN, now=T0 + DAY)  # never solved: again
    _submit(store, "2A", a, T0 + DAY + 14 * MIN, 40.0)
    a = store.start_attempt("E3", "/w/E3.py", 10 * MIN, now=T0 + DAY + 3600)  # first try in 3:00 of 10:00: easy
    _submit(store, "E3", a, T0 + DAY + 3600 + 3 * MIN, 100.0)
    store.add_hint(a.id, now=T0 + DAY + 3600 + 4 * MIN)  # after solving: does not lower the rating
    a = store.start_attempt("1C", "/w/1C.py", 20 * MIN, now=T0 + 2 * DAY)  # 25:00 of 20:00: hard
    _submit(store, "1C", a, T0 + 2 * DAY + 25 * MIN, 100.0)
    a = store.start_attempt("2B", "/w/2B.py", 25 * MIN, now=T0 + 2 * DAY + 3600)  # only viewed the solution
    store.mark_solution_viewed(a.id, now=T0 + 2 * DAY + 3600 + 20 * MIN)
    a = store.start_attempt("1D", "/w/1D.py", 35 * MIN, now=T0 + 3 * DAY)  # solved after the solution: hard
    store.mark_solution_viewed(a.id, now=T0 + 3 * DAY + 10 * MIN)
    _submit(store, "1D", a, T0 + 3 * DAY + 20 * MIN, 100.0)
    a = store.start_attempt("3A", "/w/3A.py", 20 * MIN, now=T0 + 3 * DAY + 3600)  # interrupted: no review
    _submit(store, "3A", a, T0 + 3 * DAY + 3600 + 5 * MIN, 0.0, state="interrupted")
    _submit(store, "E11", None, T0 + 3 * DAY + 2 * 3600, 100.0)  # no attempt started: good
    s = store.create_session("oa", '["3B", "3C"]', 1, T0 + 4 * DAY, T0 + 4 * DAY + 30 * MIN)
    a = store.start_attempt("3B", "/w/m/3B.py", 10 * MIN, now=T0 + 4 * DAY, session_id=s.id)  # in time: good
    _submit(store, "3B", a, T0 + 4 * DAY + 20 * MIN, 100.0)
    a = store.start_attempt("3C", "/w/m/3C.py", 40 * MIN, now=T0 + 4 * DAY, session_id=s.id)  # late: hard
    _submit(store, "3C", a, T0 + 4 * DAY + 35 * MIN, 100.0, counted=False)


def _plan(tmp_path, now=NOW):
    store = Store(tmp_path / "db.sqlite")
    scripted_history(store)
    return plan(BANK, store.attempts(), store.submissions(), now)


def _summary(p) -> dict:
    return {"ratings": {c.exercise: f"{c.last_why} ({c.last_rating})" for c in p.by_due},
            "queue": [{"exercise": k.exercise, "reason": k.reason, "why": k.why} for k in p.picks],
            "cards": [p.card_dict(c) for c in p.by_due]}


def test_queue_for_a_scripted_history_is_golden(tmp_path):
    got = _summary(_plan(tmp_path))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))
    ratings = got["ratings"]
    assert ratings["1A"].endswith("(3)") and ratings["1B"] == "solved with 1 hint (2)"
    assert ratings["2A"] == "not solved (best 40) (1)" and ratings["E3"].startswith("solved fast (3:00 of 10:00")
    assert ratings["1C"].startswith("solved over the time limit (25:00 of 20:00)") and ratings["2B"].endswith("(1)")
    assert ratings["1D"] == "solved after viewing the solution (2)" and "3A" not in ratings
    assert ratings["3B"] == "solved in a mock (3)" and ratings["3C"] == "solved after the mock's deadline (2)"
    queue = got["queue"]
    # failed ones come back first (most overdue first), then a new one from the weakest topic, then the rest
    assert [q["exercise"] for q in queue[:2]] == ["2A", "2B"] and {q["reason"] for q in queue[:2]} == {"due"}
    weakest = next(q for q in queue if q["reason"] != "due")
    assert weakest["reason"] == "weakest-topic" and weakest["exercise"] == "2D"
    assert [q["exercise"] for q in queue if q["reason"] == "new"] == ["2C", "3A", "3D", "4A", "E20"]
    assert sorted(q["exercise"] for q in queue) == sorted(e.id for e in BANK)


def test_queue_moves_with_the_clock(tmp_path):
    p = _plan(tmp_path, now=T0 + 2 * DAY + 2 * 3600)  # on day 2 (the reviews after it do not exist yet)
    assert [(k.exercise, k.reason) for k in p.picks[:4]] == [("2A", "due"), ("1B", "due"), ("1A", "due"),
                                                             ("2D", "weakest-topic")]
    assert set(p.cards) == {"1A", "1B", "2A", "E3", "1C", "2B"}
    assert p.picks[-1].reason == "ahead" and p.picks[-1].exercise == "E3"
    later = _plan(tmp_path / "later", now=T0 + 60 * DAY)  # two months on, everything is due
    assert {k.reason for k in later.picks[:len(later.cards)]} == {"due"}
    assert later.picks[0].exercise == "2A"  # the oldest review of a failed exercise


def test_nothing_practised_starts_with_the_first_exercise(tmp_path):
    p = plan(BANK, [], [], NOW)
    assert [(k.exercise, k.reason) for k in p.picks[:3]] == [("1A", "new"), ("1B", "new"), ("1C", "new")]


def test_mock_due_preset_draws_from_the_queue(tmp_path):
    p = _plan(tmp_path)
    queue = [k.exercise for k in p.picks]
    preset = Preset("due", "due", 45, (Slot(draw="due", count=3),), "as-listed")
    assert [e.id for e in draw(preset, BANK, seed=1, queue=queue)] == queue[:3] == ["2A", "2B", "1B"]
    fresh = [k.exercise for k in plan(BANK, [], [], NOW).picks]  # nothing due: new items, in the bank's order
    assert [e.id for e in draw(preset, BANK, seed=1, queue=fresh)] == ["1A", "1B", "1C"]
    themed = Preset("due", "due", 45, (Slot(prefix="E", draw="due", count=2),), "as-listed")
    assert [e.id for e in draw(themed, BANK, seed=1, queue=queue)] == ["E11", "E20"]


def test_bank_preset_due_loads():
    from runner.mock import load_presets

    _, presets = load_presets(Path(__file__).parents[1])
    assert presets["due"].slots == (Slot(count=3, draw="due"),)


def test_cli_next_and_stats(practice_env):
    from runner.cli import app
    from runner.config import resolve_locations

    now = time.time()
    store = Store(resolve_locations(None).database)
    a = store.start_attempt("D1", "/w/D1.py", 300, now=now - 3 * DAY - 600)
    _submit(store, "D1", a, now - 3 * DAY - 300, 50.0)
    store.close()
    runner = CliRunner()
    assert runner.invoke(app, ["next", "--help"]).exit_code == 0
    result = runner.invoke(app, ["next", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert (got["exercise"], got["reason"], got["command"], got["due"]) == ("D1", "due", "practice start D1", 1)
    assert got["why"].startswith("due for review 2 days ago: last time not solved (best 50) (again), 3 days ago")
    result = runner.invoke(app, ["next"])
    assert result.exit_code == 0 and "Next: D1" in result.stdout and "Start: practice start D1" in result.stdout
    result = runner.invoke(app, ["stats", "--json"])
    reviews = json.loads(result.stdout)["reviews"]
    assert [(r["exercise"], r["is_due"], r["when"], r["last_rating"]) for r in reviews] == [
        ("D1", True, "due 2 days ago", "again")]
    result = runner.invoke(app, ["stats"])
    assert "Reviews" in result.stdout and "due 2 days ago" in result.stdout and "1 due now" in result.stdout


def test_list_does_not_import_fsrs(practice_env):
    code = "import runpy, sys; sys.argv = ['practice', 'list']\ntry:\n    runpy.run_module('runner', run_name=" \
           "'__main__')\nexcept SystemExit:\n    pass\nprint('FSRS' if 'fsrs' in sys.modules else 'no fsrs')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ))
    assert out.stdout.strip().splitlines()[-1] == "no fsrs", out.stderr
