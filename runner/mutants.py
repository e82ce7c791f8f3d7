"""Mutation analysis of reference solutions: generate mutants from the AST, grade them, report survivors.

The standard operators follow mutmut and cosmic-ray (operator swaps, constants, removed statements, keyword
arguments, zero-iteration loops, negated conditions); the rest are mistakes typical of NumPy transformer code
(a dropped `.T`, another `axis`, swapped arguments, a confused name, an off-by-one slice, no max-subtraction).
A mutant is a text splice of the reference, so its diff shows only the change; its id hashes the function, the
operator and the changed lines, so it survives unrelated edits of the file.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

OPERATORS = {  # name: what it does (source of the idea)
    "arithmetic": "+ <-> -, * <-> /, // -> /, % -> /, ** -> *, @ -> *, & <-> |, ^ -> & (mutmut)",
    "comparison": "< <-> <=, > <-> >=, == <-> !=, is <-> is not, in <-> not in (mutmut)",
    "boolean": "and <-> or, True <-> False (mutmut, cosmic-ray)",
    "unary": "drop a `not`, `~` or unary `-` (mutmut, cosmic-ray)",
    "number": "a small integer +1 and -1 (cosmic-ray), a float +1 (mutmut)",
    "statement": "remove a call, a re-assignment or a raise (cosmic-ray no-op, Stryker)",
    "return": "return None instead of a value (mutmut)",
    "augassign": "`x op= y` -> `x = y` (mutmut)",
    "keyword": "remove a keyword argument, e.g. keepdims=True (cosmic-ray remove_named_argument)",
    "loop": "a for loop runs zero times; break <-> continue (cosmic-ray)",
    "condition": "negate an if condition (cosmic-ray AddNot)",
    "transpose": "drop a `.T`; swap the two last output axes of an einsum",
    "axis": "another `axis=` value (k-1, k+1, or -1/0)",
    "swap-args": "swap two adjacent positional arguments of a call; swap the operands of `@`",
    "name": "a name read -> the nearest bound local name of its family (d_head -> d_model; Q -> K in one statement)",
    "slice": "a non-constant slice bound +1 and -1",
    "max-shift": "drop the subtraction of a max (x - max(x) -> x)",
}
BINOPS = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"),
          ast.FloorDiv: ("//", "/"), ast.Mod: ("%", "/"), ast.Pow: ("**", "*"), ast.MatMult: ("@", "*"),
          ast.BitAnd: ("&", "|"), ast.BitOr: ("|", "&"), ast.BitXor: ("^", "&")}
CMPOPS = {ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"), ast.Gt: (">", ">="), ast.GtE: (">=", ">"),
          ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Is: (r"is", "is not"),
          ast.IsNot: (r"is\s+not", "is"), ast.In: (r"in", "not in"), ast.NotIn: (r"not\s+in", "in")}
MAX_NAMES = {"max", "amax", "nanmax"}
SYMMETRIC = {"swapaxes", "maximum", "minimum", "fmax", "fmin", "add", "multiply", "array_equal", "allclose", "isclose",
             "logical_and", "logical_or", "hypot", "result_type", "promote_types"}  # argument order does not matter
SMALL_INT = 10  # larger integers are sizes, step counts and seeds: +-1 there is almost always equivalent
ATOMS = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant)


@dataclass(frozen=True)
class Mutant:
    id: str
    operator: str
    function: str
    line: int
    before: str  # the changed lines of the reference, stripped
    after: str
    source: str

    def diff(self, reference: str, name: str = "reference.py") -> str:
        """A unified diff of this mutant against the reference."""
        lines = difflib.unified_diff(reference.splitlines(keepends=True), self.source.splitlines(keepends=True),
                                     fromfile=name, tofile=f"mutant {self.id} ({self.operator})", n=2)
        return "".join(lines)

    def to_dict(self) -> dict:
        return {"id": self.id, "operator": self.operator, "function": self.function, "line": self.line,
                "before": self.before, "after": self.after}


# ---- generation --------------------------------------------------------------------------------------------

class _Source:
    """The reference as bytes, with AST positions turned into offsets."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node) -> tuple[int, int]:
        return (self.starts[node.lineno - 1] + node.col_offset, self.starts[node.end_lineno - 1] + node.end_col_offset)

    def seg(self, node) -> str:
        a, b = self.span(node)
        return self.data[a:b].decode("utf-8")

    def between(self, left, right) -> tuple[int, int]:
        return self.span(left)[1], self.span(right)[0]

    def token(self, start: int, end: int, pattern: str) -> tuple[int, int] | None:
        """The offsets of the operator `pattern` between two operands (parentheses and spaces around it)."""
        gap = self.data[start:end].decode("utf-8")
        code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group().encode()), gap)
        match = re.search(rf"(?<![*/<>=!]){pattern}(?![*/=])" if not pattern[0].isalpha() else rf"\b{pattern}\b",
                          code)
        if not match:
            return None
        a = start + len(code[:match.start()].encode())
        return a, a + len(match.group().encode())


def _paren(text: str, node) -> str:
    return text if isinstance(node, ATOMS) else f"({text})"


class _Generator(ast.NodeVisitor):
    def __init__(self, src: _Source):
        self.src = src
        self.edits: list[tuple[str, str, list[tuple[int, int, str]]]] = []  # (operator, function, splices)
        self.function = "<module>"
        self.family: dict[str, list[str]] = {}
        self.statement: ast.stmt | None = None
        self.assigned: set[str] = set()
        self.maxed: set[str] = set()
        self.sentinels: set[int] = set()  # the 1 of reshape(-1): any negative size means "infer" there

    def add(self, operator: str, *splices: tuple[int, int, str]) -> None:
        self.edits.append((operator, self.function, list(splices)))

    def replace(self, operator: str, node, text: str) -> None:
        self.add(operator, (*self.src.span(node), text))

    # -- scopes and statements
    def visit_FunctionDef(self, node) -> None:
        outer = (self.function, self.family, self.assigned, self.maxed)
        self.function = node.name if outer[0] == "<module>" else f"{outer[0]}.{node.name}"
        params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        self.assigned = set(params)
        self.maxed = set()
        names = set(params) | {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.family = {n: sorted(m for m in names if m != n and _related(n, m)) for n in names}
        body = node.body[1:] if _is_docstring(node.body[0]) else node.body
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        for stmt in body:
            self.visit(stmt)
        self.function, self.family, self.assigned, self.maxed = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Module(self, node) -> None:
        for stmt in node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body:
            self.visit(stmt)

    def visit_ClassDef(self, node) -> None:
        for stmt in node.body[1:] if _is_docstring(node.body[0]) else node.body:
            self.visit(stmt)

    def visit_Import(self, node) -> None:
        pass

    visit_ImportFrom = visit_Global = visit_Nonlocal = visit_Import

    def visit_JoinedStr(self, node) -> None:
        pass  # messages

    def generic_visit(self, node) -> None:
        if isinstance(node, ast.stmt):
            self.statement = node
            self._statement(node)
        super().generic_visit(node)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            stored = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            self.assigned |= stored
            if any(isinstance(c, ast.Call) and _callee(c) in MAX_NAMES for c in ast.walk(node.value)):
                self.maxed |= stored

    def _statement(self, node) -> None:
        if isinstance(node, ast.Raise):
            self.replace("statement", node, "pass")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.replace("statement", node, "pass")
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if isinstance(node, ast.AugAssign) or any(not isinstance(t, ast.Name) for t in targets) or \
                    (names and names <= self.assigned):
                self.replace("statement", node, "pass")
        elif isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
            self.replace("return", node.value, "None")
        elif isinstance(node, ast.For):
            self.replace("loop", node.iter, "[]")
        elif isinstance(node, (ast.Break, ast.Continue)):
            self.replace("loop", node, "continue" if isinstance(node, ast.Break) else "break")
        elif isinstance(node, (ast.If, ast.While)):
            self.replace("condition", node.test, f"not {_paren(self.src.seg(node.test), node.test)}")
        if isinstance(node, ast.AugAssign):
            symbol = BINOPS.get(type(node.op), ("",))[0]
            tok = symbol and self.src.token(*self.src.between(node.target, node.value), re.escape(symbol + "="))
            if tok:
                self.add("augassign", (*tok, "="))

    def visit_Raise(self, node) -> None:
        self.statement = node
        self._statement(node)  # the message and its arguments are not mutated

    # -- expressions
    def visit_BinOp(self, node) -> None:
        symbol, other = BINOPS.get(type(node.op), (None, None))
        tok = symbol and self.src.token(*self.src.between(node.left, node.right), re.escape(symbol))
        if tok:
            self.add("arithmetic", (*tok, other))
            if isinstance(node.op, ast.MatMult):
                (la, lb), (ra, rb) = self.src.span(node.left), self.src.span(node.right)
                self.add("swap-args", (la, lb, _paren(self.src.seg(node.right), node.right)),
                         (ra, rb, _paren(self.src.seg(node.left), node.left)))
        right = node.right
        if isinstance(node.op, ast.Sub) and ((isinstance(right, ast.Call) and _callee(right) in MAX_NAMES)
                                             or (isinstance(right, ast.Name) and right.id in self.maxed)):
            self.replace("max-shift", node, _paren(self.src.seg(node.left), node.left))
        self.generic_visit(node)

    def visit_Compare(self, node) -> None:
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            pattern, other = CMPOPS[type(op)]
            tok = self.src.token(*self.src.between(operands[i], operands[i + 1]), pattern)
            if tok:
                self.add("comparison", (*tok, other))
        self.generic_visit(node)

    def visit_BoolOp(self, node) -> None:
        word, other = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        for left, right in zip(node.values, node.values[1:]):
            tok = self.src.token(*self.src.between(left, right), word)
            if tok:
                self.add("boolean", (*tok, other))
        self.generic_visit(node)

    def visit_UnaryOp(self, node) -> None:
        if isinstance(node.op, (ast.Not, ast.Invert, ast.USub)):
            start, end = self.src.span(node)[0], self.src.span(node.operand)[0]
            self.add("unary", (start, end, ""))
        self.generic_visit(node)

    def visit_Constant(self, node) -> None:
        value = node.value
        if isinstance(value, bool):
            self.replace("boolean", node, str(not value))
        elif isinstance(value, int) and abs(value) <= SMALL_INT:
            for new in (value + 1, value - 1) if id(node) not in self.sentinels else (value - 1,):
                self.replace("number", node, repr(new))
        elif isinstance(value, float):
            self.replace("number", node, repr(value + 1))

    def visit_Attribute(self, node) -> None:
        if node.attr == "T" and isinstance(node.ctx, ast.Load):
            self.add("transpose", (self.src.span(node.value)[1], self.src.span(node)[1], ""))
        self.generic_visit(node)

    def visit_Name(self, node) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        in_statement = {n.id for n in ast.walk(self.statement) if isinstance(n, ast.Name)} if self.statement else set()
        others = [o for o in self.family.get(node.id, ()) if o in self.assigned and ("_" in o or o in in_statement)]
        if others:
            self.replace("name", node, min(others, key=lambda o: (_distance(node.id, o), o)))

    def visit_Subscript(self, node) -> None:
        slices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for piece in slices:
            if isinstance(piece, ast.Slice):
                for bound in (piece.lower, piece.upper):
                    if isinstance(bound, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
                        text = self.src.seg(bound)
                        self.replace("slice", bound, f"{text} + 1")
                        self.replace("slice", bound, f"{text} - 1")
        self.generic_visit(node)

    def visit_Call(self, node) -> None:
        self.visit(node.func)
        if _callee(node) == "reshape":
            self.sentinels |= {id(a.operand) for a in node.args if isinstance(a, ast.UnaryOp)
                               and isinstance(a.op, ast.USub) and isinstance(a.operand, ast.Constant)}
        ordered = sorted([*node.args, *node.keywords], key=lambda n: (n.lineno, n.col_offset))
        for i, kw in enumerate(ordered):
            if not isinstance(kw, ast.keyword) or kw.arg is None:
                continue
            start, end = self.src.span(kw)
            if i > 0:
                start = self.src.span(ordered[i - 1])[1]
            elif len(ordered) > 1:
                end = self.src.span(ordered[1])[0]
            self.add("keyword", (start, end, ""))
            if kw.arg == "axis":
                for text in _other_axes(kw.value):
                    self.replace("axis", kw.value, text)
        symmetric = _callee(node) in SYMMETRIC or isinstance(node.func, ast.Name) and node.func.id in ("min", "max")
        positional = [] if symmetric else [a for a in node.args if not isinstance(a, ast.Starred)]
        for a, b in zip(positional, positional[1:]):
            if self.src.seg(a) != self.src.seg(b) and not _is_str(a) and not _is_str(b):
                self.add("swap-args", (*self.src.span(a), self.src.seg(b)), (*self.src.span(b), self.src.seg(a)))
        if _callee(node) == "einsum" and node.args and _is_str(node.args[0]) and "->" in node.args[0].value:
            out = node.args[0].value.split("->")[1].strip()
            if len(out) >= 2:
                text = self.src.seg(node.args[0])
                self.replace("transpose", node.args[0], text.replace("->" + out, "->" + out[:-2] + out[:-3:-1]))
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            if kw.arg != "axis" or not _other_axes(kw.value):
                self.visit(kw.value)


def _related(a: str, b: str) -> bool:
    """Names a hurried author confuses: the same prefix before `_`, or single letters of the same case."""
    if not (a[0].isalpha() and b[0].isalpha()):
        return False  # `_` and private names are no one's typo
    if "_" in a and "_" in b:
        return a.split("_")[0] == b.split("_")[0] and a.split("_")[0] != ""
    return len(a) == len(b) == 1 and a.isupper() == b.isupper()


def _distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _other_axes(value) -> list[str]:
    def ints(k):
        return [v for v in dict.fromkeys((k - 1, k + 1, -1 if k != -1 else 0)) if v != k]

    if isinstance(value, ast.Constant) and type(value.value) is int:
        return [str(v) for v in ints(value.value)]
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) and isinstance(value.operand, ast.Constant) \
            and type(value.operand.value) is int:
        return [str(v) for v in ints(-value.operand.value)]
    return []


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_str(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_docstring(stmt) -> bool:
    return isinstance(stmt, ast.Expr) and _is_str(stmt.value)


def generate(source: str) -> list[Mutant]:
    """Every mutant of `source`, in a fixed order; each parses and differs from the original."""
    src = _Source(source)
    original = ast.dump(ast.parse(source))
    gen = _Generator(src)
    gen.visit(ast.parse(source))
    lines = src.data.splitlines(keepends=True)
    seen, counts, mutants = {original}, {}, []
    for operator, function, splices in gen.edits:
        data = src.data
        for start, end, text in sorted(splices, reverse=True):
            data = data[:start] + text.encode("utf-8") + data[end:]
        try:
            mutated = data.decode("utf-8")
            dump = ast.dump(ast.parse(mutated))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if dump in seen:
            continue
        seen.add(dump)
        first = min(s for s, _, _ in splices)
        line = next(i for i, start in enumerate(src.starts) if start > first)
        last_line = next(i for i, start in enumerate(src.starts) if start >= max(e for _, e, _ in splices))
        before = b"".join(lines[line - 1:last_line]).decode("utf-8")
        delta = len(data) - len(src.data)
        after = data[src.starts[line - 1]:src.starts[last_line] + delta].decode("utf-8")
        before, after = " ".join(before.split()), " ".join(after.split())
        key = f"{function}|{operator}|{before}|{after}"
        counts[key] = counts.get(key, 0) + 1
        digest = hashlib.sha1(f"{key}|{counts[key]}".encode()).hexdigest()[:8]
        mutants.append(Mutant(digest, operator, function, line, before, after, mutated))
    return mutants


# ---- recorded equivalents ----------------------------------------------------------------------------------

def equivalents_path(exercise) -> Path:
    return exercise.solutions_dir / "equivalent_mutants.yaml"


def load_equivalents(path: Path) -> tuple[dict[str, str], list[str]]:
    """The recorded equivalent mutants {id: reason}, and one line per malformed entry."""
    if not path.is_file():
        return {}, []
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}  # ids stay strings
    except yaml.YAMLError as exc:
        return {}, [f"is not valid YAML ({str(exc).splitlines()[0]}). Fix it"]
    if not isinstance(data, dict):
        return {}, ["must map mutant ids to one-line reasons"]
    good, bad = {}, []
    for key, reason in data.items():
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
            bad.append(f"entry {key}: give a one-line reason why the mutant behaves like the reference")
        else:
            good[str(key)] = reason.strip()
    return good, bad


# ---- grading -----------------------------------------------------------------------------------------------

@dataclass
class MutationReport:
    exercise_id: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0  # survivors recorded as equivalent
    survivors: list[Mutant] = field(default_factory=list)  # new survivors, not recorded
    stale: list[str] = field(default_factory=list)  # equivalents-file entries that no longer hold
    seconds: float = 0.0
    error: str | None = None
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        """Killed share of the non-equivalent mutants, in percent."""
        counted = self.mutants - self.equivalent
        return 100.0 * self.killed / counted if counted else None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.survivors and not self.stale

    def to_dict(self) -> dict:
        return {"exercise": self.exercise_id, "mutants": self.mutants, "killed": self.killed,
                "equivalent": self.equivalent, "score": None if self.score is None else round(self.score, 2),
                "seconds": round(self.seconds, 1), "error": self.error, "stale": self.stale,
                "survivors": [{**m.to_dict(), "diff": self.diffs.get(m.id, "")} for m in self.survivors]}


def analyse(exercise, pool) -> MutationReport:
    """Grade every mutant of the exercise's reference with `pool`; survivors not recorded as equivalent are new."""
    report = MutationReport(exercise.id)
    started = time.monotonic()
    reference = exercise.reference_path.read_text(encoding="utf-8")
    try:
        mutants = generate(reference)
    except SyntaxError as exc:
        report.error = f"the reference does not parse: {exc}"
        return report
    recorded, malformed = load_equivalents(equivalents_path(exercise))
    report.stale.extend(malformed)
    report.mutants = len(mutants)
    with tempfile.TemporaryDirectory(prefix=f"mutants-{exercise.id}-") as tmp:
        paths = {}
        for mutant in mutants:
            path = Path(tmp) / mutant.id / exercise.stub
            path.parent.mkdir()
            path.write_text(mutant.source, encoding="utf-8")
            paths[path] = mutant
        results = dict(pool.run(exercise, [exercise.reference_path, *paths]))
    ref = results.pop(exercise.reference_path)
    if ref.score != 100:
        report.error = f"the reference scores {ref.score:g}, not 100; fix it before mutation analysis"
        return report
    generated = {m.id for m in mutants}
    for path, result in results.items():
        mutant = paths[path]
        if result.score < 100 and not (mutant.id in recorded and _only_timeouts(result)):
            report.killed += 1
            if mutant.id in recorded:
                report.stale.append(f"entry {mutant.id}: the mutant is killed now, so it is not equivalent. "
                                    "Remove the entry")
        elif mutant.id in recorded:
            report.equivalent += 1
        else:
            report.survivors.append(mutant)
            report.diffs[mutant.id] = mutant.diff(reference)
    report.survivors.sort(key=lambda m: (m.line, m.id))
    for key in sorted(set(recorded) - generated):
        report.stale.append(f"entry {key}: no such mutant of the current reference. Remove the entry")
    report.seconds = time.monotonic() - started
    return report


def _only_timeouts(result) -> bool:
    """Whether every failing check of a graded result ran out of time (a slower equivalent near a limit)."""
    from runner.results import Outcome

    tests = getattr(result, "tests", ())
    return not getattr(result, "error", None) and bool(tests) and \
        all(t.outcome in (Outcome.PASSED, Outcome.TIMEOUT) for t in tests)


def mutation_analysis(bank, ids: list[str] | None = None, jobs: int = 2, on_report=None) -> list[MutationReport]:
    """Mutation analysis of the given exercises (all when None), one report each."""
    from runner.grading.client import GraderPool

    chosen = [bank.resolve_id(i) for i in ids] if ids else bank.ids
    reports = []
    with GraderPool(jobs) as pool:
        for exercise_id in chosen:
            report = analyse(bank.get(exercise_id), pool)
            reports.append(report)
            if on_report:
                on_report(report)
    return reports
