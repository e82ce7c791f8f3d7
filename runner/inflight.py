"""Submissions being graded: the grading process holds an flock on one lock file per submission.

The kernel drops a process's flocks when it dies, however it dies (Ctrl-C, `kill -9`, a closed terminal, a
crash), so a pending submission whose lock anyone can take belongs to no running grader: it was interrupted.
The lock files live under PRACTICE_HOME/locks, beside the history database.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - no flock (Windows): pending submissions are never swept
    fcntl = None


class InFlight:
    """The lock files of one history database's submissions."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.held: dict[int, int] = {}  # submission id -> descriptor holding its lock

    def _path(self, submission_id: int) -> Path:
        return self.folder / f"submission-{int(submission_id)}.lock"

    def hold(self, submission_id: int) -> None:
        """Take the submission's lock for as long as this process grades it (raises OSError if it cannot)."""
        if fcntl is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(submission_id), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
        self.held[submission_id] = fd

    def release(self, submission_id: int) -> None:
        """Give the lock back once the submission's state is recorded (graded, cancelled or interrupted)."""
        fd = self.held.pop(submission_id, None)
        if fd is None:
            return
        try:
            self._path(submission_id).unlink()
        except OSError:
            pass
        os.close(fd)

    def abandoned(self, submission_ids: list[int]) -> dict[int, int | None]:
        """Of these pending submissions, those no process is grading: id -> the descriptor now holding the lock.

        A missing lock file counts as abandoned (a row from before locks existed). Pass the result to `forget`.
        """
        found: dict[int, int | None] = {}
        if fcntl is None:
            return found
        for submission_id in submission_ids:
            if submission_id in self.held:
                continue
            try:
                fd = os.open(self._path(submission_id), os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                found[submission_id] = None
                continue
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a live process holds it: still grading
                os.close(fd)
                continue
            found[submission_id] = fd
        return found

    def forget(self, taken: dict[int, int | None]) -> None:
        """Remove the lock files of abandoned submissions once they are marked."""
        for submission_id, fd in taken.items():
            if fd is None:
                continue
            try:
                self._path(submission_id).unlink()
            except OSError:
                pass
            os.close(fd)
