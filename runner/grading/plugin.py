"""The pytest plugin that grades: the `solution` fixture, points, and one structured result per test."""

from __future__ import annotations

import argparse
import builtins
import os
import time

import pytest

from runner.sandbox.proxy import (
    ImportFailed,
    LearnerProcess,
    LearnerRaised,
    SandboxCrash,
    SandboxFailure,
    SandboxTimeout,
)

MESSAGE_LIMIT = 400


class NotRun(SandboxTimeout):
    """A check reached learner code after an earlier call timed out: it is not run, and reported as a timeout."""


NOT_RUN = "not run: an earlier call timed out"


def _learner_pid(pid: int) -> int:
    """The process that runs learner code: the forked one, or its child where the isolation layer forks a
    pid-namespace init first."""
    for _ in range(3):
        try:
            with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
                children = fh.read().split()
        except OSError:
            break
        if not children:
            break
        pid = int(children[0])
    return pid


def _cpu_reader(pid: int):
    """A function giving the learner process's CPU seconds so far, in ns steps (its main thread: the learner's
    numpy is single-threaded), and the descriptor it reads; (None, None) where /proc has no schedstat."""
    try:
        fd = os.open(f"/proc/{_learner_pid(pid)}/schedstat", os.O_RDONLY)
    except OSError:
        return None, None

    def read() -> float | None:
        try:
            return int(os.pread(fd, 128, 0).split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    return read, fd


class LearnerHost:
    """Keep one learner process for the run; start a fresh one after a crash or memory error.

    Once a call has timed out, no more learner code runs: every later call raises NotRun at once, so a
    submission that hangs costs one call's limit, not one per check. Each call is timed (wall, and the learner's
    CPU time where /proc has it), which is how `practice validate` measures the reference.
    """

    def __init__(self, spec, limits, deadline: float):
        self.spec, self.limits, self.deadline = spec, limits, deadline
        self.current: LearnerProcess | None = None
        self.output: list[str] = []
        self.timed_out = False
        self.opened, self.closed = time.monotonic(), None
        self.calls, self.slowest_call_s = 0, 0.0
        self.cpu_calls, self.slowest_call_cpu_s = 0, 0.0  # calls whose CPU time was measured, and the most
        self._cpu, self._cpu_fd, self._cpu_last = None, None, None

    def start(self) -> LearnerProcess:
        self.current = LearnerProcess(self.spec, call_seconds=self.limits.call_seconds,
                                      output_limit=self.limits.output_kb * 1024, deadline=self.deadline)
        self._cpu, self._cpu_fd = _cpu_reader(self.current.pid)
        self._cpu_last = self._cpu() if self._cpu else None
        return self.current

    def process(self) -> LearnerProcess:
        if self.timed_out:
            raise NotRun(NOT_RUN)
        if self.current is None or not self.current.alive:
            self._collect()
            try:
                self.start()
            except ImportFailed as exc:
                raise SandboxCrash(f"your file could not be imported again: {exc}") from None
        return self.current

    def call(self, name: str, *args, **kwargs):
        """Call learner function `name` and time it; after any call timed out, raise NotRun instead."""
        return self._request(lambda process: process.call(name, *args, **kwargs))

    def evaluate(self, expr: str):
        """Evaluate an example or plot expression, as `call` does (visible examples stop after a timeout too)."""
        return self._request(lambda process: process.evaluate(expr))

    def _request(self, send):
        process = self.process()
        start = time.monotonic()
        try:
            return send(process)
        except SandboxTimeout:
            self.timed_out = True
            raise
        finally:
            self._timed(time.monotonic() - start)

    def _timed(self, seconds: float) -> None:
        self.calls += 1
        self.slowest_call_s = max(self.slowest_call_s, seconds)
        now = self._cpu() if self._cpu else None  # None without /proc, or once the process has ended
        if now is not None and self._cpu_last is not None:
            self.cpu_calls += 1
            self.slowest_call_cpu_s = max(self.slowest_call_cpu_s, now - self._cpu_last)
        self._cpu_last = now

    def timing(self) -> dict:
        """What this run's calls cost: the measurement `practice validate` stores for a reference."""
        end = self.closed if self.closed is not None else time.monotonic()
        # No figure unless every call was measured; none at all is implausible (decoding a call costs CPU time):
        # that would be a process that is not the learner's.
        measured = self.cpu_calls == self.calls and self.slowest_call_cpu_s > 0
        cpu = round(self.slowest_call_cpu_s, 4) if measured else None
        return {"calls": self.calls, "slowest_call_s": round(self.slowest_call_s, 4), "slowest_call_cpu_s": cpu,
                "run_s": round(end - self.opened, 3), "timed_out": self.timed_out}

    def _collect(self) -> None:
        if self._cpu_fd is not None:
            os.close(self._cpu_fd)
            self._cpu, self._cpu_fd = None, None
        if self.current is not None:
            self.current.close()
            text = self.current.captured_output()
            if text:
                self.output.append(text)
            self.current = None

    def close(self) -> str:
        self._collect()
        self.closed = time.monotonic()
        return "".join(self.output)


class SolutionProxy:
    """The learner's module as hidden tests see it: attribute access gives functions that run remotely."""

    def __init__(self, host: LearnerHost):
        self._host = host

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)

        def remote(*args, **kwargs):
            __tracebackhide__ = True
            return self._host.call(name, *args, **kwargs)

        remote.__name__ = name
        return remote


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""


def _truncate(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def clean_assertion(exc: BaseException) -> str:
    """Keep an assertion's own message; drop expressions, array dumps and pytest internals."""
    text = str(exc).strip()
    if not text or text.startswith("assert "):
        return "a hidden check failed"
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("assert ", "+ where", "x:", "y:", "ACTUAL:", "DESIRED:", "Max relative")):
            break
        if stripped:
            kept.append(stripped)
    return _truncate(" ".join(kept)) or "a hidden check failed"


def classify(exc: BaseException) -> tuple[str, str]:
    """Map an exception raised in a test to (outcome, message)."""
    if isinstance(exc, SandboxTimeout):
        return "timeout", _truncate(str(exc))
    if isinstance(exc, SandboxFailure):
        return "error", _truncate(str(exc))
    if isinstance(exc, LearnerRaised):
        kind = getattr(exc, "learner_type", type(exc).__name__)
        where = f" ({exc.where})" if exc.where else ""
        if kind == "NotImplementedError":
            return "error", f"not implemented yet: the function still raises NotImplementedError{where}"
        detail = f": {exc}" if str(exc) else ""
        return "error", _truncate(f"your code raised {kind}{detail}{where}")
    if isinstance(exc, AssertionError):
        return "failed", clean_assertion(exc)
    if isinstance(exc, pytest.skip.Exception):
        return "skipped", _truncate(getattr(exc, "msg", "") or "skipped")
    return "failed", _truncate(f"the check could not use your result ({type(exc).__name__}: {exc})")


class QuickReports:
    """A check's report without what nothing here reads: a failure's formatted traceback (learners' messages come
    from the exception itself, `classify`; building one walks and stats every frame's file, ~1 ms each), and
    every report's keywords (the check's markers, walked three times per check)."""

    def __init__(self, grading: GradingPlugin):
        self.grading = grading

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        excinfo = call.excinfo
        if not self.grading.in_job or item._report_sections:
            return None
        if excinfo is None:
            outcome, summary = "passed", None
        elif isinstance(excinfo.value, Exception) and not isinstance(excinfo.value,
                                                                     (pytest.skip.Exception, *_EXCEPTION_GROUPS)):
            outcome, summary = "failed", _truncate(f"{type(excinfo.value).__name__}: {excinfo.value}")
        else:
            return None  # pytest's own handling of skips, exception groups and BaseExceptions
        from _pytest.reports import TestReport

        return TestReport(item.nodeid, item.location, {}, outcome, summary, call.when, [], call.duration,
                          call.start, call.stop, user_properties=item.user_properties)


_EXCEPTION_GROUPS = tuple(t for t in (getattr(builtins, "BaseExceptionGroup", None),) if t is not None)


class GradingPlugin:
    """Registered with pytest.main(plugins=[...]) by a worker, once per exercise.

    Collection happens once. `serve` (the worker's) then takes over the test loop: it hands each submission to a
    job process forked from the collected session (runner/grading/jobserver.py), which grades it with
    `grade_submission`; each check's result is emitted as soon as it is known.
    """

    def __init__(self, serve):
        self.serve = serve
        self.meta: dict[str, dict] = {}
        self._reset()

    def _reset(self) -> None:
        """Forget the last submission: nothing of it may reach the next one."""
        from runner.checks import forget_modified

        forget_modified()  # the in-place changes the sandbox recorded for the checks
        self.host: LearnerHost | None = None
        self.emit = None
        self.deadline = float("inf")
        self.in_job = False
        self.order: list = []  # the checks, in the order this submission runs them
        self.verdicts: dict[str, tuple[str, str]] = {}
        self.seconds: dict[str, float] = {}  # setup + call + teardown of each check (JUnit `time`)
        self.reveal = False
        self.to_reveal: list = []  # failed checks to search counterexamples for, once every check has run
        self.clean = True  # False: the run deadline skipped checks, or a fixture failed its final teardown

    def begin_job(self, host: LearnerHost, emit, deadline: float, session, reverse: bool = False,
                  reveal: bool = False) -> None:
        """In a job process: grade this submission with the collected items next (`reveal`: search a
        counterexample for each failed check that may show one)."""
        self._reset()
        self.host, self.emit, self.deadline, self.in_job = host, emit, deadline, True
        self.reveal = reveal
        self.order = list(reversed(session.items)) if reverse else list(session.items)
        session.shouldstop = session.shouldfail = False
        session.testsfailed = 0
        for item in self.order:
            item._report_sections, item.user_properties = [], []
        emit({"event": "collected", "tests": [self.meta[item.nodeid] for item in self.order]})

    def run_checks(self, session) -> None:
        """Run every check in this submission's order, as pytest's own loop would (the last one's teardown ends
        every fixture), then tear down whatever checks skipped at the run deadline left set up."""
        hook = session.config.hook
        for i, item in enumerate(self.order):
            nextitem = self.order[i + 1] if i + 1 < len(self.order) else None
            hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        try:
            session._setupstate.teardown_exact(None)
        except BaseException:  # noqa: BLE001 - a fixture's teardown failed: this process is no clean start now
            self.clean = False

    def finish_job(self) -> bool:
        """Search counterexamples, close the learner process and emit `done`; then forget the submission.
        Return whether this process is still a clean start for the next one (see `clean`)."""
        # Counterexamples only now, after every check has run and been reported: a search (its learner calls, a
        # timeout it meets, state learner code keeps) can never change a score.
        for n, item in enumerate(self.to_reveal):
            detail = counterexample(item, self.host, self.deadline, len(self.to_reveal) - n)
            if detail:
                self.emit({"event": "detail", "name": self.meta[item.nodeid]["name"], "detail": detail})
        output = self.host.close()
        self.emit({"event": "done", "status": "graded", "error": None, "output": output,
                   "timing": self.host.timing()})
        clean = self.clean
        self._reset()
        return clean

    def checks(self, session) -> list[dict]:
        """Each collected check's name, description and points, in collection order."""
        return [self.meta[item.nodeid] for item in session.items]

    @pytest.fixture
    def solution(self):
        return SolutionProxy(self.host)

    def pytest_addoption(self, parser):
        # pytest formats a traceback for every failure, parsing source files (about 20 ms per failure);
        # learners never see it (messages come from the exception itself), so have it format none.
        parser.addoption("--practice-tbstyle", dest="tbstyle", default="no", help=argparse.SUPPRESS)

    def pytest_configure(self, config):
        config.pluginmanager.register(QuickReports(self), "practice-quick-reports")
        config.addinivalue_line("markers", "points(n): how many points a hidden check is worth")
        config.addinivalue_line("markers", "reveal(name): the check may show a counterexample; `name` is a function "
                                           "of its module returning a runner.counterexamples.Property")

    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            _ = item.location  # computed once here, not again in every job's fork (os.stat and friends)
            marker = item.get_closest_marker("points")
            points = float(marker.args[0]) if marker and marker.args else 1.0
            doc = getattr(getattr(item, "function", None), "__doc__", None)
            self.meta[item.nodeid] = {"name": item.name, "description": _first_line(doc) or item.name.replace("_", " "),
                                      "max_points": points}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        collected = bool(session.items) and not session.testsfailed
        return self.serve(self, session, collected)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if time.monotonic() >= self.deadline:
            self.clean = False
            return True  # skip running it; the client reports it as a timeout
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and item.nodeid not in self.verdicts:
            self.verdicts[item.nodeid] = classify(call.excinfo.value)
            exc = call.excinfo.value
            wrong = isinstance(exc, AssertionError) or (
                isinstance(exc, LearnerRaised) and getattr(exc, "learner_type", "") != "NotImplementedError")
            if self.reveal and report.when == "call" and wrong:  # not for timeouts, crashes or a stub
                self.to_reveal.append(item)
        elif report.when == "call" and report.passed:
            self.verdicts.setdefault(item.nodeid, ("passed", ""))

    def pytest_runtest_logreport(self, report):
        if not self.in_job or report.nodeid not in self.meta:
            return
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + (report.duration or 0.0)
        if report.when != "teardown":
            return
        outcome, message = self.verdicts.get(report.nodeid, ("error", "the check did not run"))
        meta = self.meta[report.nodeid]
        points = meta["max_points"] if outcome == "passed" else 0.0
        self.emit({"event": "test", **meta, "outcome": outcome, "points": points, "message": message,
                   "seconds": round(self.seconds.get(report.nodeid, 0.0), 4)})


def counterexample(item, host: LearnerHost, deadline: float, searches_left: int = 1) -> dict | None:
    """The smallest input the check's property finds wrong, or None (no `reveal` marker, nothing found, the
    learner's code timed out). Never raises. Each search gets at most its share of the run time left."""
    marker = item.get_closest_marker("reveal")
    factory = getattr(getattr(item, "module", None), str(marker.args[0]), None) if marker and marker.args else None
    if factory is None or host.timed_out:
        return None
    from runner.counterexamples import MAX_SECONDS, search

    seconds = min(MAX_SECONDS, (deadline - time.monotonic() - 0.5) / max(1, searches_left))
    try:
        return search(factory(), host.call, max_seconds=seconds) if seconds > 0 else None
    except (Exception, SandboxFailure):  # noqa: BLE001
        return None


def finish_job_process(code: int) -> None:
    """End a forked job process at once, with everything it spawned."""
    from runner.sandbox.reaper import kill_descendants

    try:
        kill_descendants()
    finally:
        os._exit(code)
