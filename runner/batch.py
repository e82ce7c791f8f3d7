"""Grade a whole class: collect submissions, grade them in parallel, and write JSON lines, CSV and JUnit."""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from runner.bank import Exercise
from runner.errors import UsageError
from runner.results import GradeResult, Status


@dataclass(frozen=True)
class Entry:
    """One student's submission: a file to grade, or the reason there is none."""

    student: str
    file: str  # as given, for reports
    path: Path | None
    problem: str | None = None


@dataclass(frozen=True)
class Graded:
    entry: Entry
    result: GradeResult

    def to_dict(self) -> dict:
        return {"file": self.entry.file, "student": self.entry.student, **self.result.to_dict()}


def collect(exercise: Exercise, paths: Iterable[Path]) -> list[Entry]:
    """Each PATH is a file, a folder of files, or a folder with one folder per student; sorted and deduplicated."""
    entries: dict[str, Entry] = {}

    def add(entry: Entry) -> None:
        key = str(entry.path.resolve()) if entry.path else f"?{entry.file}"
        entries.setdefault(key, entry)

    for raw in paths:
        path = Path(raw)
        if path.is_file():
            add(Entry(path.stem, str(path), path))
        elif path.is_dir():
            for item in sorted(path.iterdir()):
                if item.name.startswith((".", "__")):
                    continue
                if item.is_file() and item.suffix == ".py":
                    add(Entry(item.stem, str(item), item))
                elif item.is_dir():
                    add(_student_folder(exercise, item))
        else:
            add(Entry(path.stem, str(path), None, f"no file or folder at {path}"))
    return sorted(entries.values(), key=lambda e: (e.student, e.file))


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


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' -> (I, N), 1 <= I <= N."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r} is not I/N", fix="Write e.g. --shard 2/4.") from None
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: I must be between 1 and N", fix="Use 1/N … N/N.")
    return index, count


def shard(entries: list[Entry], index: int, count: int) -> list[Entry]:
    """Every count-th entry starting at index (1-based): shards partition the sorted class."""
    return entries[index - 1::count]


def grade_all(exercise: Exercise, entries: list[Entry], jobs: int,
              on_result: Callable[[Graded], None] | None = None) -> list[Graded]:
    """Grade every entry (broken ones get an error result), calling on_result as each finishes."""
    from runner.grading.client import GraderPool

    done: dict[str, Graded] = {}
    for entry in entries:
        if entry.path is None:
            graded = Graded(entry, GradeResult(exercise=exercise.id, status=Status.ERROR, error=entry.problem,
                                               time_limit_s=exercise.time_limit_s))
            done[entry.file] = graded
            if on_result:
                on_result(graded)
    runnable = {e.path.resolve(): e for e in entries if e.path is not None}
    if runnable:
        with GraderPool(jobs) as pool:
            for path, result in pool.run(exercise, list(runnable)):
                graded = Graded(runnable[path], result)
                done[graded.entry.file] = graded
                if on_result:
                    on_result(graded)
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


def write_csv(results: list[dict], path: Path) -> None:
    names = list(dict.fromkeys(t["name"] for r in results for t in r["tests"]))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "file", "status", "score", "points", "max_points", "passed", "total", "error",
                         *names])
        for r in results:
            points = {t["name"]: t["points"] for t in r["tests"]}
            writer.writerow([r.get("student", ""), r["file"], r["status"], r["score"], r["points"], r["max_points"],
                             r["passed"], r["total"], r["error"] or "", *[points.get(n, "") for n in names]])


def write_junit(results: list[dict], path: Path, exercise_id: str) -> None:
    suites = ET.Element("testsuites", name=f"practice {exercise_id}")
    for r in results:
        suite = ET.SubElement(suites, "testsuite", name=r.get("student") or r["file"], tests=str(max(1, r["total"])),
                              failures=str(sum(t["outcome"] == "failed" for t in r["tests"])),
                              errors=str(sum(t["outcome"] in ("error", "timeout") for t in r["tests"])
                                         + (r["status"] == "error")),
                              skipped=str(sum(t["outcome"] == "skipped" for t in r["tests"])))
        ET.SubElement(suite, "properties").extend([ET.Element("property", name="score", value=str(r["score"])),
                                                   ET.Element("property", name="file", value=r["file"])])
        if r["status"] == "error":
            case = ET.SubElement(suite, "testcase", classname=exercise_id, name="grading")
            ET.SubElement(case, "error", message=r["error"] or "error", type="error")
        for t in r["tests"]:
            case = ET.SubElement(suite, "testcase", classname=exercise_id, name=t["name"])
            if t["outcome"] == "failed":
                ET.SubElement(case, "failure", message=t["message"], type="failed")
            elif t["outcome"] in ("error", "timeout"):
                ET.SubElement(case, "error", message=t["message"], type=t["outcome"])
            elif t["outcome"] == "skipped":
                ET.SubElement(case, "skipped", message=t["message"])
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def read_json_lines(paths: Iterable[Path]) -> list[dict]:
    """Results written by `practice grade --json` (one object per line), from shards; sorted by file."""
    merged: dict[str, dict] = {}
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
            except (ValueError, KeyError, TypeError):
                raise UsageError(f"{path}:{n} is not a result line from `practice grade --json`",
                                 fix="Merge only the JSON-lines output of grade --json.") from None
    return sorted(merged.values(), key=lambda r: (r.get("student", ""), r["file"]))
