"""Drive warm grading workers and turn their events into results."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from runner.bank import Exercise
from runner.errors import GradingError
from runner.grading import remove_tree
from runner.results import ExampleResult, GradeResult, Outcome, PlotData, RunResult, Status, TestResult
from runner.sandbox import layers

BACKSTOP_S = 10.0  # beyond a job's own deadline, before the client gives up on a worker
MAX_EVENT_BYTES = 64 << 20  # one event line; the grader's largest (a collected list, messages) is far smaller
WORKER_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "PYTHONHASHSEED": "0",
}


CPU_ENV = "PRACTICE_WORKER_CPU"  # the CPU a worker (and its job and learner processes) runs on, when pinned


def worker_cpus(size: int) -> list[int | None]:
    """The CPU for each of `size` workers: one each when there are exactly as many workers as CPUs this process
    may use (a job process and its learner then hand each call back and forth on one CPU, which costs about half
    the CPU time of crossing between two), else none: the kernel places them, so two runs side by side on a
    bigger machine never crowd onto the same CPUs."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return [None] * size
    return list(cpus) if size == len(cpus) else [None] * size


def worker_command(results_fd: int, scratch: str | None = None) -> list[str]:
    """The worker's command line: `-P` (Python 3.11+) keeps the working folder off its import path."""
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe, "-m", "runner.grading.worker", str(results_fd), *([scratch] if scratch else [])]


class _Worker:
    def __init__(self, env_overrides: dict | None = None, cwd: str | None = None, cpu: int | None = None):
        read_fd, write_fd = os.pipe()
        env = {**os.environ, **WORKER_ENV, **(env_overrides or {})}
        if cpu is not None:
            env[CPU_ENV] = str(cpu)
        self.cpu = cpu
        debug = bool(os.environ.get("PRACTICE_DEBUG"))
        # The worker starts in a private empty folder, never the user's: a `random.py` or `json.py` where
        # `practice` was run must not shadow the grader's own imports (Python 3.10 has no -P).
        self.proc = subprocess.Popen(
            worker_command(write_fd, scratch=cwd), cwd=cwd,
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=None if debug else subprocess.DEVNULL,
            pass_fds=(write_fd,), env=env, start_new_session=True, close_fds=True,
        )
        os.close(write_fd)
        self.fd = read_fd
        self.buffer = b""
        self.job: dict | None = None
        self.events: list[dict] = []
        self.started = 0.0

    def send(self, job: dict, exercise: Exercise) -> None:
        job = {**job, "bank": str(Path(job["bank"]).resolve())}  # the worker runs in a folder of its own
        self.job, self.events = job, []
        self.started = time.monotonic()
        self.limit = exercise.limits.run_seconds + BACKSTOP_S
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()

    def read_events(self) -> bool:
        """Read what is available; return True when the current job has ended.

        A line that is not a JSON event (or an endless one) ends this job with an error and kills the worker:
        its channel can no longer be trusted, and the pool starts another for the next submission.
        """
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            try:
                code = self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = None
            self.events.append({"event": "end", "deadline": False, "exit": code, "lost": True})
            return True
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        if len(self.buffer) > MAX_EVENT_BYTES:
            return self._spoiled("an event larger than the grader ever writes")
        ended = False
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                return self._spoiled("a line that is not a JSON event")
            if not isinstance(event, dict):
                return self._spoiled("a value that is not an event")
            if event.get("job") == self.job.get("id"):
                self.events.append(event)
                ended = ended or event.get("event") == "end"
        return ended

    def kill(self) -> None:
        """Kill the worker and everything it started, at once."""
        from runner.sandbox.reaper import kill_tree

        kill_tree(self.proc.pid, grace=0.0)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.proc.stdin.close()
        except OSError:  # its reading end is gone: nothing to flush
            pass

    def _spoiled(self, what: str) -> bool:
        self.kill()
        self.events = [e for e in self.events if e.get("event") not in ("done", "end")]
        self.events.append({"event": "done", "status": "error", "output": "",
                            "error": f"the grader's result channel carried {what} (learner code may have "
                                     "written to it), so this submission cannot be graded; nothing was recorded "
                                     "from it"})
        self.events.append({"event": "end", "deadline": False, "exit": None, "lost": True})
        return True

    def overdue(self) -> bool:
        return time.monotonic() - self.started > self.limit

    def close(self, at_once: bool = False) -> None:
        from runner.sandbox.reaper import kill_tree

        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=0 if at_once else 2)
        except subprocess.TimeoutExpired:
            kill_tree(self.proc.pid, grace=0.05)
            self.proc.wait()
        os.close(self.fd)


class GraderPool:
    """N warm workers; grade submissions in parallel, results in submission order or as they finish."""

    def __init__(self, jobs: int = 1, env: dict | None = None):
        self.size = max(1, jobs)
        self._cpus = worker_cpus(self.size)
        self.env = env
        self.workers: list[_Worker] = []
        self._ids = itertools.count(1)
        self._cwd = tempfile.mkdtemp(prefix="practice-grader-")  # the workers' folder and their scratch space
        self._cleanup = weakref.finalize(self, remove_tree, self._cwd)  # also for a pool never closed
        layers.prepare_client()  # undumpable (learner code must not reach the workers' pipes through /proc/<pid>/fd)
        # and the isolation layer chosen once, here, for every worker it starts
        self._tickets: dict[int, tuple[_Worker, Exercise, str]] = {}  # submit()/poll()/cancel() jobs

    def __enter__(self) -> GraderPool:
        return self

    def start(self, count: int | None = None) -> GraderPool:
        """Start `count` workers (default: all) now, so they import NumPy and pytest while the caller works."""
        while len(self.workers) < min(self.size, self.size if count is None else count):
            self._spare()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(at_once=exc_type is not None)  # Ctrl-C or a crash: do not wait for jobs to finish

    def close(self, at_once: bool = False) -> None:
        for worker in self.workers:
            worker.close(at_once)
        self.workers = []
        self._cleanup()

    def _spare(self, cpu: int | None = None) -> _Worker:
        os.makedirs(self._cwd, exist_ok=True)
        if cpu is None:
            taken = {w.cpu for w in self.workers}
            cpu = next((c for c in self._cpus if c not in taken), None)
        worker = _Worker(self.env, cwd=self._cwd, cpu=cpu)
        self.workers.append(worker)
        return worker

    def run(self, exercise: Exercise, submissions: Iterable[Path], kind: str = "grade",
            reverse: bool = False, sources: dict | None = None, reveal: bool = False,
            alone: Collection[Path] = ()) -> Iterator[tuple[Path, object]]:
        """Grade each submission; yield (path, result) as each finishes. `reverse` runs the tests backwards.

        `sources` maps a path to the text to grade for it (the text recorded in the store); any other
        submission is read from its file once, by the learner process, and compiled from that text.
        `reveal`: search a counterexample for each failed check that may show one (runner/counterexamples.py).
        `alone`: submissions whose neighbours are other students' files, so none of them is a helper module.
        """
        pending = list(submissions)
        pending.reverse()
        while len(self.workers) < min(self.size, max(1, len(pending))):
            self._spare()
        busy: dict[int, tuple[_Worker, Path]] = {}
        idle = list(self.workers)
        while pending or busy:
            while pending and idle:
                path = pending.pop()
                worker, _ = self._dispatch(idle.pop(), exercise, path, kind, reverse, (sources or {}).get(path),
                                           reveal, helpers=path not in alone)
                busy[worker.fd] = (worker, path)
            ready, _, _ = select.select(list(busy), [], [], 0.5)
            for fd in ready:
                worker, path = busy[fd]
                if worker.read_events():
                    del busy[fd]
                    yield path, _assemble(exercise, worker.events, kind, time.monotonic() - worker.started)
                    idle.append(self._replace_if_dead(worker))
            for fd, (worker, path) in list(busy.items()):
                if fd not in ready and worker.overdue():
                    del busy[fd]
                    worker.events.append({"event": "end", "deadline": True, "exit": None, "lost": True})
                    yield path, _assemble(exercise, worker.events, kind, time.monotonic() - worker.started)
                    idle.append(self._replace(worker))

    # ---- non-blocking use (the live view): submit a job, poll for results, or cancel it ------------------------
    # Do not mix with a run() in progress on the same pool.

    def submit(self, exercise: Exercise, path: Path, kind: str = "grade", source: str | None = None,
               reveal: bool = False) -> int:
        """Start one job on an idle worker (a new one if all are busy); return its ticket at once.

        `source`: grade this text as that file (the text recorded in the store), as `run(sources=...)` does.
        """
        busy = {id(w) for w, _, _ in self._tickets.values()}
        worker = next((w for w in self.workers if id(w) not in busy), None) or self._spare()
        worker, ticket = self._dispatch(worker, exercise, path, kind, False, source, reveal)
        self._tickets[ticket] = (worker, exercise, kind)
        return ticket

    def _dispatch(self, worker: _Worker, exercise: Exercise, path: Path, kind: str, reverse: bool,
                  source: str | None, reveal: bool, helpers: bool = True) -> tuple[_Worker, int]:
        """Send one job to `worker` (to a fresh one if it died between jobs); return the worker and the job id."""
        job_id = next(self._ids)
        job = {"id": job_id, "kind": kind, "bank": str(exercise.root), "exercise": exercise.id,
               "submission": str(Path(path).resolve()), "reverse": reverse, "source": source, "reveal": reveal,
               "helpers": helpers}
        try:
            worker.send(job, exercise)
        except OSError:  # the worker died between jobs: start another and send it there
            worker = self._replace(worker)
            worker.send(job, exercise)
        return worker, job_id

    def fds(self) -> list[int]:
        """The descriptors to select() on: one per submitted job still running."""
        return [w.fd for w, _, _ in self._tickets.values()]

    def poll(self, timeout: float = 0.0) -> list[tuple[int, object]]:
        """Wait up to `timeout` s for submitted jobs; return (ticket, result) for each that has finished."""
        if not self._tickets:
            return []
        by_fd = {w.fd: t for t, (w, _, _) in self._tickets.items()}
        ready, _, _ = select.select(list(by_fd), [], [], max(0.0, timeout))
        done = []
        for ticket, (worker, exercise, kind) in list(self._tickets.items()):
            ended = worker.read_events() if worker.fd in ready else False
            stuck = not ended and worker.overdue()
            if stuck:
                worker.events.append({"event": "end", "deadline": True, "exit": None, "lost": True})
            if ended or stuck:
                del self._tickets[ticket]
                done.append((ticket, _assemble(exercise, worker.events, kind, time.monotonic() - worker.started)))
                if stuck or worker.proc.poll() is not None:
                    self._replace(worker)
        return done

    def cancel(self, ticket: int) -> None:
        """Stop a submitted job now: its worker (and the learner's code) is killed and replaced; no result comes."""
        entry = self._tickets.pop(ticket, None)
        if entry is not None:
            self._replace(entry[0])

    def _replace_if_dead(self, worker: _Worker) -> _Worker:
        return self._replace(worker) if worker.proc.poll() is not None else worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        os.close(worker.fd)
        self.workers.remove(worker)
        return self._spare(worker.cpu)


def _assemble(exercise: Exercise, events: list[dict], kind: str, seconds: float = 0.0):
    try:
        if kind == "examples":
            return _assemble_run(exercise, events)
        return dataclasses.replace(_assemble_grade(exercise, events), duration_s=round(seconds, 3))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # one submission's, never the batch's
        error = f"the grader's events for this submission were malformed ({type(exc).__name__}), so it cannot be graded"
        if kind == "examples":
            return RunResult(exercise=exercise.id, status=Status.ERROR, error=error)
        return GradeResult(exercise=exercise.id, status=Status.ERROR, error=error, time_limit_s=exercise.time_limit_s,
                           duration_s=round(seconds, 3))


def _ending(exercise: Exercise, events: list[dict]) -> tuple[dict, dict]:
    done = next((e for e in events if e.get("event") == "done"), {})
    end = next((e for e in events if e.get("event") == "end"), {})
    return done, end


def _assemble_grade(exercise: Exercise, events: list[dict]) -> GradeResult:
    done, end = _ending(exercise, events)
    collected = next((e["tests"] for e in events if e.get("event") == "collected"), None)
    reported = {e["name"]: e for e in events if e.get("event") == "test"}
    details = {e["name"]: e["detail"] for e in events if e.get("event") == "detail"}  # counterexamples (--reveal)
    common = {"exercise": exercise.id, "time_limit_s": exercise.time_limit_s, "output": done.get("output", ""),
              "constraints": exercise.constraints.describe(), "timing": done.get("timing"),
              "isolation": end.get("isolation") or layers.active().name,  # the worker's, else the pool's choice
              "kept_state": tuple(next((e["kept"] for e in events if e.get("event") == "state"), ()))}
    if done.get("status") == "error" or collected is None:
        if done.get("error"):
            error = done["error"]
        elif end.get("deadline"):
            error = f"grading did not finish within the {exercise.limits.run_seconds:g} s run deadline"
        else:
            error = f"the grader stopped unexpectedly ({_how_it_ended(end)})"
        checks = next((e["tests"] for e in events if e.get("event") == "checks"), collected) or ()
        tests = tuple(TestResult(name=meta["name"], description=meta["description"], outcome=Outcome.ERROR,
                                 points=0.0, max_points=float(meta["max_points"]), message=f"not run: {error}")
                      for meta in checks)
        return GradeResult(status=Status.ERROR, error=error, tests=tests, bank_problem=done.get("cause") == "bank",
                           **common)
    tests = []
    if done or end.get("deadline"):  # the job ran to its end, or to the run deadline: checks left were not started
        not_run = {"outcome": "timeout", "message": f"not run: the {exercise.limits.run_seconds:g} s run deadline "
                                                    "was reached"}
    else:
        not_run = {"outcome": "error", "message": f"not run: the grading process stopped before this check "
                                                  f"({_how_it_ended(end)})"}
    for meta in collected:
        event = reported.get(meta["name"])
        if event is None:
            event = {**meta, "points": 0.0, **not_run}
        tests.append(TestResult(name=event["name"], description=event["description"],
                                outcome=Outcome(event["outcome"]), points=float(event["points"]),
                                max_points=float(event["max_points"]), message=event.get("message", ""),
                                seconds=float(event.get("seconds", 0.0)), detail=details.get(event["name"])))
    return GradeResult(status=Status.GRADED, tests=tuple(tests), **common)


def _how_it_ended(end: dict) -> str:
    code = end.get("exit")
    if isinstance(code, int) and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}; learner code may have killed it"
    return "exit status unknown" if code is None else f"exit {code}"


def _assemble_run(exercise: Exercise, events: list[dict]) -> RunResult:
    done, end = _ending(exercise, events)
    found = next((e for e in events if e.get("event") == "examples"), None)
    if found is None:
        error = done.get("error") or ("the examples did not finish in time" if end.get("deadline")
                                      else f"the grader stopped unexpectedly ({_how_it_ended(end)})")
        return RunResult(exercise=exercise.id, status=Status.ERROR, error=error, output=done.get("output", ""))
    examples = tuple(ExampleResult(**e) for e in found["examples"])
    plots = tuple(PlotData(title=p["title"], kind=p["kind"], xlabel=p["xlabel"], ylabel=p["ylabel"],
                           x=tuple(p["x"]), series={k: tuple(v) for k, v in p["series"].items()},
                           grid=tuple(tuple(r) for r in p["grid"]), error=p["error"]) for p in found["plots"])
    return RunResult(exercise=exercise.id, status=Status.GRADED, examples=examples, plots=plots,
                     output=found.get("output", ""))


def grade_file(exercise: Exercise, path: Path, source: str | None = None, reveal: bool = False) -> GradeResult:
    """Grade one file against the exercise's hidden tests; `source`: grade this text as that file; `reveal`:
    find counterexamples for failed checks."""
    with GraderPool(1) as pool:
        for _, result in pool.run(exercise, [path], sources=None if source is None else {path: source},
                                  reveal=reveal):
            return result
    raise GradingError("the grader returned no result")


def run_examples(exercise: Exercise, path: Path) -> RunResult:
    """Run the exercise's visible examples (and plots) against one file."""
    with GraderPool(1) as pool:
        for _, result in pool.run(exercise, [path], kind="examples"):
            return result
    raise GradingError("the grader returned no result")
