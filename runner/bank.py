"""The exercise bank: exercise.yaml files loaded into frozen dataclasses."""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.errors import BankError, UnknownExercise

FORMAT_VERSION = 1
DIFFICULTIES = ("easy", "medium", "hard")
IMPORT_POLICIES = ("numpy-only", "any")
# Modules that "numpy-only" keeps out of learner code.
NON_NUMPY_LIBRARIES = ("torch", "jax", "jaxlib", "tensorflow", "scipy", "sklearn", "numba", "cupy", "autograd")
SUPPORT_DIR = "_support"  # exercises/_support: learner-facing library code, not an exercise
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


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


@dataclass(frozen=True)
class Limits:
    """Sandbox limits for one grading run."""

    call_seconds: float = 10.0  # wall time of one call into learner code
    call_cpu_seconds: float = 20.0  # CPU time of one call
    run_seconds: float = 90.0  # deadline for the whole run
    memory_mb: int = 2048  # address-space cap of the learner process
    output_kb: int = 64  # captured output kept from learner code


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
    def exercise_dir(self) -> Path:
        return self.root / "exercises" / self.id

    @property
    def stub_path(self) -> Path:
        return self.exercise_dir / self.stub

    @property
    def tests_dir(self) -> Path:
        return self.root / "hidden_tests" / self.id

    @property
    def support_dir(self) -> Path:
        """The bank's learner-facing library code, on the import path of learner code and checks."""
        return self.root / "exercises" / SUPPORT_DIR

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions" / self.id

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


class _Reader:
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

    def items(self, key: str) -> list[_Reader]:
        value = self.data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list", "Write each entry as a `- ` item.")
        return [_Reader(self.path, item, f"{self.where}{key}[{i}].") for i, item in enumerate(value)]

    def sub(self, key: str) -> _Reader:
        return _Reader(self.path, self.data.get(key) or {}, f"{self.where}{key}.")


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
            return _parse_yaml(path)
        hit = self.entries.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
        data = _parse_yaml(path)
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


def _parse_yaml(path: Path) -> Any:
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


def _example(r: _Reader) -> Example:
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


def _constraints(r: _Reader) -> Constraints:
    r.mapping(("imports", "forbid", "notes"))
    imports = r.text("imports", "numpy-only")
    if imports not in IMPORT_POLICIES:
        raise r.fail("imports", f"is {imports!r}", f"Use one of: {', '.join(IMPORT_POLICIES)}.")
    return Constraints(imports=imports, forbid=r.text_list("forbid"), notes=r.text_list("notes"))


def _limits(r: _Reader) -> Limits:
    keys = tuple(Limits.__dataclass_fields__)
    r.mapping(keys)
    defaults = Limits()
    values = {k: r.number(k, getattr(defaults, k)) for k in keys}
    values["memory_mb"] = int(values["memory_mb"])
    values["output_kb"] = int(values["output_kb"])
    return Limits(**values)


def load_exercise(root: Path, exercise_id: str, cache: ParseCache | None = None) -> Exercise:
    """Load and validate exercises/<id>/exercise.yaml."""
    path = root / "exercises" / exercise_id / "exercise.yaml"
    r = _Reader(path, cache.parse(path) if cache else _parse_yaml(path))
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
        limits=_limits(r.sub("limits")),
        plots=tuple(plots),
    )


def _sort_key(exercise_id: str) -> tuple:
    """Order 1A..4D before E1..E20, numbers numerically."""
    parts = re.findall(r"\d+|\D+", exercise_id.upper())
    return (exercise_id[:1].isalpha(),) + tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


class Bank:
    """The exercises of one bank root, loaded lazily by id."""

    def __init__(self, root: Path, cache_dir: Path | None = None):
        self.root = Path(root)
        digest = f"{zlib.crc32(str(self.root.resolve()).encode()):08x}"
        self._parse_cache = ParseCache(Path(cache_dir) / f"bank-{digest}.json" if cache_dir else None)
        folder = self.root / "exercises"
        if not folder.is_dir():
            raise BankError(f"{self.root} has no exercises/ folder",
                            fix="Point PRACTICE_BANK (or --bank) at a bank with exercises/, hidden_tests/, solutions/.")
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
