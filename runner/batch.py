"""Grade a whole class: collect submissions, grade them in parallel, and write JSON lines, CSV and JUnit."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from xml.etree import ElementTree as ET

from runner.bank import Exercise
from runner.errors import UsageError, WorkspaceError
from runner.results import GradeResult, Outcome, Status, TestResult


@dataclass(frozen=True)
class Entry:
    """One student's submission: a file to grade, or the reason there is none."""

    student: str
    file: str  # as given, for reports
    path: Path | None
    problem: str | None = None
    helpers: bool = True  # the .py files beside it are the student's helper modules, not classmates' submissions


@dataclass(frozen=True)
class Graded:
    entry: Entry
    result: GradeResult

    def to_dict(self) -> dict:
        """`submit --json`'s object with the student, the file and times (whole grading and each check).

        Built once: the JSON line, the CSV row and the summary all read it (none of them changes it)."""
        return self._record

    @cached_property
    def _record(self) -> dict:
        data = {"file": self.entry.file, "student": self.entry.student, **self.result.to_dict(),
                "duration_s": self.result.duration_s}
        for test, result in zip(data["tests"], self.result.tests):
            test["seconds"] = result.seconds
        return data


def collect(exercise: Exercise, paths: Iterable[Path]) -> list[Entry]:
    """Each PATH is a file, a folder of files, or a folder with one folder per student; sorted and deduplicated.

    A submission shares its folder's other .py files as helper modules only when no other submission is there."""
    paths = [Path(raw) for raw in paths]
    if paths and not any(path.exists() for path in paths):
        shown = ", ".join(str(path) for path in paths[:3]) + (" …" if len(paths) > 3 else "")
        raise UsageError(f"nothing to grade: no file or folder at {shown}",
                         fix="Check the path to the class's submissions.")
    entries: dict[str, Entry] = {}
    folders: Counter = Counter()  # submissions per resolved folder

    def add(entry: Entry) -> None:
        resolved = entry.path.resolve() if entry.path else None
        key = str(resolved) if resolved else f"?{entry.file}"
        if key not in entries:
            entries[key] = entry
            if resolved:
                folders[resolved.parent] += 1

    for raw in paths:
        path = Path(raw)
        if path.is_file():
            add(Entry(path.stem, str(path), path))
        elif path.is_dir():
            for item in sorted(path.iterdir()):
                if item.name.startswith((".", "__")):
                    continue
                if item.is_file() and item.suffix == ".py":  # one file per student: its neighbours are classmates'
                    add(Entry(item.stem, str(item), item, helpers=False))
                elif item.is_dir():
                    add(_student_folder(exercise, item))
        else:
            add(Entry(path.stem, str(path), None, f"no file or folder at {path}"))
    return sorted((dataclasses.replace(e, helpers=False) if e.path and folders[Path(key).parent] > 1 else e
                   for key, e in entries.items()), key=lambda e: (e.student, e.file))


def _student_folder(exercise: Exercise, folder: Path) -> Entry:
    named = folder / exercise.stub
    if named.is_file():
        return Entry(folder.name, str(named), named)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".py")
    if len(files) == 1:
        return Entry(folder.name, str(files[0]), files[0])
    if not files:
        return Entry(folder.name, str(folder), None, f"no .py file in {folder}")
    names = ", ".join(p.name for p in files[:4])
    return Entry(folder.name, str(folder), None, f"several .py files in {folder} ({names}); name the graded one "
                                                 f"{exercise.stub}")


# ---- shards ---------------------------------------------------------------------------------------------

SHARD_COUNT_ENV = "PRACTICE_SHARD_COUNT"  # the shard count where the scheduler does not give it (Kubernetes)


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' -> (I, N), 1 <= I <= N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        fix = "Write e.g. --shard 2/4, or --shard auto in a Slurm array or Kubernetes indexed Job."
        raise UsageError(f"--shard {text!r} is not I/N or auto", fix=fix) from None
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: I must be between 1 and N", fix="Use 1/N … N/N.")
    return index, count


def _env_int(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r} is not a whole number", fix=f"Check how the job sets {name}.") from None


def shard_from_env(env: Mapping[str, str], count: int | None = None) -> tuple[int, int]:
    """`--shard auto`: (I, N), 1-based, from a Slurm array job or a Kubernetes indexed Job."""
    task = _env_int(env, "SLURM_ARRAY_TASK_ID")
    if task is not None:
        lowest = _env_int(env, "SLURM_ARRAY_TASK_MIN") or 0
        step = _env_int(env, "SLURM_ARRAY_TASK_STEP") or 1
        count = count or _env_int(env, "SLURM_ARRAY_TASK_COUNT")
        if count is None:
            raise UsageError("SLURM_ARRAY_TASK_COUNT is not set", fix="Give the count: --shard-count N.")
        offset, rest = divmod(task - lowest, step)
        if rest or not 0 <= offset < count:
            raise UsageError(f"Slurm array task {task} is not one of {count} evenly spaced tasks from {lowest}",
                             fix="Use a range such as --array=0-9 (or 1-10), or give --shard I/N.")
        return offset + 1, count
    index = _env_int(env, "JOB_COMPLETION_INDEX")
    if index is not None:
        count = count or _env_int(env, SHARD_COUNT_ENV)
        if count is None:
            raise UsageError("a Kubernetes indexed Job does not tell its completions count",
                             fix=f"Pass --shard-count N (the Job's completions) or set {SHARD_COUNT_ENV}.")
        if not 0 <= index < count:
            raise UsageError(f"JOB_COMPLETION_INDEX {index} is outside 0..{count - 1}",
                             fix="Make --shard-count the Job's completions.")
        return index + 1, count
    raise UsageError("--shard auto found no Slurm array task (SLURM_ARRAY_TASK_ID) and no Kubernetes indexed Job "
                     "(JOB_COMPLETION_INDEX)", fix="Give the shard explicitly, e.g. --shard 2/4 in a CI matrix.")


def resolve_shard(spec: str | None, count: int | None, env: Mapping[str, str]) -> tuple[int, int] | None:
    """--shard I/N, or auto (from the scheduler's variables); None: the whole class."""
    if count is not None and count < 1:
        raise UsageError("--shard-count must be at least 1", fix="Give the number of shards, e.g. 4.")
    if spec is None:
        if count is not None:
            raise UsageError("--shard-count needs --shard auto", fix="Add --shard auto.")
        return None
    if spec.strip().lower() == "auto":
        return shard_from_env(env, count)
    index, total = parse_shard(spec)
    if count is not None and count != total:
        raise UsageError(f"--shard {spec} and --shard-count {count} disagree", fix="Drop --shard-count.")
    return index, total


def bucket(student: str, count: int) -> int:
    """A student's shard, 0-based: a stable hash of the name, so the same student lands in the same shard on any
    machine, whatever else is in the class, and any shard can be rerun alone."""
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count


def shard(entries: list[Entry], index: int, count: int) -> list[Entry]:
    """The entries of shard index (1-based) of count: shards partition any class, by student name."""
    return [e for e in entries if bucket(e.student, count) == index - 1]


# ---- grading ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """The exercise's checks (name, description, points), as graded on the stub, which collects them all."""

    checks: tuple[TestResult, ...] = ()

    @classmethod
    def of(cls, result: GradeResult) -> Layout:
        """The checks a graded (or ungradeable) result lists, without its outcomes."""
        return cls(tuple(dataclasses.replace(t, outcome=Outcome.SKIPPED, points=0.0, message="", seconds=0.0,
                                             detail=None)
                         for t in result.tests))

    @property
    def total(self) -> float:
        return sum(t.max_points for t in self.checks)

    def not_graded(self, result: GradeResult) -> GradeResult:
        """A result that could not be graded scores 0 on every check, out of the exercise's total."""
        if result.status is not Status.ERROR or result.tests or not self.checks:
            return result
        message = f"not run: {result.error}" if result.error else "not run"
        tests = tuple(dataclasses.replace(t, outcome=Outcome.ERROR, points=0.0, message=message)
                      for t in self.checks)
        return dataclasses.replace(result, tests=tests)


def layout(exercise: Exercise, pool) -> Layout:
    """Grade a copy of the stub (then the reference, if the stub cannot be graded) to learn the checks."""
    import shutil
    import tempfile

    for source in (exercise.stub_path, exercise.reference_path):
        if not source.is_file():
            continue
        with tempfile.TemporaryDirectory(prefix="practice-layout-") as tmp:
            copy = Path(tmp) / exercise.stub
            shutil.copy(source, copy)
            result = [r for _, r in pool.run(exercise, [copy])][0]
        if result.status is Status.GRADED and result.tests:
            return Layout.of(result)
    return Layout()


def grade_all(exercise: Exercise, entries: list[Entry], jobs: int,
              on_result: Callable[[Graded], None] | None = None, pool=None) -> list[Graded]:
    """Grade every entry (broken ones score 0 on every check), calling on_result as each finishes.

    Every result the grader returns lists the exercise's checks, even for a file that cannot be imported; rows
    with nothing to grade (a student folder without a file) wait for the first such result, so no batch grades
    the stub to learn them unless no result gives them. `pool`: a GraderPool already started (else one is).
    """
    from runner.grading.client import GraderPool

    done: dict[str, Graded] = {}
    waiting: list[Graded] = [Graded(e, GradeResult(exercise=exercise.id, status=Status.ERROR, error=e.problem,
                                                   time_limit_s=exercise.time_limit_s))
                             for e in entries if e.path is None]
    checks: Layout | None = None

    def finish(graded: Graded) -> None:
        if checks is None and not graded.result.tests:
            waiting.append(graded)
            return
        if checks is not None:
            graded = Graded(graded.entry, checks.not_graded(graded.result))
        done[graded.entry.file] = graded
        if on_result:
            on_result(graded)

    def release() -> None:
        held, waiting[:] = list(waiting), []
        for graded in held:
            finish(graded)

    runnable = {e.path.resolve(): e for e in entries if e.path is not None}
    with nullcontext(pool) if pool else GraderPool(jobs) as pool:  # a pool given is its caller's to close
        alone = {path for path, entry in runnable.items() if not entry.helpers}
        for path, result in pool.run(exercise, list(runnable), alone=alone) if runnable else ():
            if checks is None and result.tests:
                checks = Layout.of(result)
            finish(Graded(runnable[path], result))
            if checks is not None and waiting:
                release()
        if waiting:
            checks = checks or layout(exercise, pool)
            release()
    return [done[e.file] for e in entries]


# ---- reports --------------------------------------------------------------------------------------------

def summary(results: list[dict]) -> dict:
    """Count, mean, median, spread and a distribution of scores over result dicts."""
    scores = [r["score"] for r in results]
    buckets = {"0": 0, "1-49": 0, "50-89": 0, "90-99": 0, "100": 0}
    for s in scores:
        key = "0" if s == 0 else "1-49" if s < 50 else "50-89" if s < 90 else "90-99" if s < 100 else "100"
        buckets[key] += 1
    return {
        "submissions": len(scores),
        "errors": sum(r["status"] == "error" for r in results),
        "mean": round(statistics.fmean(scores), 1) if scores else None,
        "median": statistics.median(scores) if scores else None,
        "min": min(scores) if scores else None,
        "max": max(scores) if scores else None,
        "distribution": buckets,
    }


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: a spreadsheet reads these as formulas
CSV_COLUMNS = ["student", "file", "status", "score", "points", "max_points", "passed", "total", "error"]


def csv_cell(value):
    """Text that a spreadsheet would evaluate (=1+2, @SUM(…), -2+3, a leading tab or CR) gets a leading ' so it
    stays text, as OWASP's CSV-injection guidance says; numbers are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(record: dict, names: list[str]) -> list:
    points = {t["name"]: t["points"] for t in record["tests"]}
    return [csv_cell(v) for v in (record.get("student", ""), record["file"], record["status"], record["score"],
                                  record["points"], record["max_points"], record["passed"], record["total"],
                                  record["error"] or "", *[points.get(n, 0.0) for n in names])]


def check_writable(*paths: Path | None) -> None:
    """Refuse an output file whose folder does not exist (or is a file) with one line, before any work."""
    for path in paths:
        if path is not None and not Path(path).absolute().parent.is_dir():
            raise WorkspaceError(f"cannot write {path}: its folder {Path(path).parent} does not exist",
                                 fix="Create the folder first, or choose another path.")


def write_csv(results: list[dict], path: Path) -> None:
    """All rows at once (`grade merge`); `practice grade` writes them as they arrive through Reports."""
    names = list(dict.fromkeys(t["name"] for r in results for t in r["tests"]))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([csv_cell(c) for c in CSV_COLUMNS + names])
        for r in results:
            writer.writerow(csv_row(r, names))


def _seconds(value) -> str:
    return f"{float(value or 0.0):.3f}"


def write_junit(results: list[dict], path: Path, exercise_id: str) -> None:
    """One testsuite per student; each testcase's classname is the student, so viewers group by whose it is."""
    suites = ET.Element("testsuites", name=f"practice {exercise_id}",
                        tests=str(sum(max(1, r["total"]) for r in results)),
                        time=_seconds(sum(r.get("duration_s") or 0.0 for r in results)))
    for r in results:
        student = r.get("student") or r["file"]
        tests = r["tests"]
        suite = ET.SubElement(suites, "testsuite", name=student, tests=str(max(1, len(tests))),
                              failures=str(sum(t["outcome"] == "failed" for t in tests)),
                              errors=str(sum(t["outcome"] in ("error", "timeout") for t in tests)
                                         + (r["status"] == "error" and not tests)),
                              skipped=str(sum(t["outcome"] == "skipped" for t in tests)),
                              time=_seconds(r.get("duration_s")))
        ET.SubElement(suite, "properties").extend([ET.Element("property", name="score", value=str(r["score"])),
                                                   ET.Element("property", name="file", value=r["file"]),
                                                   ET.Element("property", name="exercise", value=exercise_id)])
        if r["status"] == "error" and not tests:
            case = ET.SubElement(suite, "testcase", classname=student, name="grading", time=_seconds(0))
            ET.SubElement(case, "error", message=r["error"] or "error", type="error")
        for t in tests:
            case = ET.SubElement(suite, "testcase", classname=student, name=t["name"],
                                 time=_seconds(t.get("seconds")))
            if t["outcome"] == "failed":
                ET.SubElement(case, "failure", message=t["message"], type="failed")
            elif t["outcome"] in ("error", "timeout"):
                ET.SubElement(case, "error", message=t["message"], type=t["outcome"])
            elif t["outcome"] == "skipped":
                ET.SubElement(case, "skipped", message=t["message"])
    for element in suites.iter():  # one student's message with a control character made the whole file invalid
        element.attrib = {key: xml_safe(value) for key, value in element.attrib.items()}
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def xml_safe(text: str) -> str:
    """Characters XML 1.0 cannot hold, made visible: control characters as ^[ ^G, lone surrogates as U+FFFD."""
    import re

    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]",
                  lambda m: f"^{chr(ord(m.group()) + 64)}" if m.group() < " " else "\ufffd", text)


class Reports:
    """The files of `practice grade`: CSV rows written and flushed as results arrive (an interrupted run keeps
    what finished), JUnit written on close, also after an interruption."""

    def __init__(self, exercise_id: str, csv_path: Path | None = None, junit_path: Path | None = None):
        self.exercise_id, self.junit_path = exercise_id, junit_path
        self.csv_path = None if csv_path is None else Path(csv_path)
        self.records: list[dict] = []
        self.names: list[str] | None = None
        self._fh = None
        self._writer = None

    def __enter__(self) -> Reports:
        check_writable(self.csv_path, self.junit_path)  # before grading, not after it
        if self.csv_path is not None:
            self._fh = open(self.csv_path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
            self._writer = csv.writer(self._fh)
        return self

    def add(self, graded: Graded) -> None:
        record = graded.to_dict()
        self.records.append(record)
        if self._writer is None:
            return
        if self.names is None:  # every record carries every check (see Layout), so the first one names them
            self.names = [t["name"] for t in record["tests"]]
            self._writer.writerow([csv_cell(c) for c in CSV_COLUMNS + self.names])
        self._writer.writerow(csv_row(record, self.names))
        self._fh.flush()

    def __exit__(self, exc_type, *exc) -> None:
        order = sorted(self.records, key=lambda r: (r.get("student", ""), r["file"]))
        if self._fh is not None:
            if self.names is None:
                self._writer.writerow(CSV_COLUMNS)
            self._fh.close()
            if exc_type is None:  # finished: the same rows, sorted by student (an interrupted run keeps arrival order)
                partial = self.csv_path.with_name(self.csv_path.name + ".partial")
                write_csv(order, partial)
                partial.replace(self.csv_path)
        if self.junit_path is not None:
            write_junit(order, self.junit_path, self.exercise_id)


def read_json_lines(paths: Iterable[Path]) -> list[dict]:
    """Results written by `practice grade --json` (one object per line), from shards; sorted by file."""
    merged: dict[str, dict] = {}
    first: tuple[str, str] | None = None  # (exercise, where it was first seen): one exercise per merge
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}", fix="Check the shard result files.") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                merged[record["file"]] = record
                exercise = str(record.get("exercise"))
            except (ValueError, KeyError, TypeError, AttributeError):
                raise UsageError(f"{path}:{n} is not a result line from `practice grade --json`",
                                 fix="Merge only the JSON-lines output of grade --json.") from None
            first = first or (exercise, f"{path}:{n}")
            if exercise != first[0]:
                raise UsageError(f"{path}:{n} holds a result of {exercise}, {first[1]} one of {first[0]}",
                                 fix="Merge the shards of one exercise at a time.")
    return sorted(merged.values(), key=lambda r: (r.get("student", ""), r["file"]))
