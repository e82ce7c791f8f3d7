"""The learners' parent: a small process that forks every learner process, so none starts as a copy of a grader.

A learner forked from a job process would inherit that process's whole memory: pytest's session, the hidden
tests' code and data, the exercise, whatever the worker read before. Python reaches all of it
(`sys._getframe().f_back`, `gc.unfreeze()` then `gc.get_objects()`). The zygote is forked from the worker before
the worker imports pytest or reads any bank file, and holds numpy and the sandbox modules only. It never sees a
submission either: the learner reads its own setup (spec and view) from its request pipe after the fork.

Forking a small process is also cheaper than forking a job process: fewer page tables to copy, fewer pages
copied on write on either side, and a faster exit.

Protocol, on a SOCK_SEQPACKET socket shared by the worker and its job processes (one job at a time):
    spawn  + 4 descriptors (request read end, result write end, output write end, status write end)
           -> {"pid": P}: the learner's pid; its exit status is written to the status pipe when it is reaped
    end    {"pid": P}: kill that learner and everything it left (no reply: the job goes on at once)
    clear  kill every learner still alive (no reply; the worker's clean-up after each job)
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import sys
import time

from runner.sandbox import layers, linux, wire
from runner.sandbox.child import ChildSpec, prime, primed_modules, serve
from runner.sandbox.namespaces import View
from runner.sandbox.reaper import (
    become_subreaper,
    descendants,
    kill_descendants,
    running,
    signal_descendants,
    spare,
)

SPAWN_SECONDS = 10.0  # a zygote that does not answer a spawn in this time is taken for dead


class ZygoteGone(OSError):
    """The zygote is not answering (killed, or stopped by learner code where the layer allows signals)."""


class Zygote:
    """The grader's handle on its zygote process (the worker's, inherited by each job process it forks).

    The first is forked (cheap, and from a process that holds no grader state yet); a replacement, for one that
    died or was stopped, is a fresh interpreter: a fork then would copy the grader's state into every learner.
    """

    def __init__(self, fresh: bool = False):
        layers.prepare_worker()  # the layer (and, as root, the learners' pid namespace) the zygote inherits
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if fresh:
            import subprocess

            safe = ["-P"] if sys.version_info >= (3, 11) else []
            self.process = subprocess.Popen(  # kept: a dropped Popen object would warn, and be reaped behind our back
                [sys.executable, *safe, "-m", "runner.sandbox.zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd="/")
            self.pid = self.process.pid
        else:
            self.pid = os.fork()
            if self.pid == 0:
                ours.close()
                _run(theirs)  # never returns
        theirs.close()
        self.sock, self.owner, self.layer = ours, os.getpid(), layers.active().name
        atexit.register(self.sock.close)  # its end of the socket closed: the zygote ends too
        spare(self.pid, subtree=True)  # our clean-up leaves it (and its learners: `clear` ends them) alone

    def healthy(self) -> bool:
        """Running, not stopped (only its parent can tell; a job process finds out when it asks)."""
        return os.getpid() != self.owner or running(self.pid)

    def spawn(self, fds: list[int], timeout: float = SPAWN_SECONDS) -> int:
        """Fork a learner process that serves on these descriptors; return its pid."""
        try:
            socket.send_fds(self.sock, [b'{"op": "spawn"}'], fds)
            return int(self._reply("pid", max(timeout, 0.5)))
        except (OSError, ValueError, TypeError) as exc:
            raise ZygoteGone(f"the learners' parent process is not answering ({exc or type(exc).__name__})") from None

    def end(self, pid: int) -> None:
        """Have the learner `pid` (and anything it started) killed; do not wait."""
        self._tell({"op": "end", "pid": pid})

    def clear(self, wait: float = 0.0) -> bool:
        """Have every learner still alive killed (a spawn sent after this is answered after it); with `wait`,
        wait that long for it to be done and say whether it was."""
        self._tell({"op": "clear", "reply": bool(wait)})
        if not wait:
            return True
        try:
            return self._reply("cleared", wait) is True
        except (OSError, ValueError, TypeError):
            return False

    def _reply(self, key: str, timeout: float):
        """The next reply carrying `key` (skipping any left by a job killed before it read its own)."""
        end = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                raise TimeoutError("no answer")
            message = self.sock.recv(256)
            if not message:
                raise EOFError("the zygote is gone")
            reply = json.loads(message)
            if isinstance(reply, dict) and key in reply:
                return reply[key]

    def _tell(self, message: dict) -> None:
        try:
            self.sock.send(json.dumps(message).encode())
        except OSError:
            pass

    def kill(self) -> None:
        """Kill it and every learner under it, and reap it (its parent only)."""
        self.sock.close()
        if os.getpid() != self.owner:
            return
        for pid in [*descendants(self.pid), self.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


_zygote: Zygote | None = None


def get() -> Zygote:
    """This process's zygote (the worker's, in a job process), started now if there is none, or a fresh one in
    place of one that died or was stopped."""
    global _zygote
    if _zygote is not None and _zygote.layer != layers.active().name and os.getpid() == _zygote.owner:
        _zygote.kill()  # a benchmark that measures one layer after another in one process
        _zygote = None
    if _zygote is None:
        _zygote = Zygote()
    elif not _zygote.healthy():
        restart()
    return _zygote


def restart() -> Zygote:
    """Replace the zygote (killed with every learner under it) by a fresh interpreter."""
    global _zygote
    if _zygote is not None:
        _zygote.kill()
    _zygote = Zygote(fresh=True)
    return _zygote


def settle(wait: float = 2.0) -> None:
    """After a job, in the worker: every learner it had is dead, and the zygote answers (else it is replaced)."""
    if _zygote is not None and not (_zygote.healthy() and _zygote.clear(wait)):
        restart()


def end(pid: int) -> None:
    """Have learner `pid` killed by the zygote that forked it (if it is still there)."""
    if _zygote is not None:
        _zygote.end(pid)


# ---- in the zygote ---------------------------------------------------------------------------------------------

def _run(sock: socket.socket) -> None:
    """The zygote's loop: fork learners, report their exit statuses, kill them when asked. Never returns."""
    code = 0
    try:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
        linux.set_name("practice-zygote")
        layers.harden()
        become_subreaper()  # whatever a learner starts stays ours to kill
        layers.prepare_learners()  # what every learner would otherwise work out again after its fork
        prime()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        keep = {sock.fileno(), wake_r, wake_w}
        linux.close_all_but(*keep, *_namespace_fds())  # not the worker's job and results channels
        null = os.open(os.devnull, os.O_RDWR)  # 0-2 taken, so no descriptor received is ever a standard one
        for fd in (0, 1, 2):
            if fd != null:
                os.dup2(null, fd)
        statuses: dict[int, int] = {}
        while True:
            ready, _, _ = select.select([sock, wake_r], [], [])
            if wake_r in ready:
                _drain(wake_r)
            _reap(statuses)
            if sock not in ready:
                continue
            message, fds, _, _ = socket.recv_fds(sock, 1024, 8)
            if not message:
                break
            request = json.loads(message)
            if request.get("op") == "spawn" and len(fds) == 4:
                learner = _spawn(sock, fds, keep | set(statuses.values()))
                statuses[learner] = fds[3]
                for fd in fds[:3]:
                    os.close(fd)
                sock.send(json.dumps({"pid": learner}).encode())
            else:
                for fd in fds:
                    os.close(fd)
                if request.get("op") in ("end", "clear"):
                    _kill_all(statuses)
                if request.get("reply"):
                    sock.send(b'{"cleared": true}')
    except BaseException:  # noqa: BLE001 - the zygote ends; every learner goes with it
        code = 5
    try:
        kill_descendants()
    finally:
        os._exit(code)


def _namespace_fds() -> list[int]:
    """Descriptors the namespaces layer keeps open for forking learners into the learners' pid namespace."""
    from runner.sandbox import namespaces

    fds = [namespaces._own_pid] if namespaces._own_pid is not None else []
    learners = namespaces._learners
    if learners is not None:
        fds += [fd for fd in (learners.cmd, learners.ack, learners.fd, learners.net) if fd is not None]
    return fds


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except OSError:
        pass


def _reap(statuses: dict[int, int]) -> None:
    """Collect exited children; write each learner's own exit status to its status pipe."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = statuses.pop(pid, None)
        code = layers.exit_status(pid, os.waitstatus_to_exitcode(status))
        if fd is not None:
            try:
                os.write(fd, str(code).encode())
            except OSError:
                pass
            os.close(fd)


def _kill_all(statuses: dict[int, int]) -> None:
    """Kill every learner and whatever they started. No waiting for them to finish exiting (a killed process runs
    no more code): the loop reaps them as they go."""
    signal_descendants()
    for learner in list(statuses):
        layers.forget(learner)
    _reap(statuses)
    for fd in statuses.values():  # nobody reads a status after asking for the kill
        os.close(fd)
    statuses.clear()


def _spawn(sock: socket.socket, fds: list[int], zygote_fds: set[int]) -> int:
    """Fork one learner; in the child, read its setup from the request pipe and serve. Returns the pid."""
    req_r, res_w, out_w, status_w = fds
    setup: dict = {}

    def load() -> View | None:
        """The learner's view of the file system, read (once) from the request pipe, in the learner."""
        if not setup:
            meta, data = wire.read_frame(req_r)
            _, payload, _ = wire.loads(meta, data)
            setup.update(payload)
        view = setup.get("view")
        return View(**{k: tuple(v) if isinstance(v, list) else v for k, v in view.items()}) if view else None

    if len(sys.modules) != primed_modules():
        prime()  # the zygote imported something since: keep what each learner reads current
    learner = layers.active().fork(load)
    if learner:
        return learner
    try:  # the learner process
        sock.close()
        for fd in (status_w, *zygote_fds):
            try:
                os.close(fd)
            except OSError:
                pass
        signal.set_wakeup_fd(-1)
        linux.set_name("practice-learn")
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        become_subreaper(False)
        load()

        spec = {k: tuple(v) if isinstance(v, list) else v for k, v in setup["spec"].items()}
        serve(ChildSpec(**spec), req_r, res_w, out_w)
    finally:
        os._exit(4)


if __name__ == "__main__":  # a replacement zygote: python -m runner.sandbox.zygote SOCKET_FD
    layers.prepare_worker()
    _run(socket.socket(fileno=int(sys.argv[1])))
