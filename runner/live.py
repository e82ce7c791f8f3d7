"""The live view of `practice start` in a terminal: countdown, examples rerun on save, and keys.

One loop waits in one `select` on the keyboard, the grader's running job and the next clock tick, so the
countdown ticks and keys answer while examples or a submission run in the background (GraderPool.submit/poll).
One run at a time: a second `r` or `s` while one is going is refused on screen, `s` during examples replaces
them, a save during grading queues the examples (shown), and `c` cancels. The screen is redrawn only when what
it shows changed (about once a second while the countdown runs). Every save is snapshotted into the history
(`practice versions ID`). Quitting leaves the clock running.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import select
import sys
import termios
import time
import tty
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live

from runner.errors import PracticeError
from runner.render import render_live
from runner.results import GradeResult, RunResult

FILE_POLL_S = 0.5  # how often the file is checked for a save
KEYS = "[r]un examples  [s]ubmit  [h]int  [c]ancel run  [q]uit"


@contextlib.contextmanager
def cbreak(fd: int):
    """Read single key presses without echo; always restore the terminal."""
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


@dataclass
class Running:
    kind: str  # "examples" | "grade" | "reveal" (the last submission again, for counterexamples; not recorded)
    ticket: int
    started: float  # monotonic
    pending: object = None  # the recorded submission (core.PendingSubmission) while grading

    @property
    def label(self) -> str:
        if self.kind == "reveal":
            return "Finding the smallest inputs your failed checks get wrong"
        return "Running the visible examples" if self.kind == "examples" else "Grading with the hidden checks"


class LiveView:
    """One learner, one exercise, one warm grader; what `render.render_live` draws is read from here."""

    keys = KEYS

    def __init__(self, practice, info, console: Console):
        self.p, self.info, self.console = practice, info, console
        self.exercise, self.path = info.exercise, info.path
        self.box = info.timebox
        self.now = practice.clock()
        self.examples: RunResult | None = None
        self.result: GradeResult | None = None
        self.revealed: GradeResult | None = None  # the last submission graded again with counterexamples (`w`)
        self._graded = None  # the last recorded submission (core.PendingSubmission): what `w` explains
        self.hint: str = ""
        self.message = "Watching your file: save it to rerun the visible examples."
        self.running: Running | None = None
        self.queued_examples = False  # a save seen while grading: examples rerun after it
        self.saves = 0
        self._stamp = None
        self._sha = None
        self._box_read = 0.0
        self._pool = None

    # ---- what the screen shows --------------------------------------------------------------------------

    @property
    def running_s(self) -> int:
        return int(time.monotonic() - self.running.started) if self.running else 0

    def frame_key(self) -> tuple:
        """Everything the screen shows; redraw only when it changes."""
        from runner.render import clock

        return (clock(self.box.remaining(self.now)), self.box.over(self.now), self.running and self.running.kind,
                self.running_s, self.queued_examples, self.message, self.saves, id(self.examples), id(self.result),
                self.hint, tuple(self.console.size), id(self.revealed))

    # ---- runs in the background ---------------------------------------------------------------------------

    def start_examples(self) -> None:
        ticket = self._pool.submit(self.exercise, self.path, kind="examples")
        self.running = Running("examples", ticket, time.monotonic())
        self.queued_examples = False

    def start_submit(self) -> None:
        pending = self.p.begin_submit(self.exercise.id, self.path, settle=False)  # raises first: nothing cancelled
        if self.running and self.running.kind in ("examples", "reveal"):
            self._pool.cancel(self.running.ticket)
            self.queued_examples = self.queued_examples or self.running.kind == "examples"
            self.running = None
        ticket = self._pool.submit(pending.exercise, pending.path, source=pending.source)  # exactly what was recorded
        self.running = Running("grade", ticket, time.monotonic(), pending)
        self.message = "" if pending.counted else "Time is up: this submission will be recorded, not counted."

    def start_reveal(self) -> None:
        """Grade the last submission's recorded source again, searching counterexamples; nothing is recorded."""
        graded = self._graded
        ticket = self._pool.submit(graded.exercise, graded.path, source=graded.source, reveal=True)
        self.running = Running("reveal", ticket, time.monotonic())
        self.message = ""

    def cancel(self) -> bool:
        """Stop the running job; a cancelled submission is kept, marked cancelled, and never counts."""
        if self.running is None:
            return False
        self._pool.cancel(self.running.ticket)
        if self.running.pending is not None:
            self.p.cancel_submit(self.running.pending)
        self.running = None
        return True

    def finished(self, ticket: int, result) -> None:
        if self.running is None or ticket != self.running.ticket:
            return
        run, self.running = self.running, None
        if run.kind == "examples":
            self.examples = result
            self.message = "Examples rerun. Save again, or press a key."
        elif run.kind == "reveal":
            self.revealed = result
            found = sum(1 for t in result.tests if t.detail)
            self.message = (f"Smallest failing inputs for {found} check{'s' if found != 1 else ''} above (the same "
                            "submission, not recorded again)." if found else
                            "No counterexample: these checks cannot show an input; `practice submit --reveal` "
                            "gives their reasons.")
        else:
            self.result = self.p.finish_submit(run.pending, result)
            self._graded, self.revealed = run.pending, None
            self.message = ("Submitted and recorded. Keep improving, or press q." if self.result.counted
                            else "Late: recorded, not counted (the mock session's deadline has passed).")
            if self.result.score < 100 and self.result.tests:
                self.message += " Press w for the smallest inputs the failed checks get wrong."
        if self.queued_examples:
            self.start_examples()

    # ---- keys and saves -----------------------------------------------------------------------------------

    def key(self, key: str) -> bool:
        """Act on one key at once; return False to quit."""
        busy = self.running.label.lower() if self.running else ""
        if key in ("q", "\x04"):
            stopped = self.cancel()
            self.message = "Bye: the clock keeps running; `practice start` resumes." + (
                " The run in progress was cancelled." if stopped else "")
            return False
        if key == "c":
            kind = self.running.kind if self.running else None
            self.message = ("Nothing is running." if not self.cancel() else
                            "Cancelled: the submission is kept but does not count." if kind == "grade" else
                            "Stopped looking for counterexamples." if kind == "reveal" else
                            "Cancelled the examples. Press r to run them again.")
            self.queued_examples = False
        elif key == "r":
            if self.running:
                self.message = f"Not started: {busy} is going. Wait, or press c to cancel it."
            elif not self.path.is_file():
                self.message = f"Not run: {self.path} is missing."
            else:
                self.start_examples()
                self.message = ""
        elif key == "s":
            if self.running and self.running.kind == "grade":
                self.message = "Not submitted again: grading is going. Wait, or press c to cancel it."
            else:
                try:
                    self.start_submit()
                except PracticeError as exc:  # the file is missing or unreadable: say so, keep the view open
                    self.message = f"Not submitted: {exc.one_line()}."
        elif key == "w":
            if self.running:
                self.message = f"Not started: {busy} is going. Wait, or press c to cancel it."
            elif self._graded is None or self.result is None or not self.result.tests:
                self.message = "Nothing to explain yet: press s to submit."
            elif self.result.score >= 100:
                self.message = "Every check passed: nothing to explain."
            else:
                self.start_reveal()
        elif key == "h":
            try:
                hint = self.p.hint(self.exercise.id)
            except PracticeError as exc:  # e.g. the attempt was closed from another shell
                self.message = f"No hint: {exc.one_line()}."
            else:
                self.hint = f"Hint {hint.number} of {hint.total}: {hint.text}" if hint.total else hint.text
        elif key.isprintable() and not key.isspace():
            self.message = f"`{key}` does nothing here. Keys: r, s, h, w, c, q."
        return True

    def check_saved(self) -> None:
        try:
            st = self.path.stat()
        except OSError:
            self.message = f"{self.path} is missing: `practice start {self.exercise.id}` restores the stub."
            return
        if self.message.startswith(f"{self.path} is missing"):  # back (a move keeps its stamp: no save is seen)
            self.message = "Your file is back."
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        text = self.path.read_text(encoding="utf-8", errors="replace")
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest == self._sha:
            return
        first, self._sha = self._sha is None, digest
        if self.p.store.add_snapshot(self.info.attempt.id, self.p.clock(), st.st_mtime, digest, text) and not first:
            self.saves += 1
        if self.running and self.running.kind in ("grade", "reveal"):
            self.queued_examples = True  # shown; they run when grading ends
        else:
            if self.running:
                self._pool.cancel(self.running.ticket)
            self.start_examples()
            if not first:
                self.message = "Saved: rerunning the visible examples."

    def tick(self) -> None:
        """Read the clock (and, once a second, the time box: `mock finish` elsewhere may move a deadline)."""
        self.now = self.p.clock()
        if self.now - self._box_read >= 1.0:
            self.box = self.p.timebox(self.p.store.attempt(self.info.attempt.id)) or self.box
            self._box_read = self.now

    def wait_s(self) -> float:
        """Until the countdown or the running time next changes on screen, at most FILE_POLL_S."""
        left = self.box.remaining(self.now)
        until_tick = (left - math.floor(left)) or 1.0
        if self.running:
            ran = time.monotonic() - self.running.started
            until_tick = min(until_tick, math.ceil(ran + 1e-6) - ran)
        return max(0.02, min(FILE_POLL_S, until_tick + 0.01))

    # ---- loop ---------------------------------------------------------------------------------------

    def run(self) -> None:
        from runner.grading.client import GraderPool

        fd = sys.stdin.fileno()
        with GraderPool(1) as pool, cbreak(fd), Live(console=self.console, auto_refresh=False, transient=False,
                                                      vertical_overflow="visible") as live:
            self._pool = pool
            shown = None
            try:
                while True:
                    self.tick()
                    self.check_saved()
                    if self.frame_key() != shown:
                        shown = self.frame_key()
                        live.update(render_live(self, *self.console.size), refresh=True)
                    ready, _, _ = select.select([fd, *pool.fds()], [], [], self.wait_s())
                    for ticket, result in pool.poll(0):
                        self.finished(ticket, result)
                    if fd in ready and not self.keys_ready(fd):
                        break
            except KeyboardInterrupt:
                self.cancel()
                self.message = "Interrupted: the clock keeps running; `practice start` resumes."
            self.tick()
            live.update(render_live(self, *self.console.size), refresh=True)

    def keys_ready(self, fd: int) -> bool:
        """Handle every key typed since the last look, each at once; False to quit."""
        data = os.read(fd, 64).decode(errors="ignore")
        if not data:
            return False
        if "\x1b" in data:  # arrow keys and other escape sequences: ignore the rest of the burst
            data = data[: data.index("\x1b")]
        for key in data.lower():
            if not self.key(key):
                return False
        return True


def live_possible() -> bool:
    """True when both ends are a terminal (a live view needs keys and a screen)."""
    return sys.stdin.isatty() and sys.stdout.isatty() and os.name == "posix"
