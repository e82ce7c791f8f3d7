"""The learner process: import the learner's file and serve calls over the channel.

It runs in a forked child of the grader. Before any learner code runs it leaves the grader's process group,
sheds the grader's file descriptors, modules and import path, caps its own resources and installs the import
guard. Its stdout and stderr go to a capped capture pipe; results travel only on the channel.
"""

from __future__ import annotations

import importlib.util
import math
import os
import resource
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from runner.sandbox import layers, wire
from runner.sandbox.guard import PLATFORM_MODULES, ImportGuard


@dataclass(frozen=True)
class ChildSpec:
    """Everything the learner process needs to start."""

    submission: str
    workdir: str
    support_dirs: tuple[str, ...] = ()
    protected_dirs: tuple[str, ...] = ()
    forbidden: dict = field(default_factory=dict)
    memory_mb: int = 2048
    call_cpu_seconds: float = 20.0
    total_cpu_seconds: float = 300.0
    uid: int | None = None  # the learner's own uid where the isolation layer drops privileges
    source: str | None = None  # the text to run as `submission` (the recorded one); None: read the file once
    helpers: bool = True  # the .py files beside the submission are importable (False: they are classmates' files)


def _limit(kind: int, soft: float, hard: float | None = None) -> None:
    try:
        _, current_hard = resource.getrlimit(kind)
        hard = current_hard if hard is None else int(hard)
        if current_hard != resource.RLIM_INFINITY and hard > current_hard:
            hard = current_hard
        soft = min(int(soft), hard) if hard != resource.RLIM_INFINITY else int(soft)
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        pass


def _isolate(spec: ChildSpec, chan_r: int, chan_w: int, out_w: int) -> None:
    """Detach from the grader: session, descriptors, limits, folder, import path, modules, privileges."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    keep = sorted({0, 1, 2, chan_r, chan_w})
    for low, high in zip([-1, *keep], [*keep, 65536]):
        if high - low > 1:
            os.closerange(low + 1, high)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")  # noqa: SIM115
    sys.__stdout__, sys.__stderr__ = sys.stdout, sys.stderr
    _limit(resource.RLIMIT_CORE, 0, 0)
    _limit(resource.RLIMIT_AS, spec.memory_mb * 1024 * 1024, spec.memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_CPU, spec.call_cpu_seconds, spec.total_cpu_seconds)
    os.chdir(spec.workdir)
    protected = [str(Path(d).resolve()) for d in spec.protected_dirs]
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    site = [p for p in sys.path if p and os.path.isabs(p) and not _under(p, protected)
            and (p.startswith(prefixes) or "site-packages" in p or "dist-packages" in p)]
    learner_dir = [str(Path(spec.submission).resolve().parent)] if spec.helpers else []
    sys.path[:] = [*learner_dir, *spec.support_dirs, *site]
    prefixes = tuple({os.path.join(d, "") for d in [*protected, *spec.protected_dirs]})
    for name, origin in _origins if len(_origins) == len(sys.modules) else _module_origins():
        if name.partition(".")[0] in PLATFORM_MODULES or origin.startswith(prefixes):
            sys.modules.pop(name, None)
    sys.meta_path.insert(0, ImportGuard(spec.forbidden, list(spec.protected_dirs)))
    sys.path_importer_cache.clear()
    warnings.resetwarnings()
    warnings.simplefilter("default")
    np.seterr(all="warn")
    layers.active().restrict(spec)  # last: limits, uid and capabilities the learner cannot take back


# Worked out once by the learners' parent (prime), not by every learner: each learner would touch (and so copy)
# every module object and stat every folder on the import path.
_resolved: dict[str, str] = {}  # sys.path entries, resolved
_origins: list[tuple[str, str]] = []  # (name, file) of every module loaded


def _module_origins() -> list[tuple[str, str]]:
    found = []
    for name, module in list(sys.modules.items()):
        try:  # its own __file__ only: a module-level __getattr__ (numpy's) would run for every builtin module
            origin = vars(module).get("__file__") or ""
        except TypeError:
            origin = ""
        found.append((name, origin if isinstance(origin, str) else ""))
    return found


def primed_modules() -> int:
    """How many modules `prime` saw."""
    return len(_origins)


def prime() -> None:
    """In the process that forks learners, before the first: what each learner's _isolate reads."""
    for entry in sys.path:
        if entry and os.path.isabs(entry):
            try:
                _resolved[entry] = str(Path(entry).resolve())
            except OSError:
                pass
    _origins[:] = _module_origins()


def _under(path: str, roots: list[str]) -> bool:
    resolved = _resolved.get(path)
    if resolved is None:
        try:
            resolved = str(Path(path).resolve())
        except OSError:
            return False
    return any(resolved == r or resolved.startswith(r + os.sep) for r in roots)


def _describe(exc: BaseException, submission: str) -> dict:
    """Describe an exception for the grader: builtin types, message and the learner's line."""
    builtin = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"]
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == submission:
            where = f"line {frame.lineno}, in {frame.name}"
    if isinstance(exc, SyntaxError) and os.path.abspath(exc.filename or "") == submission:
        where = f"line {exc.lineno}"
    message = str(exc)
    if len(message) > 500:
        message = message[:500] + "…"
    return {"type": type(exc).__name__, "builtin": builtin, "message": message, "where": where}


def _send(chan_w: int, message: dict, payload=None) -> None:
    try:
        frame, _ = wire.dumps(message, payload)
    except (wire.WireError, ValueError, TypeError, OverflowError, RecursionError) as exc:  # any value JSON refuses
        frame, _ = wire.dumps({"ok": False, "error": {"type": "TypeError", "builtin": ["TypeError"],
                                                      "message": f"your function returned a value that "
                                                                 f"cannot be graded: {exc}", "where": None}})
    wire.write_all(chan_w, frame)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - learner may have replaced or closed the streams
            pass


def _snapshot(refs: list[object]) -> list[object]:
    """Each array argument's shape, dtype and bytes before the call."""
    return [(r.shape, r.dtype, r.tobytes()) if isinstance(r, np.ndarray) else None for r in refs]


def _changes(refs: list[object], before: list[object]) -> dict:
    """What the call did to its arguments, by position in the argument refs: the arrays it wrote to in place
    (any bit changed: positions only, no array data goes back) and the state of every generator it was given."""
    modified, generators = [], {}
    for i, (ref, old) in enumerate(zip(refs, before)):
        if isinstance(ref, np.ndarray):
            try:
                same = (ref.shape, ref.dtype) == old[:2] and ref.tobytes() == old[2]
            except Exception:  # noqa: BLE001 - e.g. its dtype was changed in place
                same = False
            if not same:
                modified.append(i)
        elif isinstance(ref, np.random.Generator):
            generators[str(i)] = ref.bit_generator.state
    return {"modified": modified, "generators": generators}


def serve(spec: ChildSpec, chan_r: int, chan_w: int, out_w: int) -> None:
    """Run in the forked child; never returns."""
    code = 0
    try:
        _isolate(spec, chan_r, chan_w, out_w)
        submission = os.path.abspath(spec.submission)
        try:
            name = Path(submission).stem if Path(submission).stem.isidentifier() else "submission"
            # Compile exactly this text, never a __pycache__ entry (a planted .pyc with a matching mtime and
            # size would run instead of the source), and inherit no __future__ flags from this module.
            text = spec.source if spec.source is not None else Path(submission).read_bytes()
            code = compile(text, submission, "exec", dont_inherit=True)
            sys.dont_write_bytecode = True  # the learner's own helper modules leave no .pyc behind either
            module_spec = importlib.util.spec_from_file_location(name, submission)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            exec(code, module.__dict__)  # noqa: S102 - the learner's code, in the sandbox
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt at import are reported too
            _flush()
            _send(chan_w, {"ok": False, "error": _describe(exc, submission)})
            os._exit(0)
        functions = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("__"))
        _flush()
        _send(chan_w, {"ok": True, "functions": functions})
        namespace = {"np": np, "numpy": np, "math": math}
        while True:
            meta, data = wire.read_frame(chan_r)
            request, payload, refs = wire.loads(meta, data)
            if request.get("op") == "exit":
                break
            used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            _limit(resource.RLIMIT_CPU, math.ceil(used + spec.call_cpu_seconds), spec.total_cpu_seconds)
            before = _snapshot(refs)
            try:
                if request["op"] == "call":
                    fn = getattr(module, request["fn"])
                    args, kwargs = payload
                    result = fn(*args, **kwargs)
                else:  # "eval": an example or plot expression over the learner's functions
                    scope = {**namespace, **{k: v for k, v in vars(module).items() if not k.startswith("__")}}
                    result = eval(request["expr"], scope)  # noqa: S307 - the bank's own expression
            except BaseException as exc:  # noqa: BLE001 - report everything, including SystemExit
                _flush()
                _send(chan_w, {"ok": False, "error": _describe(exc, submission)}, _changes(refs, before))
                continue
            _flush()
            _send(chan_w, {"ok": True}, {"result": result, **_changes(refs, before)})
    except BaseException:  # noqa: BLE001 - the channel broke or the grader went away
        code = 3
    os._exit(code)
