"""A warm grading worker: numpy and pytest imported once, hidden tests collected once per exercise.

    python -m runner.grading.worker RESULTS_FD [SCRATCH_DIR]

Reads one JSON job per line on stdin and writes JSON events, one per line, to RESULTS_FD. For consecutive
grading jobs of the same exercise it runs one pytest session: collection happens once, then a job process forked
from that collected state (its own process group) grades the jobs one after another, each from the same starting
point (runner/grading/jobserver.py); it is killed with everything it spawned at a job's deadline. Visible-example
jobs run in a fork each. Every job ends with an `end` event, whatever happened to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Warm imports: everything a job needs, paid once per worker instead of once per submission.
import numpy  # noqa: F401
import numpy.linalg  # noqa: F401 - numpy loads these lazily; a job would pay ~15 ms for them every time
import numpy.random  # noqa: F401

from runner.sandbox import layers, linux, zygote

if __name__ == "__main__":
    if os.environ.get("PRACTICE_WORKER_CPU", "").isdigit():  # pinned: jobs and learners too (client.worker_cpus)
        try:
            os.sched_setaffinity(0, {int(os.environ["PRACTICE_WORKER_CPU"])})
        except OSError:
            pass
    os.environ.pop("PRACTICE_WORKER_CPU", None)
    zygote.get()  # the learners' parent, forked before any grader state exists (runner/sandbox/zygote.py)

import pytest  # noqa: E402

from runner.bank import Bank  # noqa: E402
from runner.grading.channel import Emitter, JobReader, report_crash  # noqa: E402
from runner.grading.job import private_tests, pytest_args, remove_private_tests, run_examples_job  # noqa: E402
from runner.grading.jobserver import JobProcess, end_job  # noqa: E402
from runner.grading.plugin import GradingPlugin, finish_job_process  # noqa: E402
from runner.sandbox.reaper import become_subreaper, kill_tree, wait_exit  # noqa: E402

DEADLINE_GRACE_S = 2.0
scratch: str | None = None  # the folder the client gave this worker for its private copies (SCRATCH_DIR)


def supervise(pid: int, seconds: float, emit) -> None:
    """In the worker: wait for a job's process until its deadline, then clean up and emit `end`."""
    status: list[int] = []
    finished = wait_exit(pid, seconds, status)
    code = status[0] if finished else -1
    if not finished:
        kill_tree(pid, grace=0.05)
    end_job(emit, not finished, code)


class ExerciseRun:
    """Serve every consecutive grading job of one exercise from one collected pytest session."""

    def __init__(self, first: dict, jobs: JobReader, results_fd: int):
        self.first, self.jobs, self.results_fd = first, jobs, results_fd
        self.exercise = Bank(first["bank"]).get(first["exercise"])
        self.key = (first["bank"], self.exercise.id)
        self.tests: Path | None = None  # the private copy of the hidden tests this run collected

    def _next(self) -> dict | None:
        if self.first is not None:
            job, self.first = self.first, None
            return job
        job = self.jobs.next()
        if job is None:
            return None
        if job.get("kind", "grade") != "grade" or (job["bank"], job["exercise"]) != self.key:
            self.jobs.push_back(job)
            return None
        return job

    def serve(self, plugin: GradingPlugin, session, collected: bool):
        """pytest_runtestloop: hand each job to the job process (runner/grading/jobserver.py)."""
        folders = [self.tests, self.exercise.support_dir]
        grader = JobProcess(plugin, session, self.exercise, self.results_fd, folders)
        try:
            while (job := self._next()) is not None:
                emit = Emitter(self.results_fd, job.get("id"))
                if not collected:
                    emit({"event": "done", "status": "error", "cause": "bank",
                          "error": f"the hidden tests of {self.exercise.id} could not be collected; this is a bank "
                                   "problem: run `practice validate`"})
                    emit({"event": "end", "deadline": False, "exit": 0})
                    continue
                # Every check, before learner code runs: a submission that cannot be imported still scores 0 on
                # each of them, out of the exercise's total (the job's own `collected` gives the order they ran in).
                emit({"event": "checks", "tests": plugin.checks(session)})
                grader.grade(job, emit, self.exercise.limits.run_seconds + DEADLINE_GRACE_S)
        finally:
            grader.close()
        return True

    def run(self) -> None:
        support = self.exercise.support_dir  # the learner-facing library, for the checks too
        if support.is_dir() and str(support) not in sys.path:
            sys.path.insert(0, str(support))
        tests, owner = private_tests(self.exercise, scratch), os.getpid()  # fresh, before any learner code runs
        self.tests = tests
        try:
            code = pytest.main(pytest_args(self.exercise, tests), plugins=[GradingPlugin(self.serve)])
        finally:
            if os.getpid() == owner:  # never from a job's fork
                remove_private_tests(tests)
        if self.first is not None:  # pytest ended before serving a job: answer it anyway
            emit = Emitter(self.results_fd, self.first.get("id"))
            emit({"event": "done", "status": "error", "cause": "bank",
                  "error": f"the grader could not run the hidden tests of {self.exercise.id} (pytest exit "
                           f"{int(code)}); this is a bank or platform problem: run `practice validate`"})
            emit({"event": "end", "deadline": False, "exit": 1})


def run_examples(job: dict, results_fd: int) -> None:
    emit = Emitter(results_fd, job.get("id"))
    exercise = Bank(job["bank"]).get(job["exercise"])  # a broken bank raises: main reports it for this job
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            become_subreaper()
            run_examples_job(exercise, Path(job["submission"]), emit)
            finish_job_process(0)
        except BaseException as exc:  # noqa: BLE001
            report_crash(emit, exc)
            finish_job_process(1)
    supervise(pid, exercise.limits.run_seconds + DEADLINE_GRACE_S, emit)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    global scratch
    results_fd = int(argv[0])
    scratch = argv[1] if len(argv) > 1 else None
    layers.prepare_worker()  # undumpable; the isolation layer chosen once, before any job
    linux.set_name("practice-worker")
    become_subreaper()
    zygote.get()  # already started when run as a program
    jobs = JobReader(0)
    while (job := jobs.next()) is not None:
        emit = Emitter(results_fd, job.get("id"))
        try:
            if job.get("kind") == "examples":
                run_examples(job, results_fd)
            else:
                ExerciseRun(job, jobs, results_fd).run()
        except Exception as exc:  # noqa: BLE001 - e.g. a broken bank: report it for this job, keep serving
            report_crash(emit, exc)
            emit({"event": "end", "deadline": False, "exit": 1})
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)  # everything is cleaned up: skip tearing down the interpreter's heap (tens of ms)
