"""Isolation layers for the learner process: the strongest one the machine offers, chosen once per process.

    namespaces(+uid)  new pid, mount, network and IPC namespaces (a user namespace when not root): the
                      learner sees no grader process, has no network, and sees a read-only file system with
                      the bank's answers, the history, the home folder and the submissions folder hidden and
                      a private writable tmp; as root it also runs as an unprivileged uid of its own
    uid               (root only) an unprivileged uid/gid of its own, no supplementary groups, no new privileges
    process           same user; only what every layer has

Every layer: grader processes are undumpable (no /proc/<pid>/fd, no ptrace, for other non-root processes), the
learner has hard CPU, file-size, process-count and address-space limits, and per-call and per-run deadlines
are enforced from the grader's side. `PRACTICE_ISOLATION=process|uid|namespaces` forces a weaker layer
(tests and benchmarks); README "How grading works" states what each layer protects.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import struct
import sys
from dataclasses import dataclass

ENV = "PRACTICE_ISOLATION"
FILE_SIZE_MB = 16  # the largest file learner code may write (RLIMIT_FSIZE)
PROCESSES = 64  # processes and threads learner code may have (RLIMIT_NPROC) where it has a uid of its own
PRIVATE_TMP_MB = 64  # the namespaces layer's private tmp
UID_BASE = 0x7E000000  # learner uids: UID_BASE + the job process's pid, so concurrent learners differ

PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
AT_RECURSIVE, MOUNT_ATTR_RDONLY = 0x8000, 1

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _call(what: str, result: int) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int = 0) -> None:
    _call("prctl", _c().prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                              ctypes.c_ulong(0)))


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _call(f"mount {target}", _c().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)))


def harden() -> None:
    """Make this grader process undumpable: other non-root processes lose /proc/<pid>/fd, mem and ptrace."""
    if sys.platform.startswith("linux"):
        try:
            _prctl(PR_SET_DUMPABLE, 0)
        except OSError:
            pass


def set_limit(kind: int, soft: float, hard: float | None = None) -> None:
    """Set a limit, never above the current hard limit; `hard=None` keeps the hard limit."""
    try:
        _, current_hard = resource.getrlimit(kind)
        hard = current_hard if hard is None else int(hard)
        if current_hard != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > current_hard):
            hard = current_hard
        soft = min(int(soft), hard) if hard != resource.RLIM_INFINITY else int(soft)
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        pass


# ---- layers ----------------------------------------------------------------------------------------------

class ProcessLayer:
    """Same user as the grader: undumpable graders, hard limits, deadlines from the grader's side."""

    key = "process"
    drops_uid = False
    namespaces = False

    @property
    def name(self) -> str:
        return self.key

    def available(self) -> bool:
        return True

    def learner_uid(self) -> int | None:
        return None

    def fork(self, view: View | None) -> int:
        """Fork the learner process: 0 in it, its pid (to wait for and kill) in the grader."""
        return os.fork()

    def restrict(self, spec) -> None:
        """In the learner process, after its descriptors are shed, before any learner code runs."""
        set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_MB << 20, FILE_SIZE_MB << 20)
        set_limit(resource.RLIMIT_NPROC, _process_budget(), _process_budget())


class UidLayer(ProcessLayer):
    """Root only: learner code runs as an unprivileged uid/gid of its own."""

    key = "uid"
    drops_uid = True

    def available(self) -> bool:
        return sys.platform.startswith("linux") and os.geteuid() == 0 and _python_world_readable()

    def learner_uid(self) -> int | None:
        return UID_BASE + os.getpid()

    def restrict(self, spec) -> None:
        set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_MB << 20, FILE_SIZE_MB << 20)
        set_limit(resource.RLIMIT_NPROC, PROCESSES, PROCESSES)
        uid = spec.uid
        os.chown(spec.workdir, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root: every capability goes too
        _prctl(PR_SET_NO_NEW_PRIVS, 1)


class NamespaceLayer(UidLayer):
    """New pid, mount, network and IPC namespaces (and a user namespace when not root)."""

    key = "namespaces"
    namespaces = True

    @property
    def name(self) -> str:
        return "namespaces+uid" if self.drops_uid else "namespaces"

    def __init__(self):
        self.drops_uid = False

    def available(self) -> bool:
        """As root: namespaces and a uid of its own; otherwise (or as root inside a user namespace, where that
        fails) a user namespace of its own too."""
        if not sys.platform.startswith("linux"):
            return False
        for self.drops_uid in ((True, False) if os.geteuid() == 0 else (False,)):
            if self.drops_uid and _c().setns(_own_pid_namespace(), CLONE_NEWPID) != 0:
                continue  # root in a user namespace: could not come back from a pid namespace
            if _probe(self):
                return True
        return False

    def learner_uid(self) -> int | None:
        return UID_BASE + os.getpid() if self.drops_uid else None

    def fork(self, view: View | None) -> int:
        return _fork_namespaced(view, self.drops_uid)

    def restrict(self, spec) -> None:
        if self.drops_uid:
            super().restrict(spec)
            return
        set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_MB << 20, FILE_SIZE_MB << 20)
        set_limit(resource.RLIMIT_NPROC, PROCESSES, PROCESSES)  # counted per user namespace
        _drop_capabilities()
        _prctl(PR_SET_NO_NEW_PRIVS, 1)


LAYERS = (NamespaceLayer, UidLayer, ProcessLayer)  # strongest first

# What each layer protects against learner code; README "How grading works" has the same table and
# tests/test_isolation.py attacks each entry. results: forging grader events through /proc/<pid>/fd;
# signals: killing or stopping grader processes; deadlines: a stopped job process still ends by the run
# deadline; history/bank: writing the history database, or the bank's hidden_tests/ and solutions/;
# network; processes: a process-count cap; file_size: a cap on each file written; processes_hidden: no grader
# process in sight; reading: the bank's answers, the history and the home folder cannot be read.
_ALWAYS = frozenset({"deadlines", "file_size"})
_UID = _ALWAYS | {"results", "signals", "history", "bank", "processes"}
PROTECTS = {
    "namespaces+uid": _UID | {"network", "processes_hidden", "reading"},
    "namespaces": _UID | {"network", "processes_hidden", "reading"},
    "uid": _UID,
    "process": _ALWAYS,
}


def protections(name: str) -> frozenset[str]:
    """What the layer `name` protects here: undumpable graders keep a non-root learner away from their
    descriptors, and a non-root learner's process count is capped; root passes both."""
    extra = {"results", "processes"} if name == "process" and os.geteuid() != 0 else set()
    return PROTECTS[name] | extra
_active: ProcessLayer | None = None


def active() -> ProcessLayer:
    """The layer this process uses: the strongest available, no stronger than PRACTICE_ISOLATION asks."""
    global _active
    if _active is None:
        wanted = os.environ.get(ENV, "").strip().partition("+")[0]
        keys = [cls.key for cls in LAYERS]
        start = keys.index(wanted) if wanted in keys else 0
        for cls in LAYERS[start:]:
            layer = cls()
            if layer.available():
                _active = layer
                break
    return _active


_warned = False


def warn_if_weakest(stream=None) -> bool:
    """Print one line on stderr, once per process, where only the weakest layer is available (not when a test
    forces it with PRACTICE_ISOLATION); return whether it did."""
    global _warned
    if _warned or active().key != "process" or os.environ.get(ENV):
        return False
    _warned = True
    print("warning: learner code runs as this user here, without namespaces or a uid of its own (isolation: "
          "process); a hostile submission could change grades: grade as root or where user namespaces are allowed",
          file=stream or sys.stderr)
    return True


_shared_net: int | None = None


def prepare_worker() -> ProcessLayer:
    """In a grading worker, before any job: undumpable, the layer chosen (its probe forks this process once)
    and, as root, one empty network namespace its learners share: a new one per learner makes the kernel tear
    one down per submission, which costs far more than joining one."""
    global _shared_net
    harden()
    layer = active()
    if layer.namespaces and layer.drops_uid and _shared_net is None:
        _shared_net = _empty_network()
    return layer


def _empty_network() -> int | None:
    """A file descriptor holding a new, empty network namespace (made in a throwaway child)."""
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r)
            os.close(done_w)
            if _c().unshare(CLONE_NEWNET) == 0:
                os.write(ready_w, b"1")
            os.read(done_r, 1)
        finally:
            os._exit(0)
    os.close(ready_w)
    os.close(done_r)
    try:
        return os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC) if os.read(ready_r, 1) == b"1" else None
    except OSError:
        return None
    finally:
        os.close(done_w)
        os.close(ready_r)
        os.waitpid(pid, 0)


# ---- what the learner sees ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """The namespaces layer's file system: folders to hide (empty, read-only), to keep visible inside them,
    a private writable tmp, and the learner's working folder with its copy of the submission."""

    hide: tuple[str, ...]
    expose: tuple[str, ...]
    tmp: tuple[str, ...]
    workdir: str
    files: tuple[tuple[str, bytes], ...]


def python_paths() -> list[str]:
    """Folders Python and its installed packages live in."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isabs(p) and ("site-packages" in p or "dist-packages" in p))
    return sorted(os.path.realpath(p) for p in paths if os.path.isdir(p))


def make_view(spec, original_submission: str) -> View:
    """Describe the learner's file system (computed in the grader, applied in the forked process)."""
    home = os.path.expanduser("~")
    hide = [home, os.environ.get("PRACTICE_HOME") or os.path.join(home, ".practice"),
            os.environ.get("PRACTICE_WORKSPACE") or os.path.join(home, "practice-workspace"),
            os.path.dirname(original_submission), *spec.protected_dirs]
    import tempfile

    tmp = sorted({os.path.realpath(p) for p in ("/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir())
                  if os.path.isdir(p)})
    files = ((os.path.join(spec.workdir, os.path.basename(spec.submission)), _read(spec.submission)),)
    expose = [*python_paths(), *(os.path.realpath(d) for d in spec.support_dirs)]
    return View(hide=tuple(sorted({os.path.realpath(h) for h in hide if h and os.path.isdir(h)})),
                expose=tuple(sorted(set(expose))), tmp=tuple(tmp), workdir=spec.workdir, files=files)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _build_view(view: View) -> None:
    """In the new mount namespace (with capabilities there): everything read-only, secrets hidden, tmp private."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    covered = [p for p in (*view.tmp, *view.hide) if p != "/"]
    tops = [p for p in sorted(set(covered), key=len) if p != "/"]
    tops = [p for i, p in enumerate(tops) if not any(_under(p, q) for q in tops[:i])]
    keep = [e for e in view.expose if any(_under(e, t) for t in tops)]
    keep = [e for i, e in enumerate(keep) if not any(_under(e, k) for k in keep[:i])]
    fds = {e: os.open(e, os.O_PATH | os.O_DIRECTORY) for e in keep}
    _readonly("/")
    for top in tops:
        writable = top in view.tmp
        options = f"mode={'1777' if writable else '755'},size={PRIVATE_TMP_MB if writable else 1}m"
        _mount("practice", top, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path, fd in fds.items():
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    os.makedirs(view.workdir, exist_ok=True)
    for path, data in view.files:
        with open(path, "wb") as fh:
            fh.write(data)
    for top in tops:
        if top not in view.tmp:
            _mount(None, top, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:  # a /proc with masked paths (containers) cannot be mounted again: show none
        _mount("practice", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m")


def _readonly(root: str) -> None:
    attr = struct.pack("QQQQ", MOUNT_ATTR_RDONLY, 0, 0, 0)
    fn = getattr(_c(), "mount_setattr", None)
    if fn is not None and fn(-100, root.encode(), AT_RECURSIVE, attr, len(attr)) == 0:
        return
    with open("/proc/self/mountinfo") as fh:  # kernels before 5.12: remount each mount read-only
        for line in fh:
            fields = line.split()
            target = fields[4].encode().decode("unicode_escape")
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY
            for option, bit in (("nosuid", MS_NOSUID), ("nodev", MS_NODEV), ("noexec", MS_NOEXEC)):
                if option in fields[5].split(","):
                    flags |= bit
            try:
                _mount(None, target, None, flags)
            except OSError:
                pass


# ---- forking into namespaces -------------------------------------------------------------------------------

def _fork_namespaced(view: View | None, as_root: bool) -> int:
    """Fork Q, pid 1 of new namespaces (it builds the view and reaps orphans), which forks R: the learner
    process. As root the caller enters the new pid namespace for one fork and comes back; otherwise a first
    fork P creates a user namespace too and waits outside. R's exit status comes back on a pipe (`exit_status`).
    Returns 0 in R, the pid to wait for and kill in the caller."""
    status_r, status_w = os.pipe()
    if as_root:
        _call("unshare", _c().unshare(CLONE_NEWPID))
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:  # the caller: its next children are born in its own pid namespace again
                _call("setns", _c().setns(_own_pid_namespace(), CLONE_NEWPID))
    else:
        pid = os.fork()
    if pid:
        os.close(status_w)
        _status[pid] = status_r
        return pid
    try:
        os.close(status_r)
        os.setsid()
        set_limit(resource.RLIMIT_CORE, 0, 0)
        if as_root and _shared_net is not None:
            _call("unshare", _c().unshare(CLONE_NEWNS | CLONE_NEWIPC))
            _call("setns", _c().setns(_shared_net, CLONE_NEWNET))
        elif as_root:
            _call("unshare", _c().unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC))
        else:
            uid, gid = os.getuid(), os.getgid()
            _call("unshare", _c().unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC))
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
            q = os.fork()
            if q:  # P
                _close_all_but(-1)
                os.waitpid(q, 0)
                os._exit(0)
        _init(view, status_w)  # returns only in R
        return 0
    except BaseException:  # noqa: BLE001 - never return into the grader's code from here
        _debug()
        os._exit(5)


_status: dict[int, int] = {}
_pid_namespace: int | None = None


def _own_pid_namespace() -> int:
    global _pid_namespace
    if _pid_namespace is None:
        _pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    return _pid_namespace


def exit_status(pid: int, code: int | None) -> int | None:
    """The learner's own exit status (as os.waitstatus_to_exitcode gives it) for a process `fork` returned,
    once it has been waited for: what its pid 1 reported, else `code` itself."""
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
    """Drop what `fork` kept for a learner process that has been killed."""
    fd = _status.pop(pid, None) if pid is not None else None
    if fd is not None:
        os.close(fd)


def _init(view: View | None, status_w: int) -> None:
    """Pid 1 of the learner's namespace: build its view, fork the learner, reap everything, report its exit.
    Returns only in the learner process."""
    try:
        if view is not None:
            _build_view(view)
        r = os.fork()
        if r == 0:
            os.close(status_w)
            return  # R: back into the grader's spawn code, which serves the learner
        _close_all_but(status_w)
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


def _debug() -> None:
    if os.environ.get("PRACTICE_DEBUG"):
        import traceback

        traceback.print_exc()


def _close_all_but(fd: int) -> None:
    os.closerange(0, max(fd, 0))
    os.closerange(fd + 1, 65536)


def _drop_capabilities() -> None:
    for cap in range(64):
        try:
            _prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            break
    try:
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    header = struct.pack("Ii", 0x20080522, 0)
    _call("capset", _c().capset(header, bytes(24)))


# ---- availability ------------------------------------------------------------------------------------------

def _python_world_readable() -> bool:
    """An unprivileged uid can read Python and its packages (every folder on the way is o+rx)."""
    for path in python_paths():
        while True:
            try:
                mode = os.stat(path).st_mode
            except OSError:
                return False
            if mode & 0o005 != 0o005:
                return False
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return True


def _process_budget() -> int:
    """RLIMIT_NPROC for a learner that shares the grader's user: what the user runs now, plus room."""
    uid = os.getuid()
    count = 0
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    count += os.stat(f"/proc/{entry}").st_uid == uid
                except OSError:
                    pass
    except OSError:
        return 4096
    return count + 4 * PROCESSES


def _probe(layer: NamespaceLayer) -> bool:
    """Start once the way a learner starts, in a throwaway child: the view builds, Python stays readable to the
    learner's uid, the file system is read-only and the learner is pid 2 of its namespace."""
    import tempfile

    work = tempfile.mkdtemp(prefix="practice-probe-")
    home = os.path.expanduser("~")
    view = View(hide=(home,) if home != "/" else (), expose=tuple(python_paths()),
                tmp=(os.path.realpath(tempfile.gettempdir()),), workdir=work, files=())
    try:
        pid = _fork_namespaced(view, layer.drops_uid)
    except OSError:
        os.rmdir(work)
        return False
    if pid == 0:  # R
        code = 1
        try:
            if layer.drops_uid:
                uid = UID_BASE + os.getpid()
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            else:
                _drop_capabilities()
            for path in python_paths():
                os.listdir(path)
            try:
                open(os.path.join(sys.prefix, "practice-probe"), "wb").close()
            except OSError:
                code = 0 if os.getpid() == 2 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    os.rmdir(work)
    return exit_status(pid, os.waitstatus_to_exitcode(status)) == 0
