"""Start the learner process in new namespaces: what it sees (`View`) and how it gets there (`fork`).

As root, a grader keeps one pid namespace for its learners, whose pid 1 is a reaper forked once; each learner
is forked straight into it (after everything left from the one before is killed), then makes its own mount
and IPC namespaces, joins an empty network namespace and builds its view, before dropping to a uid of its own.
Not root, a learner needs a user namespace too, and a grader cannot return from a pid namespace it entered:
a first fork P creates the namespaces and waits outside, Q is pid 1 there (builds the view, reaps), R serves.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import tempfile
from dataclasses import dataclass

from runner.sandbox import linux, reaper
from runner.sandbox.linux import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
)

PRIVATE_TMP_MB = 64  # the learner's private, writable tmp


@dataclass(frozen=True)
class View:
    """The learner's file system: folders to hide (empty, read-only), folders to keep visible inside them, a
    private writable tmp, and the learner's working folder with its copy of the submission."""

    hide: tuple[str, ...]
    expose: tuple[str, ...]
    tmp: tuple[str, ...]
    workdir: str
    files: tuple[str, ...]  # copied into the private tmp (read before it is mounted over the real one)


@functools.lru_cache(maxsize=1)
def python_paths() -> tuple[str, ...]:
    """Folders Python and its installed packages live in (once per process: they do not move)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isabs(p) and ("site-packages" in p or "dist-packages" in p))
    return tuple(sorted(os.path.realpath(p) for p in paths if os.path.isdir(p)))


@functools.lru_cache(maxsize=8)
def _closed_ancestors(paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(closed_ancestors(paths))


def closed_ancestors(paths) -> list[str]:
    """Folders above `paths` that others may not enter (e.g. /root, mode 700, holding a pyenv Python).

    Hiding them puts a traversable empty folder in their place, in which the paths below are mounted back: an
    unprivileged learner uid can then reach Python's standard library wherever HOME points."""
    closed = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent and parent != "/":
            try:
                if not os.stat(parent).st_mode & 0o001:
                    closed.add(parent)
            except OSError:
                pass
            parent = os.path.dirname(parent)
    return sorted(closed)


def make_view(spec, original_submission: str) -> View:
    """Describe the learner's file system (in the grader; applied in the learner process before its code runs)."""
    home = os.path.expanduser("~")
    hide = [home, os.environ.get("PRACTICE_HOME") or os.path.join(home, ".practice"),
            os.environ.get("PRACTICE_WORKSPACE") or os.path.join(home, "practice-workspace"),
            os.path.dirname(original_submission), *spec.protected_dirs]
    tmp = {os.path.realpath(p) for p in ("/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()) if os.path.isdir(p)}
    files = tuple(os.path.join(spec.workdir, name) for name in sorted(os.listdir(spec.workdir))
                  if name.endswith(".py"))  # the submission and the helper modules copied beside it
    expose = {*python_paths(), *(os.path.realpath(d) for d in spec.support_dirs)}
    hide.extend(_closed_ancestors(tuple(sorted(expose))))
    return View(hide=tuple(sorted({os.path.realpath(h) for h in hide if h and os.path.isdir(h)})),
                expose=tuple(sorted(expose)), tmp=tuple(sorted(tmp)), workdir=spec.workdir, files=files)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def build_view(view: View) -> None:
    """In a new mount namespace (with capabilities there): everything read-only, secrets hidden, tmp private."""
    files = []
    for path in view.files:
        with open(path, "rb") as fh:
            files.append((path, fh.read()))
    linux.mount(None, "/", None, MS_REC | MS_PRIVATE)
    tops = sorted({p for p in (*view.tmp, *view.hide) if p != "/"}, key=len)
    tops = [p for i, p in enumerate(tops) if not any(_under(p, q) for q in tops[:i])]
    keep = [e for e in view.expose if any(_under(e, t) for t in tops)]
    keep = [e for i, e in enumerate(keep) if not any(_under(e, k) for k in keep[:i])]
    fds = {e: os.open(e, os.O_PATH | os.O_DIRECTORY) for e in keep}
    linux.readonly_tree("/")
    for top in tops:
        writable = top in view.tmp
        options = f"mode={'1777' if writable else '755'},size={PRIVATE_TMP_MB if writable else 1}m"
        linux.mount("practice", top, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, fd in fds.items():  # Python and the support library, where a hidden folder holds them
        os.makedirs(path, exist_ok=True)
        linux.mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    for path in view.hide:  # hidden again inside what came back (a bank installed in site-packages)
        if path not in tops and any(_under(path, k) for k in keep) and os.path.isdir(path):
            linux.mount("practice", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=755,size=1m")
    os.makedirs(view.workdir, exist_ok=True)
    for path, data in files:
        with open(path, "wb") as fh:
            fh.write(data)
    for top in tops:
        if top not in view.tmp:
            linux.mount(None, top, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    try:
        linux.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:  # a /proc with masked paths (containers) cannot be mounted again: show none
        linux.mount("practice", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m")


# ---- as root: one pid namespace per grader, with a reaper as its pid 1 ---------------------------------------

_own_pid: int | None = None


def _own_pid_namespace() -> int:
    global _own_pid
    if _own_pid is None:
        _own_pid = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    return _own_pid


def can_return() -> bool:
    """Whether this process may enter a pid namespace and come back (root outside any user namespace)."""
    return linux.libc().setns(_own_pid_namespace(), CLONE_NEWPID) == 0


class PidNamespace:
    """A pid namespace whose pid 1 only reaps orphans and, when asked (`clear`), kills everything else in it;
    that pid 1 also holds an empty network namespace for the learners to join (`net`). It ends with the
    process that made it (pipe closed, or PR_SET_PDEATHSIG)."""

    def __init__(self):
        cmd_r, cmd_w = os.pipe()
        ack_r, ack_w = os.pipe()
        self.pid = self._enter(lambda: _reaper(cmd_r, ack_w))
        os.close(cmd_r)
        os.close(ack_w)
        self.cmd, self.ack, self.owner = cmd_w, ack_r, os.getpid()
        reaper.spare(self.pid)  # the grader's clean-up after each job kills its descendants, but not this one
        ready = os.read(ack_r, 1)
        self.fd = os.open(f"/proc/{self.pid}/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.net = os.open(f"/proc/{self.pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC) if ready == b"n" else None

    @staticmethod
    def _enter(child) -> int:
        linux.unshare(CLONE_NEWPID)
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:  # the caller's next children are born in its own pid namespace again
                linux.setns(_own_pid_namespace(), CLONE_NEWPID)
        if pid == 0:
            child()
        return pid

    def clear(self) -> None:
        """Kill every process in the namespace but its pid 1, and have it reap them."""
        os.write(self.cmd, b"k")
        if os.read(self.ack, 1) != b"k":
            raise OSError("the learners' pid namespace is gone")

    def fork(self) -> int:
        """Fork into the namespace (everything left in it killed first): 0 in the child, its pid here."""
        self.clear()
        linux.setns(self.fd, CLONE_NEWPID)
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                linux.setns(_own_pid_namespace(), CLONE_NEWPID)
        return pid

    def close(self, wait: bool = True) -> None:
        """End the namespace: its pid 1 kills everything in it and exits (reaped here if `wait`)."""
        for fd in (self.cmd, self.ack, self.fd, self.net):
            if fd is not None:
                os.close(fd)
        if wait and os.getpid() == self.owner:
            os.waitpid(self.pid, 0)


def _reaper(cmd_r: int, ack_w: int) -> None:
    """Pid 1 of the learners' namespace; never returns."""
    try:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        linux.close_all_but(cmd_r, ack_w)
        os.write(ack_w, b"n" if linux.libc().unshare(CLONE_NEWNET) == 0 else b"-")  # ready, with or without

        def reap(*_):
            try:
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass
            except ChildProcessError:
                pass

        signal.signal(signal.SIGCHLD, reap)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            command = os.read(cmd_r, 1)
            try:
                os.kill(-1, signal.SIGKILL)  # everything in this namespace but pid 1
            except ProcessLookupError:
                pass
            while True:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
            if not command:
                os._exit(0)
            os.write(ack_w, b"k")
    except BaseException:  # noqa: BLE001
        _debug()
    os._exit(5)


_learners: PidNamespace | None = None


def prepare() -> None:
    """As root, in a grader before its jobs: the learners' pid namespace (and the empty network namespace
    they share: making and tearing down one per learner costs the kernel far more than joining one)."""
    global _learners
    if _learners is None:
        _learners = PidNamespace()


def _fork_as_root(view: View | None, learners: PidNamespace) -> int:
    pid = learners.fork()
    if pid:
        return pid
    try:
        if learners.net is not None:
            linux.unshare(CLONE_NEWNS | CLONE_NEWIPC)
            linux.setns(learners.net, CLONE_NEWNET)
        else:
            linux.unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET)
        view = view() if callable(view) else view
        if view is not None:
            build_view(view)
        return 0
    except BaseException:  # noqa: BLE001 - never run learner code half isolated
        _debug()
        os._exit(5)


# ---- not root: a user namespace too, and a pid 1 per learner -------------------------------------------------

_status: dict[int, int] = {}


def _fork_as_user(view: View | None) -> int:
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(status_w)
        _status[pid] = status_r
        return pid
    try:  # P
        os.close(status_r)
        os.setsid()
        uid, gid = os.getuid(), os.getgid()
        linux.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC)
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
        if os.fork():
            linux.close_all_but()
            os.wait()
            os._exit(0)
        _init(view, status_w)  # Q; returns only in R
        return 0
    except BaseException:  # noqa: BLE001 - never return into the grader's code from here
        _debug()
        os._exit(5)


def _init(view: View | None, status_w: int) -> None:
    """Q, pid 1 of the learner's namespaces: build the view, fork R, reap everything, report R's exit status."""
    try:
        view = view() if callable(view) else view
        if view is not None:
            build_view(view)
        r = os.fork()
        if r == 0:
            os.close(status_w)
            return
        linux.close_all_but(status_w)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(6)
            if pid == r:
                os.write(status_w, str(os.waitstatus_to_exitcode(status)).encode())
                os._exit(0)  # the kernel kills whatever else is left in the namespace
    except BaseException:  # noqa: BLE001
        _debug()
        os._exit(5)


# ---- both ------------------------------------------------------------------------------------------------------

def fork(view, as_root: bool) -> int:
    """Fork the learner process into new namespaces: 0 in it, the pid to wait for and kill in the caller.

    `view` is a View, None, or a function returning one, called in the new namespaces before they are built."""
    if as_root:
        global _learners
        if _learners is not None:
            try:
                return _fork_as_root(view, _learners)
            except OSError:  # its reaper is gone (killed from outside): start another
                _learners = None
        _learners = PidNamespace()
        return _fork_as_root(view, _learners)
    return _fork_as_user(view)


def exit_status(pid: int, code: int | None) -> int | None:
    """The learner's own exit status (as os.waitstatus_to_exitcode gives it) once `pid` has been waited for:
    what its pid 1 reported where it was not our child, else `code` itself."""
    fd = _status.pop(pid, None)
    if fd is None:
        return code
    try:
        os.set_blocking(fd, False)
        raw = os.read(fd, 16)
    except OSError:
        raw = b""
    finally:
        os.close(fd)
    text = raw.decode(errors="replace").strip()
    return int(text) if text.lstrip("-").isdigit() else code


def forget(pid: int | None) -> None:
    """After a learner process was killed: drop what `fork` kept for it, and kill what it left behind."""
    fd = _status.pop(pid, None) if pid is not None else None
    if fd is not None:
        os.close(fd)
    if _learners is not None:
        try:
            _learners.clear()
        except OSError:
            pass


def _debug() -> None:
    if os.environ.get("PRACTICE_DEBUG"):
        import traceback

        traceback.print_exc()


def probe(as_root: bool, uid: int) -> bool:
    """Start once the way a learner starts, in a throwaway namespace: the view builds, Python stays readable
    to the learner (as root: after dropping to a uid of its own), / is read-only, and nothing else is in sight.
    The answer comes on a pipe: the namespaces are torn down after it, without waiting."""
    work = tempfile.mkdtemp(prefix="practice-probe-")
    home = os.path.expanduser("~")
    view = View(hide=(home,) if home != "/" else (), expose=tuple(python_paths()),
                tmp=(os.path.realpath(tempfile.gettempdir()),), workdir=work, files=())
    verdict_r, verdict_w = os.pipe()
    learners = None
    try:
        if as_root and not can_return():
            return False
        learners = PidNamespace() if as_root else None
        pid = _fork_as_root(view, learners) if as_root else _fork_as_user(view)
        if pid == 0:
            _probe_inside(as_root, uid, verdict_w)
        os.close(verdict_w)
        verdict_w = -1
        answer = os.read(verdict_r, 2)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        _status.pop(pid, None)
        return answer == b"ok"
    except OSError:
        return False
    finally:
        for fd in (verdict_r, verdict_w):
            if fd >= 0:
                os.close(fd)
        if learners is not None:
            learners.close(wait=False)
        os.rmdir(work)


def _probe_inside(as_root: bool, uid: int, verdict_w: int) -> None:
    try:
        if as_root:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        else:
            linux.drop_capabilities()
        for path in python_paths():
            os.listdir(path)
        try:
            open(os.path.join(sys.prefix, "practice-probe"), "wb").close()
        except OSError:
            seen = [p for p in os.listdir("/proc") if p.isdigit()]
            if len(seen) == 2 and os.getpid() == 2:
                os.write(verdict_w, b"ok")
    finally:
        os._exit(0)
