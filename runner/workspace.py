"""The learner's workspace: stubs become learner files, which are never overwritten or deleted."""

from __future__ import annotations

import time
from pathlib import Path

from runner.bank import Exercise
from runner.errors import WorkspaceError


def learner_file(workspace: Path, exercise: Exercise) -> Path:
    """Return where the learner's file for an exercise lives: <workspace>/<ID>/<stub name>."""
    return workspace / exercise.id / exercise.stub


def create_from_stub(path: Path, exercise: Exercise) -> bool:
    """Copy the stub to `path` unless a file is already there; return whether it was written."""
    if path.exists():
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite, even in a race
            fh.write(exercise.stub_path.read_text(encoding="utf-8"))
    except FileExistsError:
        if path.exists():
            return False
        raise WorkspaceError(f"cannot write {path}: a file is in the way of its folder {path.parent}",
                             fix="Move that file aside, or set PRACTICE_WORKSPACE to another folder.") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot write {path}: {exc.strerror}",
                             fix="Set PRACTICE_WORKSPACE to a writable folder.") from None
    return True


def move_aside(path: Path, now: float | None = None) -> Path:
    """Rename the learner's file to a dated name beside it; never delete or overwrite anything."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    for n in range(1000):
        suffix = f".{stamp}" + (f"-{n}" if n else "")
        target = path.with_name(f"{path.stem}{suffix}.old{path.suffix}")
        if not target.exists():
            import shutil

            try:
                shutil.move(str(path), str(target))
            except OSError as exc:
                raise WorkspaceError(f"cannot move {path} aside: {exc.strerror}",
                                     fix="Check the workspace folder's permissions.") from None
            return target
    raise WorkspaceError(f"too many old copies beside {path}", fix="Tidy the folder by hand.")


def read_source(path: Path) -> str:
    """Read a learner's file for grading, with a clear error when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise WorkspaceError(f"no file at {path}", fix="Check the path, or run `practice start ID`.") from None
    except IsADirectoryError:
        raise WorkspaceError(f"{path} is a folder, not a file", fix="Pass the .py file itself.") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror}", fix="Check the file's permissions.") from None
