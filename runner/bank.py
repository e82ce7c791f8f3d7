"""The exercise bank: exercise.yaml files loaded into frozen dataclasses."""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.bankfile import Reader, parse_yaml
from runner.errors import BankError, UnknownExercise

FORMAT_VERSION = 1
DIFFICULTIES = ("easy", "medium", "hard")
IMPORT_POLICIES = ("numpy-only", "any")
# Modules that "numpy-only" keeps out of learner code.
NON_NUMPY_LIBRARIES = ("torch", "jax", "jaxlib", "tensorflow", "scipy", "sklearn", "numba", "cupy", "autograd")
SUPPORT_DIR = "_support"  # exercises/_support: learner-facing library code, not an exercise
PRESETS_FILE = "presets.yaml"  # exercises/presets.yaml: mock OA presets
SCHEMA_FILE = "exercise.schema.json"  # exercises/exercise.schema.json: the bank's own schema, if it has one
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


class BankLayout:
    """Where a bank keeps its files: the one place that knows the folder names."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def hidden_tests_dir(self) -> Path:
        return self.root / "hidden_tests"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def support_dir(self) -> Path:
        """Learner-facing library code, on the import path of learner code and of the checks."""
        return self.exercises_dir / SUPPORT_DIR

    @property
    def presets_path(self) -> Path:
        return self.exercises_dir / PRESETS_FILE

    @property
    def schema_override_path(self) -> Path:
        return self.exercises_dir / SCHEMA_FILE

    @property
    def protected_dirs(self) -> tuple[Path, Path]:
        """The folders learner code must never read or import from: hidden tests and solutions."""
        return self.hidden_tests_dir, self.solutions_dir

    def exercise_dir(self, exercise_id: str) -> Path:
        return self.exercises_dir / exercise_id

    def tests_dir(self, exercise_id: str) -> Path:
        return self.hidden_tests_dir / exercise_id

    def solution_dir(self, exercise_id: str) -> Path:
        return self.solutions_dir / exercise_id


@dataclass(frozen=True)
class Example:
    """A visible example: a call and what it should give."""

    call: str
    expect: str | None = None  # Python expression (numpy as np) the result must match
    check: str | None = None  # Python expression over `result` that must be true
    raises: str | None = None  # exception name the call must raise
    rtol: float = 1e-6
    atol: float = 1e-8
    note: str | None = None


@dataclass(frozen=True)
class Constraints:
    """What learner code may use. Imports are enforced in the sandbox; notes are shown."""

    imports: str = "numpy-only"
    forbid: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def forbidden_modules(self) -> tuple[str, ...]:
        base = NON_NUMPY_LIBRARIES if self.imports == "numpy-only" else ()
        return tuple(dict.fromkeys(base + self.forbid))

    def describe(self) -> str:
        """Name the import rule the way the scorecard shows it."""
        rule = "NumPy only" if self.imports == "numpy-only" else "any installed library"
        if self.forbid:
            rule += "; not " + ", ".join(self.forbid)
        return rule


# Time limits follow the reference solution's measured cost (exercises/<ID>/timing.json, written by
# `practice validate`), with floors that keep honest solutions safe on a busy machine.
TIMING_FILE = "timing.json"
CALL_FLOOR_S = 2.0  # a call may always use this much CPU time...
CALL_FACTOR = 50.0  # ...or this many times the reference's slowest call, whichever is more
WALL_FACTOR = 3.0  # wall-clock backstop of a call, as a multiple of its CPU limit (code that sleeps or blocks)
RUN_FLOOR_S = 10.0  # run deadline: one call's backstop, plus this or RUN_FACTOR x the reference's whole run
RUN_FACTOR = 10.0


@dataclass(frozen=True)
class Timing:
    """The reference solution's measured cost on the hidden checks, as `practice validate` stores it."""

    calls: int  # calls into learner code in one grading run
    slowest_call_s: float  # wall time of the slowest call
    slowest_call_cpu_s: float | None  # CPU time of the slowest call (None where it could not be measured)
    run_s: float  # wall time of the whole grading run, checks included
    digest: str = ""  # of the reference and hidden tests it was measured on

    @property
    def slowest_call(self) -> float:
        """The slowest call's CPU time, or its wall time (an upper bound) where CPU time is unknown."""
        return self.slowest_call_s if self.slowest_call_cpu_s is None else self.slowest_call_cpu_s

    @classmethod
    def read(cls, path: Path) -> Timing | None:
        """The stored measurement, or None when there is none (or it cannot be read)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            cpu = data.get("slowest_call_cpu_s")
            return cls(calls=int(data["calls"]), slowest_call_s=float(data["slowest_call_s"]),
                       slowest_call_cpu_s=None if cpu is None else float(cpu), run_s=float(data["run_s"]),
                       digest=str(data.get("digest", "")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def to_dict(self) -> dict:
        return {"calls": self.calls, "slowest_call_s": self.slowest_call_s,
                "slowest_call_cpu_s": self.slowest_call_cpu_s, "run_s": self.run_s, "digest": self.digest}


def _round_up(seconds: float, step: float = 0.5) -> float:
    return math.ceil(seconds / step - 1e-9) * step


@dataclass(frozen=True)
class Limits:
    """Sandbox limits for one grading run (defaults: an exercise not yet measured by `practice validate`)."""

    call_seconds: float = 10.0  # wall-clock backstop of one call into learner code
    call_cpu_seconds: float = 20.0  # CPU time of one call: the usual way a slow call times out
    run_seconds: float = 90.0  # deadline for the whole run
    memory_mb: int = 2048  # address-space cap of the learner process
    output_kb: int = 64  # captured output kept from learner code

    @classmethod
    def derive(cls, timing: Timing | None, given: dict | None = None) -> Limits:
        """Limits from the reference's measured cost; values in `given` (exercise.yaml `limits:`) win."""
        given = dict(given or {})
        if timing is None:
            return cls(**given)
        cpu = given.get("call_cpu_seconds", _round_up(max(CALL_FLOOR_S, CALL_FACTOR * timing.slowest_call)))
        wall = given.get("call_seconds", _round_up(WALL_FACTOR * cpu))
        run = given.get("run_seconds", _round_up(wall + max(RUN_FLOOR_S, RUN_FACTOR * timing.run_s), 1.0))
        return cls(**{**given, "call_cpu_seconds": cpu, "call_seconds": wall, "run_seconds": run})


@dataclass(frozen=True)
class Question:
    """A written question; its model answer is in solutions/<ID>/answers.md."""

    id: str
    text: str


@dataclass(frozen=True)
class Plot:
    """A figure an exercise draws: a line plot of (x, y) or (x, {label: y}), or a heatmap of a 2-D array."""

    title: str
    call: str
    kind: str = "line"  # line | heatmap
    xlabel: str = "x"
    ylabel: str = "y"


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    topic: str
    difficulty: str
    minutes: float
    prompt: str
    stub: str
    functions: tuple[str, ...]
    root: Path  # bank root
    tags: tuple[str, ...] = ()
    examples: tuple[Example, ...] = ()
    constraints: Constraints = field(default_factory=Constraints)
    hints: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()
    limits: Limits = field(default_factory=Limits)
    plots: tuple[Plot, ...] = ()

    @property
    def layout(self) -> BankLayout:
        return BankLayout(self.root)

    @property
    def exercise_dir(self) -> Path:
        return self.layout.exercise_dir(self.id)

    @property
    def stub_path(self) -> Path:
        return self.exercise_dir / self.stub

    @property
    def tests_dir(self) -> Path:
        return self.layout.tests_dir(self.id)

    @property
    def support_dir(self) -> Path:
        """The bank's learner-facing library code, on the import path of learner code and checks."""
        return self.layout.support_dir

    @property
    def protected_dirs(self) -> tuple[Path, Path]:
        return self.layout.protected_dirs

    @property
    def solutions_dir(self) -> Path:
        return self.layout.solution_dir(self.id)

    @property
    def reference_path(self) -> Path:
        return self.solutions_dir / "reference.py"

    @property
    def answers_path(self) -> Path:
        return self.solutions_dir / "answers.md"

    @property
    def wrong_dir(self) -> Path:
        return self.solutions_dir / "wrong"

    @property
    def time_limit_s(self) -> float:
        return self.minutes * 60.0

    def wrong_solutions(self) -> list[Path]:
        return sorted(self.wrong_dir.glob("*.py")) if self.wrong_dir.is_dir() else []


# ---- loading --------------------------------------------------------------------------------------------

_REQUIRED = ("format", "id", "title", "topic", "difficulty", "minutes", "stub", "functions", "prompt")
_OPTIONAL = ("tags", "examples", "constraints", "hints", "questions", "limits", "plots")


class ParseCache:
    """Parsed exercise.yaml data kept as JSON, keyed by file size and mtime, so listing skips YAML parsing."""

    def __init__(self, file: Path | None):
        self.file, self.entries, self.dirty = file, {}, False
        if file is not None and file.is_file():
            try:
                self.entries = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    @staticmethod
    def _stamp(path: Path) -> list[int]:
        st = path.stat()
        return [st.st_mtime_ns, st.st_size]

    def parse(self, path: Path) -> Any:
        key = str(path)
        try:
            stamp = self._stamp(path)
        except OSError:
            return parse_yaml(path)
        hit = self.entries.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
        data = parse_yaml(path)
        self.entries[key], self.dirty = [stamp, data], True
        return data

    def save(self) -> None:
        if not (self.dirty and self.file):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries, default=str), encoding="utf-8")
            os.replace(tmp, self.file)
            self.dirty = False
        except OSError:
            pass  # a cache that cannot be written only costs time


def _example(r: Reader) -> Example:
    r.mapping(("call", "expect", "check", "raises", "rtol", "atol", "note"), ("call",))
    given = [k for k in ("expect", "check", "raises") if r.data.get(k) is not None]
    if len(given) != 1:
        raise r.fail("", "needs exactly one of expect, check or raises", "Say what the call should give.")
    return Example(
        call=r.text("call"),
        expect=r.text("expect"),
        check=r.text("check"),
        raises=r.text("raises"),
        rtol=float(r.data.get("rtol", 1e-6)),
        atol=float(r.data.get("atol", 1e-8)),
        note=r.text("note"),
    )


def _constraints(r: Reader) -> Constraints:
    r.mapping(("imports", "forbid", "notes"))
    imports = r.text("imports", "numpy-only")
    if imports not in IMPORT_POLICIES:
        raise r.fail("imports", f"is {imports!r}", f"Use one of: {', '.join(IMPORT_POLICIES)}.")
    return Constraints(imports=imports, forbid=r.text_list("forbid"), notes=r.text_list("notes"))


def _limits(r: Reader, timing: Timing | None) -> Limits:
    keys = tuple(Limits.__dataclass_fields__)
    r.mapping(keys)
    given = {k: r.number(k) for k in keys if k in r.data}
    for key in ("memory_mb", "output_kb"):
        if key in given:
            given[key] = int(given[key])
    return Limits.derive(timing, given)


def load_exercise(root: Path, exercise_id: str, cache: ParseCache | None = None) -> Exercise:
    """Load and validate exercises/<id>/exercise.yaml."""
    path = BankLayout(root).exercise_dir(exercise_id) / "exercise.yaml"
    r = Reader(path, cache.parse(path) if cache else parse_yaml(path))
    r.mapping(_REQUIRED + _OPTIONAL, _REQUIRED)
    if r.data["format"] != FORMAT_VERSION:
        raise r.fail("format", f"is {r.data['format']!r}", f"This version of practice reads format {FORMAT_VERSION}.")
    if str(r.data["id"]) != exercise_id:
        raise r.fail("id", f"is {r.data['id']!r} but the folder is {exercise_id!r}", "Make them the same.")
    difficulty = r.text("difficulty")
    if difficulty not in DIFFICULTIES:
        raise r.fail("difficulty", f"is {difficulty!r}", f"Use one of: {', '.join(DIFFICULTIES)}.")
    functions = r.text_list("functions")
    if not functions or not all(f.isidentifier() for f in functions):
        raise r.fail("functions", "must list the function names the learner writes", "Add e.g. `[softmax]`.")
    stub = r.text("stub")
    if not (path.parent / stub).is_file():
        raise r.fail("stub", f"names {stub!r}, which does not exist", f"Create {path.parent / stub}.")
    questions = []
    for q in r.items("questions"):
        q.mapping(("id", "text"), ("id", "text"))
        questions.append(Question(id=q.text("id"), text=q.text("text")))
    plots = []
    for p in r.items("plots"):
        p.mapping(("title", "call", "kind", "xlabel", "ylabel"), ("title", "call"))
        kind = p.text("kind", "line")
        if kind not in ("line", "heatmap"):
            raise p.fail("kind", f"is {kind!r}", "Use `line` or `heatmap`.")
        plots.append(Plot(title=p.text("title"), call=p.text("call"), kind=kind,
                          xlabel=p.text("xlabel", "x"), ylabel=p.text("ylabel", "y")))
    return Exercise(
        id=exercise_id,
        title=r.text("title"),
        topic=r.text("topic"),
        difficulty=difficulty,
        minutes=r.number("minutes"),
        prompt=r.text("prompt"),
        stub=stub,
        functions=functions,
        root=root,
        tags=r.text_list("tags"),
        examples=tuple(_example(e) for e in r.items("examples")),
        constraints=_constraints(r.sub("constraints")),
        hints=r.text_list("hints"),
        questions=tuple(questions),
        limits=_limits(r.sub("limits"), Timing.read(path.parent / TIMING_FILE)),
        plots=tuple(plots),
    )


def _sort_key(exercise_id: str) -> tuple:
    """Order 1A..4D before E1..E20, numbers numerically."""
    parts = re.findall(r"\d+|\D+", exercise_id.upper())
    return (exercise_id[:1].isalpha(),) + tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


class Bank(BankLayout):
    """The exercises of one bank root, loaded lazily by id."""

    def __init__(self, root: Path, cache_dir: Path | None = None):
        super().__init__(root)
        digest = f"{zlib.crc32(str(self.root.resolve()).encode()):08x}"
        self._parse_cache = ParseCache(Path(cache_dir) / f"bank-{digest}.json" if cache_dir else None)
        folder = self.exercises_dir
        if not folder.is_dir():
            raise BankError(f"{self.root} has no exercises/ folder",
                            fix="Point --bank, PRACTICE_BANK or `bank` in config.toml at a bank with exercises/, "
                                "hidden_tests/, solutions/ (`practice bank show` says which is used).")
        self._ids = sorted(
            (p.name for p in folder.iterdir() if p.is_dir() and (p / "exercise.yaml").is_file()),
            key=_sort_key,
        )
        self._cache: dict[str, Exercise] = {}

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def resolve_id(self, exercise_id: str) -> str:
        """Map a case-insensitive id to the bank's spelling, or raise UnknownExercise."""
        by_upper = {i.upper(): i for i in self._ids}
        found = by_upper.get(exercise_id.strip().upper())
        if found:
            return found
        import difflib

        close = difflib.get_close_matches(exercise_id.upper(), list(by_upper), n=1, cutoff=0.3)
        fix = f"Did you mean `{by_upper[close[0]]}`?" if close else "Run `practice list` to see the ids."
        raise UnknownExercise(f"no exercise `{exercise_id}` in the bank", fix=fix)

    def get(self, exercise_id: str) -> Exercise:
        key = self.resolve_id(exercise_id)
        if key not in self._cache:
            self._cache[key] = load_exercise(self.root, key, self._parse_cache)
            self._parse_cache.save()
        return self._cache[key]

    def all(self) -> list[Exercise]:
        exercises = []
        for key in self._ids:
            if key not in self._cache:
                self._cache[key] = load_exercise(self.root, key, self._parse_cache)
            exercises.append(self._cache[key])
        self._parse_cache.save()
        return exercises
