"""The live view of `practice start` in a terminal: countdown, examples rerun on save, and keys.

Every save is snapshotted into the history (`practice versions ID`). Quitting leaves the clock running.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import sys
import termios
import time
import tty

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from runner.render import OUTCOME_STYLE, clock
from runner.results import GradeResult, RunResult, Status

POLL_S = 0.25
KEYS = "[r]un examples   [s]ubmit   [h]int   [q]uit (the clock keeps running)"


@contextlib.contextmanager
def cbreak(fd: int):
    """Read single key presses without echo; always restore the terminal."""
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


class LiveView:
    """One learner, one exercise, one warm grader; redraws a few times a second."""

    def __init__(self, practice, info, console: Console):
        self.p, self.info, self.console = practice, info, console
        self.examples: RunResult | None = None
        self.result: GradeResult | None = None
        self.hint: str = ""
        self.message = "Watching your file: save it to rerun the visible examples."
        self.last_stamp = None
        self.saves = 0

    # ---- actions ------------------------------------------------------------------------------------

    def _run_examples(self, pool) -> None:
        self.message = "Running the visible examples…"
        for _, result in pool.run(self.info.exercise, [self.info.path], kind="examples"):
            self.examples = result
        self.message = "Examples rerun. Save again, or press a key."

    def _submit(self, pool) -> None:
        self.message = "Grading with the hidden checks…"
        self.p.grader = lambda exercise, path: next(iter(pool.run(exercise, [path])))[1]
        self.result = self.p.submit(self.info.exercise.id, self.info.path)
        self.message = ("Submitted and recorded. Keep improving, or press q." if self.result.counted
                        else "Late: recorded, not counted (the mock session's deadline has passed).")

    def _hint(self) -> None:
        hint = self.p.hint(self.info.exercise.id)
        self.hint = f"Hint {hint.number} of {hint.total}: {hint.text}" if hint.total else hint.text

    def _check_saved(self, pool) -> None:
        try:
            st = self.info.path.stat()
        except OSError:
            self.message = f"{self.info.path} is missing: `practice start {self.info.exercise.id}` restores the stub."
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self.last_stamp:
            return
        first = self.last_stamp is None
        self.last_stamp = stamp
        text = self.info.path.read_text(encoding="utf-8", errors="replace")
        digest = hashlib.sha256(text.encode()).hexdigest()
        if self.p.store.add_snapshot(self.info.attempt.id, self.p.clock(), st.st_mtime, digest, text) and not first:
            self.saves += 1
        self._run_examples(pool)

    # ---- drawing ------------------------------------------------------------------------------------

    def render(self):
        box, now = self.info.timebox, self.p.clock()
        left = box.remaining(now)
        style = "bold red" if box.over(now) else ("bold yellow" if left < 120 else "bold green")
        head = Text.assemble((f"{self.info.exercise.id} · {self.info.exercise.title}", "bold"), "   ",
                             (clock(left), style), f" left of {clock(box.limit_s)}",
                             (" of the mock" if box.mock else "", ""),
                             (" (over time)" if box.over(now) else "", "red"))
        parts = [head, Text.assemble("Editing ", (str(self.info.path), "cyan"), f"   saves seen: {self.saves}")]
        if self.examples is not None:
            ex = self.examples
            if ex.status is Status.ERROR:
                parts.append(Text(ex.error or "the examples could not run", style="red"))
            for i, e in enumerate(ex.examples, 1):
                mark = ("✓", "green") if e.passed else ("✗", "red")
                line = Text.assemble(mark, f" example {i}: {e.call}")
                if not e.passed:
                    line.append(f"\n    {e.message or f'expected {e.expected}, got {e.got}'}", style="dim")
                parts.append(line)
            if ex.examples:
                parts.append(Text(f"{ex.passed} of {len(ex.examples)} examples pass", style="bold"))
        if self.result is not None:
            r = self.result
            if r.status is Status.ERROR:
                parts.append(Text(f"Last submission: score 0 — {r.error}", style="red"))
            else:
                counts = {}
                for t in r.tests:
                    counts[t.outcome] = counts.get(t.outcome, 0) + 1
                summary = ", ".join(f"{n} {OUTCOME_STYLE[o][0].split()[-1]}" for o, n in counts.items())
                parts.append(Text(f"Last submission: Score {r.score:g}/100 ({summary})", style="bold"))
        if self.hint:
            parts.append(Panel(Text(self.hint), title="Hint", title_align="left"))  # bank text: not markup
        parts.append(Text(self.message, style="dim"))
        parts.append(Text(KEYS, style="bold"))
        return Panel(Group(*parts), title="practice", title_align="left")

    # ---- loop ---------------------------------------------------------------------------------------

    def run(self) -> None:
        from runner.grading.client import GraderPool

        fd = sys.stdin.fileno()
        with GraderPool(1) as pool, cbreak(fd), Live(self.render(), console=self.console, auto_refresh=False,
                                                      transient=False) as live:
            while True:
                self._check_saved(pool)
                live.update(self.render(), refresh=True)
                ready, _, _ = select.select([fd], [], [], POLL_S)
                if not ready:
                    continue
                key = os.read(fd, 1).decode(errors="ignore").lower()
                if key == "q" or key == "\x04":
                    self.message = "Bye: the clock keeps running; `practice start` resumes."
                    live.update(self.render(), refresh=True)
                    return
                if key == "r":
                    live.update(self.render(), refresh=True)
                    self._run_examples(pool)
                elif key == "s":
                    self.message = "Grading with the hidden checks…"
                    live.update(self.render(), refresh=True)
                    self._submit(pool)
                elif key == "h":
                    self._hint()
                time.sleep(0)


def live_possible() -> bool:
    """True when both ends are a terminal (a live view needs keys and a screen)."""
    return sys.stdin.isatty() and sys.stdout.isatty() and os.name == "posix"

