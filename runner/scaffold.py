"""`practice new`: scaffold an exercise that already validates, for the author to turn into theirs."""

from __future__ import annotations

import re
from pathlib import Path

from runner.bank import ID_PATTERN, BankLayout
from runner.errors import UsageError, WorkspaceError

BANK_DOCS = ("SCHEMA.md", "CONVENTIONS.md")  # copied from the built-in bank into a new one

BANK_README = '''\
# {name}: an exercise bank for `practice`

A bank is three folders; each exercise has the same id in all of them:

    exercises/<ID>/exercise.yaml   the prompt, examples, hints, limits (exercises/SCHEMA.md explains each field)
    exercises/<ID>/<stub>.py       the file learners start from
    exercises/_support/            optional library code for learners and checks (import it by name)
    exercises/presets.yaml         optional mock OA presets (`practice mock start`)
    hidden_tests/<ID>/test_*.py    the hidden checks (pytest; learner code only through the `solution` fixture)
    solutions/<ID>/reference.py    the reference (must score 100), answers.md, wrong/*.py (each must fail)

Work on it (from anywhere):

    practice new --bank {root} 5A          # scaffold an exercise that validates as is
    practice --bank {root} validate        # prove every exercise sound: schema, reference 100, stub 0, ...
    practice --bank {root} list            # what learners see

Use it by default: put `bank = "{root}"` in $PRACTICE_HOME/config.toml (~/.practice/config.toml), or set
PRACTICE_BANK. `--bank` and PRACTICE_BANK win over the config file. practice uses one bank at a time.

`practice validate` checks exercise.yaml against the schema shipped with practice; to extend it, put your
own exercises/exercise.schema.json here. Keep the bank in git. Whoever has the bank has its solutions: for
graded work, give learners a grader that leaves them out (`practice export gradescope`).
'''

EXERCISE_YAML = '''\
# exercise.yaml — every field is explained here; exercises/SCHEMA.md and exercises/exercise.schema.json say more.
# `practice validate {id}` checks this file against the schema, then proves the exercise sound.

format: 1                      # format version: always 1
id: {id}                       # must equal the folder name; learners type it in any case
title: {title}
topic: {topic}                 # one main topic; mock presets can draw by topic
tags: [{topic}]                # more themes (optional)
difficulty: easy               # easy | medium | hard
minutes: 10                    # the time limit the clock counts down from
stub: solution.py              # the file in this folder copied to the learner's workspace
functions: [scale_rows]        # functions the learner's file must define (checked before grading)

# The prompt is Markdown. State exact signatures, shapes, dtypes, edge cases and what raises.
prompt: |
  Write `scale_rows(x, factors)`.

  - `x` is a float array `[n, d]`; `factors` is `[n]`.
  - Return `x` with row `i` multiplied by `factors[i]`, same shape and dtype as `x`
    (float32 stays float32).
  - Never modify `x` in place.
  - If `factors` does not have length `n`, raise `ValueError`.

# Visible examples for `practice run` (not scored). `call` is evaluated with numpy as `np` and the learner's
# functions; give exactly one of `expect` (a value, compared with rtol/atol), `check` (an expression over
# `result`) or `raises` (an exception name).
examples:
  - call: scale_rows(np.ones((2, 3)), np.array([2.0, -1.0]))
    expect: np.array([[2.0, 2.0, 2.0], [-1.0, -1.0, -1.0]])
  - call: scale_rows(np.ones((2, 3)), np.array([1.0]))
    raises: ValueError

constraints:
  imports: numpy-only          # numpy-only (no torch, jax, tensorflow, scipy, ...) or any
  forbid: []                   # more module names learner code may not import
  notes: ["Broadcasting does it in one line."]

hints:                         # revealed one at a time by `practice hint {id}`
  - "`factors[:, None]` has shape `[n, 1]` and broadcasts across each row."
  - Multiplying creates a new array, so `x` is untouched.

questions:                     # written questions; model answers go in solutions/{id}/answers.md
  - id: Q1
    text: Why does `factors[:, None]` broadcast across rows rather than columns?

limits:                        # sandbox limits (optional; these are the defaults)
  # Time limits (call_cpu_seconds, call_seconds, run_seconds) are best left out: they follow the reference's
  # measured cost, which `practice validate` writes to timing.json (exercises/SCHEMA.md, "Time limits").
  memory_mb: 2048              # address-space cap of the learner process
  output_kb: 64                # learner output kept
'''

STUB = '''\
"""{title}: write `scale_rows` below. See the prompt with `practice show {id}`."""

import numpy as np


def scale_rows(x, factors):
    """Multiply row i of x ([n, d]) by factors[i] ([n]); same shape and dtype as x."""
    raise NotImplementedError  # TODO: scale each row of x by its factor
'''

TESTS = '''\
"""Hidden checks for {id}. Learner code is reached only through the `solution` fixture."""

import numpy as np
import pytest

from runner.checks import assert_close, assert_dtype, assert_not_modified


@pytest.mark.points(2)
def test_matches_a_loop(solution):
    """each row is scaled by its own factor"""  # the first docstring line is what learners see
    rng = np.random.default_rng(0)
    x, factors = rng.normal(size=(4, 3)), rng.normal(size=4)
    expected = np.array([x[i] * factors[i] for i in range(4)])  # an independent computation
    assert_close(solution.scale_rows(x, factors), expected, what="scaled rows")


def test_keeps_float32(solution):
    """float32 input stays float32"""
    x = np.ones((2, 3), dtype=np.float32)
    assert_dtype(solution.scale_rows(x, np.array([2, 3], dtype=np.float32)), np.float32)


def test_input_untouched(solution):
    """leaves the input array unchanged"""
    x = np.arange(6.0).reshape(2, 3)
    solution.scale_rows(x, np.array([2.0, 3.0]))
    assert_not_modified(x, "x")  # learner code only ever changes copies; the sandbox reports what it touched


def test_rejects_wrong_length(solution):
    """raises ValueError when factors does not match the rows"""
    with pytest.raises(ValueError):
        solution.scale_rows(np.ones((3, 2)), np.ones(2))
'''

REFERENCE = '''\
import numpy as np


def scale_rows(x, factors):
    factors = np.asarray(factors)
    if factors.shape != (x.shape[0],):
        raise ValueError(f"factors must have shape ({x.shape[0]},), got {factors.shape}")
    return x * factors[:, None].astype(x.dtype)
'''

WRONG = '''\
"""Mistake: multiplies by factors directly, which broadcasts along columns instead of rows."""
import numpy as np


def scale_rows(x, factors):
    return x * np.asarray(factors)
'''

ANSWERS = '''\
## Q1

`factors[:, None]` has shape `[n, 1]`. Broadcasting aligns trailing axes: the size-1 axis stretches across
the `d` columns, so entry `[i, j]` is multiplied by `factors[i]`: the same factor along each row.
'''


def scaffold(bank_root: Path, exercise_id: str, title: str | None = None, topic: str | None = None) -> list[Path]:
    """Write the exercise's files; refuse to touch an existing id."""
    if not ID_PATTERN.match(exercise_id):
        raise UsageError(f"`{exercise_id}` is not a valid id", fix="Use letters, digits, - and _ (e.g. 5A).")
    from runner.config import installed_bank

    layout = BankLayout(bank_root)
    installed = installed_bank()
    if installed is not None and Path(bank_root).resolve() == installed.resolve():
        raise UsageError("the built-in bank is part of the installed package, not a place for your exercises",
                         fix="Create a bank of your own: practice bank init DIR, then practice new --bank DIR ID.")
    if not layout.exercises_dir.is_dir():
        raise UsageError(f"{bank_root} is not a bank (it has no exercises/ folder)",
                         fix=f"Create one first: practice bank init {bank_root}")
    existing = {p.name.upper() for folder in (layout.exercises_dir, layout.hidden_tests_dir, layout.solutions_dir)
                if folder.is_dir() for p in folder.iterdir()}
    if exercise_id.upper() in existing:
        raise UsageError(f"exercise `{exercise_id}` already exists in {bank_root}",
                         fix="Choose another id; practice new never overwrites.")
    values = {"id": exercise_id, "title": title or f"Exercise {exercise_id}", "topic": _slug(topic or "general")}
    solutions = layout.solution_dir(exercise_id)
    files = {
        layout.exercise_dir(exercise_id) / "exercise.yaml": EXERCISE_YAML,
        layout.exercise_dir(exercise_id) / "solution.py": STUB,
        layout.tests_dir(exercise_id) / f"test_{exercise_id.lower()}.py": TESTS,
        solutions / "reference.py": REFERENCE,
        solutions / "answers.md": ANSWERS,
        solutions / "wrong" / "scales_columns.py": WRONG,
    }
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = template
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
    return list(files)


def init_bank(root: Path, docs_from: Path | None = None) -> list[Path]:
    """Create an empty bank at root (the three folders, a README, the schema docs); refuse to touch a bank."""
    layout = BankLayout(root)
    taken = [f.name for f in (layout.exercises_dir, layout.hidden_tests_dir, layout.solutions_dir) if f.exists()]
    if taken:
        raise UsageError(f"{root} already has {', '.join(taken)}/",
                         fix=f"Add exercises to it with `practice new --bank {root} ID`, or choose a new folder.")
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file", fix="Choose a folder.")
    files = {root / "README.md": BANK_README.replace("{name}", root.resolve().name).replace("{root}", str(root)),
             root / ".gitignore": "__pycache__/\n",
             layout.hidden_tests_dir / ".gitkeep": "", layout.solutions_dir / ".gitkeep": ""}
    for name in BANK_DOCS:
        source = BankLayout(docs_from).exercises_dir / name if docs_from else None
        if source is not None and source.is_file():
            files[layout.exercises_dir / name] = source.read_text(encoding="utf-8")
    written = []
    try:
        layout.exercises_dir.mkdir(parents=True)
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                continue  # a folder that already holds a README or .gitignore keeps its own
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise WorkspaceError(f"cannot create a bank at {root}: {exc.strerror or exc}",
                             fix="Choose a folder you can write to.") from None
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "general"
