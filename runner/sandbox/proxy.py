"""The grader's side of the sandbox: start the learner process and forward calls to it."""

from __future__ import annotations

import builtins
import os
import select
import shutil
import signal
import tempfile
import time

from runner.sandbox import layers, wire, zygote
from runner.sandbox.child import ChildSpec


class SandboxFailure(BaseException):  # noqa: N818 - a BaseException so `pytest.raises(Exception)` never hides it
    """Learner code could not give an answer: it timed out, ran out of memory, crashed or exited."""

    outcome = "error"


class SandboxTimeout(SandboxFailure):
    outcome = "timeout"


class SandboxMemoryError(SandboxFailure):
    pass


class SandboxCrash(SandboxFailure):
    pass


class LearnerAbort(SandboxFailure):
    """Learner code raised SystemExit, KeyboardInterrupt or another non-Exception BaseException."""


class MissingFunction(SandboxFailure):
    pass


class LearnerRaised:
    """Mixin marking an exception re-raised from learner code; `where` is the learner's line."""

    where: str | None = None


class ImportFailed(Exception):
    """The learner's file could not be imported."""

    def __init__(self, error: dict):
        super().__init__(error.get("message", ""))
        self.error = error


_exception_classes: dict[tuple[str, ...], type] = {}


def learner_exception(error: dict) -> BaseException:
    """Rebuild a learner's exception as a subclass of its built-in types, so `pytest.raises` matches."""
    if error["type"] == "MemoryError":
        return SandboxMemoryError("memory limit exceeded")
    names = [n for n in error.get("builtin", []) if isinstance(getattr(builtins, n, None), type)]
    bases = [getattr(builtins, n) for n in names]
    exc_bases = [b for b in bases if issubclass(b, Exception)]
    message = error.get("message", "")
    if not exc_bases:
        return LearnerAbort(f"your code raised {error['type']}" + (f"({message})" if message else ""))
    key = tuple(b.__name__ for b in exc_bases)
    cls = _exception_classes.get(key)
    if cls is None:
        direct = [b for b in exc_bases if not any(b is not o and issubclass(o, b) for o in exc_bases)]
        try:
            cls = type(error["type"], (LearnerRaised, *direct), {})
        except TypeError:
            cls = type(error["type"], (LearnerRaised, direct[0]), {})
        _exception_classes[key] = cls
    exc = cls(message)
    exc.where = error.get("where")
    exc.learner_type = error["type"]
    return exc


HELPERS_MAX = 32  # .py files copied from beside a submission, each at most HELPER_MAX_BYTES
HELPER_MAX_BYTES = 1 << 20


def helper_modules(submission: str, protected_dirs: tuple[str, ...]) -> list[str]:
    """The .py files beside a submission that learner code may import (never from the bank's answer folders)."""
    folder = os.path.realpath(os.path.dirname(submission))
    if any(folder == os.path.realpath(d) or folder.startswith(os.path.realpath(d) + os.sep) for d in protected_dirs):
        return []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(folder, name)
        if (name.endswith(".py") and name[:-3].isidentifier() and name != os.path.basename(submission)
                and os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) <= HELPER_MAX_BYTES):
            found.append(path)
    return found[:HELPERS_MAX]


class LearnerProcess:
    """One forked learner process with the learner's module imported."""

    def __init__(self, spec: ChildSpec, call_seconds: float, output_limit: int, deadline: float | None = None):
        self.spec = spec
        self.call_seconds = call_seconds
        self.output_limit = output_limit
        self.deadline = deadline  # monotonic time at which the whole run ends
        self.output = bytearray()
        self.output_dropped = 0
        self.functions: list[str] = []
        self.pid: int | None = None
        self.alive = False
        self._req: int | None = None
        self._workdir = tempfile.mkdtemp(prefix="practice-learner-")
        spec, view = self._isolation(ChildSpec(**{**spec.__dict__, "workdir": self._workdir}))
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        status_r, status_w = os.pipe()
        self._req, self._res, self._out, self._status = req_w, res_r, out_r, status_r
        self._frames = wire.FrameReader(max_bytes=max(self.spec.memory_mb, 64) << 20)
        try:  # forked by the zygote, never from this process: it must not start with the grader's memory
            self.pid = zygote.get().spawn([req_r, res_w, out_w, status_w], self._limit())
        except zygote.ZygoteGone as exc:
            self.close()
            raise SandboxCrash(f"the learner process could not be started: {exc}") from None
        finally:
            for fd in (req_r, res_w, out_w, status_w):
                os.close(fd)
        self.alive = True
        for fd in (self._req, self._res):
            wire.enlarge_pipe(fd)
        for fd in (self._req, self._res, self._out):
            os.set_blocking(fd, False)
        # Its setup travels on its own request pipe: the zygote never holds a submission.
        setup, _ = wire.dumps({"op": "setup"}, {"spec": dict(spec.__dict__),
                                                "view": dict(view.__dict__) if view is not None else None})
        try:
            wire.write_all(self._req, setup, deadline=time.monotonic() + max(self._limit(), 0.001))
        except (TimeoutError, OSError):
            self._crashed("starting the learner process", self._limit())
        # A result can be no larger than the learner's memory: refuse a bigger frame before allocating it.
        hello = self._receive(self._limit(), "importing your file")[0]
        if not hello.get("ok"):
            self.close()
            raise ImportFailed(hello.get("error", {}))
        self.functions = list(hello.get("functions", []))

    @staticmethod
    def _isolation(spec: ChildSpec) -> tuple[ChildSpec, layers.View | None]:
        """Where the layer drops privileges, the learner gets its own copy of the submission in its folder."""
        layer = layers.active()
        if not (layer.drops_uid or layer.namespaces):
            return spec, None
        copy = os.path.join(spec.workdir, os.path.basename(spec.submission))
        helpers = helper_modules(spec.submission, spec.protected_dirs) if spec.helpers else []
        for helper in helpers:  # `import helper` beside it still works
            shutil.copyfile(helper, os.path.join(spec.workdir, os.path.basename(helper)))
        if spec.source is None:
            shutil.copyfile(spec.submission, copy)
        else:  # the recorded text, which is what runs
            with open(copy, "w", encoding="utf-8") as fh:
                fh.write(spec.source)
        os.chmod(copy, 0o644)
        learner = ChildSpec(**{**spec.__dict__, "submission": copy, "uid": layer.learner_uid()})
        return learner, layers.make_view(learner, spec.submission) if layer.namespaces else None

    # ---- calls -------------------------------------------------------------------------------------

    def call(self, fn: str, *args, **kwargs):
        """Call `fn` in the learner process and return its result as plain data."""
        if fn not in self.functions:
            raise MissingFunction(f"your file defines no function `{fn}`")
        return self._request({"op": "call", "fn": fn}, (list(args), kwargs), f"{fn}()")

    def evaluate(self, expr: str):
        """Evaluate an example expression over the learner's functions in the learner process."""
        return self._request({"op": "eval", "expr": expr}, None, "the example")

    def _limit(self) -> float:
        limit = self.call_seconds
        if self.deadline is not None:
            limit = min(limit, max(0.0, self.deadline - time.monotonic()))
        return limit

    def _request(self, message: dict, payload, what: str):
        if not self.alive:
            raise SandboxCrash("the learner process is not running")
        limit = self._limit()
        frame, refs = wire.dumps(message, payload)
        try:
            wire.write_all(self._req, frame, deadline=time.monotonic() + max(limit, 0.001))
        except (BrokenPipeError, TimeoutError, OSError):
            self._crashed(what, limit)
        reply, result, _ = self._receive(limit, what)
        self._note_changes(refs, result if isinstance(result, dict) else {}, what)
        if not reply.get("ok"):
            exc = learner_exception(reply.get("error", {}))
            if isinstance(exc, SandboxFailure):
                self.close()
            raise exc
        return result["result"]

    @staticmethod
    def _note_changes(refs: list, reply: dict, what: str) -> None:
        """Record which of the caller's arrays learner code changed in place, never copying the changes back.

        Arguments cross as copies, so the checks' arrays (and the expected values computed from them) stay as
        they were; `runner.checks.assert_not_modified` reads the record. A generator is the caller's stream by
        contract: it moves on by what the call drew (NumPy accepts only a state of the same bit generator).
        """
        import numpy as np

        from runner import checks

        modified, generators = reply.get("modified"), reply.get("generators")
        for i in modified if isinstance(modified, list) else ():
            if type(i) is int and 0 <= i < len(refs) and isinstance(refs[i], np.ndarray):
                checks.note_modified(refs[i], what)
        for key, state in generators.items() if isinstance(generators, dict) else ():
            ref = refs[int(key)] if str(key).isdigit() and int(key) < len(refs) else None
            if isinstance(ref, np.random.Generator) and isinstance(state, dict):
                try:
                    ref.bit_generator.state = state
                except (TypeError, ValueError, KeyError, OverflowError):
                    pass

    def _receive(self, limit: float, what: str):
        end = time.monotonic() + limit
        while True:
            left = end - time.monotonic()
            if left <= 0:
                self.close()
                run_over = self.deadline is not None and time.monotonic() >= self.deadline - 1e-3
                reason = "before the run deadline" if run_over else f"within the {self.call_seconds:g} s time limit"
                raise SandboxTimeout(f"{what} did not finish {reason}")
            ready, _, _ = select.select([self._res, self._out], [], [], left)
            if self._out in ready:
                self._drain_output()
            if self._res in ready:
                try:
                    while True:  # drain what is there before waiting again
                        got = self._frames.pump(self._res)
                        if got is not None:
                            return wire.loads(*got)
                except BlockingIOError:
                    continue
                except EOFError:
                    self._crashed(what, limit)
                except wire.FrameTooLarge as exc:
                    self.close()
                    raise SandboxCrash(f"{what} sent back more than the {self.spec.memory_mb} MB memory limit "
                                       f"allows ({exc})") from None
                except wire.WireError as exc:
                    self.close()
                    raise SandboxCrash(f"the learner process corrupted its result channel during {what} "
                                       f"({exc})") from None

    def _drain_output(self) -> None:
        try:
            chunk = os.read(self._out, 1 << 16)
        except (BlockingIOError, OSError):
            return
        room = self.output_limit - len(self.output)
        self.output += chunk[:max(room, 0)]
        self.output_dropped += max(0, len(chunk) - max(room, 0))

    def _exit_code(self, timeout: float) -> int | None:
        """The learner's exit status, as its parent (the zygote) reports it, waiting up to `timeout` seconds."""
        try:
            ready, _, _ = select.select([self._status], [], [], timeout)
            text = os.read(self._status, 32).decode() if ready else ""
        except OSError:
            return None
        return int(text) if text.lstrip("-").isdigit() else None

    def _crashed(self, what: str, limit: float):
        code = self._exit_code(0.2)
        self.close()
        if code is not None and code < 0:
            sig = -code
            if sig == signal.SIGXCPU:
                raise SandboxTimeout(f"{what} used more than {self.spec.call_cpu_seconds:g} s of CPU time")
            if sig == signal.SIGKILL:
                raise SandboxCrash(f"the learner process was killed during {what} (memory limit exceeded?)")
            raise SandboxCrash(f"the learner process died during {what} (signal {signal.Signals(sig).name})")
        raise SandboxCrash(f"the learner process exited during {what} (exit status "
                           f"{'unknown' if code is None else code}); do not call sys.exit or os._exit")

    # ---- end ---------------------------------------------------------------------------------------

    def captured_output(self) -> str:
        while self.alive:
            ready, _, _ = select.select([self._out], [], [], 0)
            if not ready:
                break
            before = len(self.output) + self.output_dropped
            self._drain_output()
            if len(self.output) + self.output_dropped == before:
                break
        text = self.output.decode(errors="replace")
        if self.output_dropped:
            text += f"\n… {self.output_dropped} more bytes of output not kept"
        return text

    def close(self) -> None:
        """Kill the learner process, its group and anything it spawned; remove its folder."""
        if self.alive:
            self.captured_output()
            self.alive = False
            try:
                frame, _ = wire.dumps({"op": "exit"})
                os.write(self._req, frame[0])
            except OSError:
                pass
            if self.pid is not None:
                zygote.end(self.pid)  # killed by its parent, with whatever it started; no waiting here
        if self._req is not None:
            for fd in (self._req, self._res, self._out, self._status):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._req = None
        shutil.rmtree(self._workdir, ignore_errors=True)
