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

import os
import resource
import sys

from runner.sandbox import linux, namespaces
from runner.sandbox.namespaces import View, make_view  # noqa: F401 - the proxy's names for them

ENV = "PRACTICE_ISOLATION"
FILE_SIZE_MB = 16  # the largest file learner code may write (RLIMIT_FSIZE)
PROCESSES = 64  # processes and threads learner code may have (RLIMIT_NPROC) where it has a uid of its own
UID_BASE = 0x7E000000  # learner uids: UID_BASE + the job process's pid, so concurrent learners differ


def harden() -> None:
    """Make this grader process undumpable: other non-root processes lose /proc/<pid>/fd, mem and ptrace."""
    if sys.platform.startswith("linux"):
        try:
            linux.prctl(linux.PR_SET_DUMPABLE, 0)
        except OSError:
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
        linux.set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_MB << 20, FILE_SIZE_MB << 20)
        budget = _process_budget()
        linux.set_limit(resource.RLIMIT_NPROC, budget, budget)


class UidLayer(ProcessLayer):
    """Root only: learner code runs as an unprivileged uid/gid of its own."""

    key = "uid"
    drops_uid = True

    def available(self) -> bool:
        return sys.platform.startswith("linux") and os.geteuid() == 0 and _python_world_readable()

    def learner_uid(self) -> int | None:
        return UID_BASE + os.getpid()

    def restrict(self, spec) -> None:
        linux.set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_MB << 20, FILE_SIZE_MB << 20)
        linux.set_limit(resource.RLIMIT_NPROC, PROCESSES, PROCESSES)
        uid = spec.uid
        os.chown(spec.workdir, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root: every capability goes too
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


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
        """As root: namespaces and a uid of its own; otherwise (or as root inside a user namespace, which cannot
        come back from a pid namespace) a user namespace of its own too."""
        if not sys.platform.startswith("linux"):
            return False
        for self.drops_uid in ((True, False) if os.geteuid() == 0 else (False,)):
            if namespaces.probe(self.drops_uid, UID_BASE):
                return True
        return False

    def learner_uid(self) -> int | None:
        return UID_BASE + os.getpid() if self.drops_uid else None

    def fork(self, view: View | None) -> int:
        return namespaces.fork(view, self.drops_uid)

    def restrict(self, spec) -> None:
        if self.drops_uid:
            super().restrict(spec)
            return
        linux.set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_MB << 20, FILE_SIZE_MB << 20)
        linux.set_limit(resource.RLIMIT_NPROC, PROCESSES, PROCESSES)  # counted per user namespace
        linux.drop_capabilities()
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


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
CHOSEN = "PRACTICE_ISOLATION_CHOSEN"  # internal: the layer a process found, for the graders it starts


def _context() -> str:
    """What the choice depends on: the user namespace, the user, and PRACTICE_ISOLATION."""
    try:
        userns = os.stat("/proc/self/ns/user").st_ino
    except OSError:
        userns = 0
    return f"{userns}:{os.geteuid()}:{os.environ.get(ENV, '')}"


def _named(name: str) -> ProcessLayer | None:
    for cls in LAYERS:
        layer = cls()
        if layer.key == name.partition("+")[0]:
            layer.drops_uid = layer.drops_uid if cls is not NamespaceLayer else name.endswith("+uid")
            return layer
    return None


def active() -> ProcessLayer:
    """The layer this process uses: the strongest available, no stronger than PRACTICE_ISOLATION asks. A
    process started by one that chose in the same context takes the same layer without probing again."""
    global _active
    if _active is None:
        context, _, name = os.environ.get(CHOSEN, "").rpartition("|")
        if context == _context():
            _active = _named(name)
        if _active is None:
            wanted = os.environ.get(ENV, "").strip().partition("+")[0]
            keys = [cls.key for cls in LAYERS]
            for cls in LAYERS[keys.index(wanted) if wanted in keys else 0:]:
                layer = cls()
                if layer.available():
                    _active = layer
                    break
        os.environ[CHOSEN] = f"{_context()}|{_active.name}"
    return _active


def prepare_client() -> ProcessLayer:
    """In a process about to start graders: undumpable, and the layer chosen now so that they inherit it."""
    harden()
    return active()


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


def prepare_worker() -> ProcessLayer:
    """In a grading worker, before any job: undumpable, the layer chosen (its probe forks this process once),
    and as root the learners' pid namespace and shared empty network namespace."""
    harden()
    layer = active()
    if layer.namespaces and layer.drops_uid:
        namespaces.prepare()
    return layer


def prepare_learners() -> None:
    """In the process that forks learners, before the first: what each would otherwise compute after its fork."""
    if not active().drops_uid:
        _process_budget()


def exit_status(pid: int, code: int | None) -> int | None:
    """The learner's own exit status once the process `fork` returned has been waited for."""
    return namespaces.exit_status(pid, code)


def forget(pid: int | None) -> None:
    """After a learner process was killed: drop what `fork` kept for it, and kill what it left behind."""
    if active().namespaces:
        namespaces.forget(pid)


# ---- availability ------------------------------------------------------------------------------------------

def _python_world_readable() -> bool:
    """An unprivileged uid can read Python and its packages (every folder on the way is o+rx)."""
    for path in namespaces.python_paths():
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


_budget: int | None = None


def _process_budget() -> int:
    """RLIMIT_NPROC for a learner that shares the grader's user: what the user ran when first asked, plus room
    (counted once per grader: a scan of /proc per learner would cost milliseconds)."""
    global _budget
    if _budget is None:
        _budget = _count_processes() + 4 * PROCESSES
    return _budget


def _count_processes() -> int:
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
    return count
