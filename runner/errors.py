"""The exception family every command reports as one line, and the exit statuses."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit statuses of `practice`."""

    OK = 0
    ERROR = 1  # the command could not do what was asked (missing file, no attempt, ...)
    USAGE = 2  # bad arguments, unknown id
    BANK = 3  # the exercise bank itself is broken
    ABORTED = 4  # the user declined a confirmation
    INTERNAL = 70  # a bug in practice itself


class PracticeError(Exception):
    """An error with a one-line message that names what to fix."""

    exit_status = ExitStatus.ERROR

    def __init__(self, message: str, *, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def one_line(self) -> str:
        """Render the message and its fix as one line."""
        text = self.message.rstrip(".")
        return f"{text}. {self.fix}" if self.fix else text


class UsageError(PracticeError):
    exit_status = ExitStatus.USAGE


class UnknownExercise(UsageError):
    """An exercise id that is not in the bank."""


class BankError(PracticeError):
    """A bank file that cannot be loaded (broken YAML, unknown key, missing file)."""

    exit_status = ExitStatus.BANK


class WorkspaceError(PracticeError):
    """A problem with the learner's workspace or file."""


class NoAttempt(PracticeError):
    """A command that needs an attempt found none."""


class StoreError(PracticeError):
    """The history database cannot be read or written."""


class GradingError(PracticeError):
    """The grader itself failed (not the learner's code)."""


class Aborted(PracticeError):
    exit_status = ExitStatus.ABORTED
