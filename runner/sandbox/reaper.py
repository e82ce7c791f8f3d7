"""Kill a process together with everything it spawned, including daemons that left its process group."""

from __future__ import annotations

import ctypes
import os
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper(on: bool = True) -> bool:
    """Adopt orphaned descendants (Linux), so escaped daemons stay findable and killable (`on=False`: stop)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return children
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _direct_children(pid: int) -> list[int] | None:
    """pid's children from /proc/<pid>/task/*/children (a few reads), or None where the kernel lacks it."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as fh:
                found.extend(int(c) for c in fh.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{task}"):
                continue  # the thread ended meanwhile
            return None
        except OSError:
            continue
    return found


def descendants(pid: int, skip: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Every live descendant of pid (Linux /proc; empty elsewhere), leaving out `skip` and what is below them."""
    direct = _direct_children(pid)
    if direct is None:  # no children files: map the whole process table once
        tree = _children_map()
        found, stack = [], [c for c in tree.get(pid, []) if c not in skip]
        while stack:
            child = stack.pop()
            found.append(child)
            stack.extend(c for c in tree.get(child, []) if c not in skip)
        return found
    found, stack = [], [c for c in direct if c not in skip]
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(c for c in _direct_children(child) or [] if c not in skip)
    return found


def _signal(pid: int, sig: int, group: bool) -> None:
    try:
        os.killpg(pid, sig) if group else os.kill(pid, sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def reap_children() -> None:
    """Collect exited children so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wait_exit(pid: int, timeout: float, status: list | None = None) -> bool:
    """Wait up to `timeout` seconds for our child `pid` to exit (and reap it); return whether it did.

    The exit code is appended to `status` when given."""
    end = time.monotonic() + timeout
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    try:
        while True:
            try:
                done, code = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return True
            if done:
                if status is not None:
                    status.append(os.waitstatus_to_exitcode(code))
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            if pidfd is not None:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.002))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def kill_tree(pid: int, grace: float = 0.05, asked: bool = False) -> None:
    """End pid's group: SIGTERM (unless it was `asked` to exit already), SIGKILL after `grace` seconds, then
    kill every remaining descendant of ours."""
    if not asked:
        _signal(pid, signal.SIGTERM, group=True)
    wait_exit(pid, grace)
    _signal(pid, signal.SIGKILL, group=True)
    _signal(pid, signal.SIGKILL, group=False)
    kill_descendants()


_spared: set[int] = set()
_spared_trees: set[int] = set()


def spare(pid: int, subtree: bool = False) -> None:
    """Leave `pid` (a helper that lives as long as this process, e.g. a pid namespace's reaper) out of
    kill_descendants; its own children are still killed, unless `subtree` (a helper that ends its own)."""
    (_spared_trees if subtree else _spared).add(pid)


def running(pid: int, idle: bool = False) -> bool:
    """Whether our child `pid` is alive and not stopped (it is reaped if it exited). `idle`: it is waiting for
    work, so a signal queued for it (a kill that has not finished, a stop) counts against it too."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] != 0:
            return False
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rpartition(b")")[2].split()[0]
        if state in (b"T", b"t", b"Z", b"X"):
            return False
        if idle:
            with open(f"/proc/{pid}/status", "rb") as fh:
                pending = [int(line.split()[1], 16) for line in fh if line.startswith((b"SigPnd:", b"ShdPnd:"))]
            return not any(pending)
        return True
    except (ChildProcessError, OSError, IndexError, ValueError):
        return False


def unspare(pid: int) -> None:
    """Undo `spare` for a helper that has ended."""
    _spared.discard(pid)
    _spared_trees.discard(pid)


def has_children() -> bool:
    """Whether this process has a child, adopted orphans included (True where /proc cannot tell)."""
    return _direct_children(os.getpid()) != []


def _kill_each(pids: list[int]) -> None:
    """SIGKILL each process and its group."""
    for pid in pids:
        _signal(pid, signal.SIGKILL, group=True)
        _signal(pid, signal.SIGKILL, group=False)


def signal_descendants(rounds: int = 50) -> None:
    """SIGKILL every descendant of this process (and their groups), without waiting for them to finish exiting:
    a killed process runs no more code. Rounds repeat only for processes started before their parent was killed;
    exited ones are left for the caller to reap."""
    me, killed = os.getpid(), set(_spared)
    for _ in range(rounds):
        others = [pid for pid in descendants(me, _spared_trees) if pid not in killed]
        if not others:
            return
        _kill_each(others)
        killed.update(others)


def kill_descendants(rounds: int = 20) -> None:
    """SIGKILL every descendant of this process (and their groups) until none is left, then reap."""
    me = os.getpid()
    for _ in range(rounds):
        others = [pid for pid in descendants(me, _spared_trees) if pid not in _spared]
        if not others:
            break
        _kill_each(others)
        reap_children()
        time.sleep(0.002)
    reap_children()
