"""The job process: grades consecutive submissions of one exercise, forked from the worker's collected session.

Forking one process per submission cost about a quarter of a batch's CPU time (page tables copied, pages copied
on write, the exit, and an interpreter whose specialised bytecode starts cold every time). So a job process
grades one submission after another, each from the same starting point:
- every submission runs in a learner process of its own (runner/sandbox/zygote.py), which the worker has killed
  before it sends the next;
- what the checks set up for a submission (fixtures of any scope) is torn down after it (GradingPlugin.run_checks);
- whatever else a check could leave behind is compared after each submission with the state before the first
  (runner/grading/stateguard.py); on any difference, checks skipped at the run deadline, a fixture's failed
  teardown, or MAX_JOBS served, the job process ends, and the next submission gets a fresh fork of the untouched
  worker.
A job process that misses its deadline is killed with everything it started, as the single-use ones were. One
whose worker dies (learner code can kill it where the layer allows signals) finishes its submission, reports it,
and ends when its job pipe closes.

Protocol: the worker writes each job as one JSON line to the job process's pipe, and the job process answers with
one byte on its status pipe when the job's `done` event is written: `0` (ready for the next) or `R` (ending).
End of file on the status pipe means it ended (a crash: it reports the job's error itself when it can).
"""

from __future__ import annotations

import gc
import json
import os
import select
import time
from pathlib import Path

from runner.grading.channel import Emitter, JobReader, report_crash
from runner.grading.job import open_submission
from runner.grading.plugin import GradingPlugin, finish_job_process
from runner.grading.stateguard import StateGuard
from runner.sandbox import layers, linux, zygote
from runner.sandbox.reaper import (
    become_subreaper,
    has_children,
    kill_descendants,
    kill_tree,
    running,
    spare,
    unspare,
    wait_exit,
)
from runner.sandbox.wire import write_all

MAX_JOBS = 200  # submissions one job process grades before a fresh fork takes over


def grade_submission(plugin: GradingPlugin, session, exercise, job: dict, emit) -> bool:
    """Grade one job's submission with the collected checks and emit its events. Return whether this process is
    still a clean start for the next (False: the run deadline skipped checks, or a fixture's teardown failed)."""
    deadline = time.monotonic() + exercise.limits.run_seconds
    host = open_submission(exercise, Path(job["submission"]), deadline, emit, source=job.get("source"),
                           helpers=job.get("helpers", True) is not False)
    if host is None:
        return True
    plugin.begin_job(host, emit, deadline, session, reverse=bool(job.get("reverse")), reveal=bool(job.get("reveal")))
    plugin.run_checks(session)
    return plugin.finish_job()


def end_job(emit, deadline: bool, code: int) -> None:
    """In the worker, once a job's process answered, ended or was killed: clean up after it and emit `end`."""
    zygote.settle()  # the job's learner is dead, and the zygote answers
    kill_descendants()  # anything else the job started (a job process that serves on is spared)
    emit({"event": "end", "deadline": deadline, "exit": code, "isolation": layers.active().name})


class JobProcess:
    """The worker's handle on its job process for one exercise: forked on first use, replaced once it ends."""

    def __init__(self, plugin: GradingPlugin, session, exercise, results_fd: int, folders: list[Path]):
        self.plugin, self.session, self.exercise = plugin, session, exercise
        self.results_fd, self.folders = results_fd, folders
        self.pid: int | None = None
        self.jobs_w = self.status_r = -1
        self.guard: StateGuard | None = None  # taken in the worker, whose state every job process starts from

    def grade(self, job: dict, emit, seconds: float) -> None:
        """Have the job process grade `job`, for at most `seconds`; then clean up and emit `end`."""
        # Stopped, killed, or with a signal on its way since it last answered (learner code can signal it where the
        # layer allows; every learner is dead by now, so nothing more is on its way): this job gets a fresh one.
        if self.pid is not None and not running(self.pid, idle=True):
            kill_tree(self.pid, grace=0.0)
            self._ended()
        if self.pid is None:
            self._fork()
        deadline, code = False, 0
        try:
            write_all(self.jobs_w, (json.dumps(job) + "\n").encode())
            ready, _, _ = select.select([self.status_r], [], [], seconds)
            answer = os.read(self.status_r, 1) if ready else None
        except OSError:  # it ended before reading the job
            answer = b""
        if answer is None:  # the deadline passed
            deadline, code = True, -1
            kill_tree(self.pid, grace=0.05)
            self._ended()
        elif answer != b"0":  # ending (R), or ended (end of file)
            status: list[int] = []
            if not wait_exit(self.pid, 2.0, status):
                kill_tree(self.pid, grace=0.05)
            code = status[0] if status else (0 if answer == b"R" else -1)
            self._ended()
        end_job(emit, deadline, code)

    def close(self) -> None:
        """End the job process (it exits when its job pipe closes) and reap it."""
        if self.pid is not None:
            os.close(self.jobs_w)
            self.jobs_w = -1
            if not wait_exit(self.pid, 2.0):
                kill_tree(self.pid, grace=0.05)
            self._ended()

    def _ended(self) -> None:
        unspare(self.pid)
        for fd in (self.jobs_w, self.status_r):
            if fd >= 0:
                os.close(fd)
        self.pid, self.jobs_w, self.status_r = None, -1, -1

    def _fork(self) -> None:
        jobs_r, self.jobs_w = os.pipe()
        self.status_r, status_w = os.pipe()
        if self.guard is None:  # once per exercise, and cheaper here than in each fork (no copy-on-write)
            self.guard = StateGuard(self.session, self.folders)
        gc.freeze()  # the collected state is shared, not copied: no collection in the job process walks it
        pid = os.fork()
        if pid == 0:
            os.close(self.jobs_w)
            os.close(self.status_r)
            self._serve(jobs_r, status_w)  # never returns
        os.close(jobs_r)
        os.close(status_w)
        self.pid = pid
        spare(pid)  # the worker's clean-up after each job leaves the job process (not what it starts) alone

    def _serve(self, jobs_r: int, status_w: int) -> None:
        """In the job process: grade jobs until the pipe closes or it must end. Never returns."""
        emit = None
        try:
            os.setpgid(0, 0)
            linux.set_name("practice-job")
            become_subreaper()
            guard = self.guard
            guard.forked()
            jobs, served = JobReader(jobs_r), 0
            while (job := jobs.next()) is not None:
                emit = Emitter(self.results_fd, job.get("id"))
                clean = grade_submission(self.plugin, self.session, self.exercise, job, emit)
                emit = None
                if has_children():  # a check started a process: it goes now
                    kill_descendants()
                served += 1
                kept = guard.changes()
                if kept:  # the worker's `end` follows it: the client reads it with this job's result
                    Emitter(self.results_fd, job.get("id"))({"event": "state", "kept": kept})
                ending = not clean or served >= MAX_JOBS or bool(kept)
                os.write(status_w, b"R" if ending else b"0")
                if ending:
                    break
        except BaseException as exc:  # noqa: BLE001 - report, never hang
            if emit is not None:
                report_crash(emit, exc)
            finish_job_process(1)
        finish_job_process(0)
