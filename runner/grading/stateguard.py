"""The state a grading process must not carry from one submission to the next, as named digests.

A job process grades consecutive submissions of one exercise (runner/grading/jobserver.py). Hidden tests keep
per-submission state in fixtures, which pytest tears down after each submission; anything else they keep (a
module-level cache, a value in pytest's stash, a global random generator they advanced) would reach the next
submission. After each submission the job process compares these digests with those it took before the first,
and on any difference it ends, so the next submission is graded by a fresh fork of the untouched worker.

What is covered: every module of the exercise's hidden tests and support library, and the platform's helpers for
checks (runner.checks, runner.counterexamples), each with its data, its functions' defaults, attributes, closures
and `functools` caches, and its classes' data; pytest's stashes (config, session, every node) and any fixture
still set up; numpy's and Python's global random generators; numpy's error and print settings; the warning
filters; the working folder and the environment.
Data is compared by value (pickled); what cannot be pickled, by identity. A module may name caches of data no
submission can influence (a file read once, keyed by its name) in `__grading_caches__`; those are left out.
See docs/AUTHORING.md, "Hidden tests keep no state".
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import sys
import types
import warnings
from pathlib import Path

import numpy as np

PYTHON_RANDOM = "Python's random generator"
PLATFORM_MODULES = ("runner.checks", "runner.counterexamples")  # the platform's helpers that checks call
CACHES = "__grading_caches__"  # a module's names for its caches of data no submission influences (files read once)
_SKIPPED = (types.ModuleType, types.BuiltinFunctionType, types.MethodType, property, staticmethod, classmethod)


def _digest(add, *args) -> bytes:
    """What `add(*args, digest)` puts into a fresh digest."""
    digest = hashlib.blake2b(digest_size=16)
    add(*args, digest)
    return digest.digest()


def _value(value, digest) -> None:
    """Add one value to the digest: by value where it pickles, else by type and identity."""
    try:
        digest.update(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - unpicklable (a lock, a generator): its identity is all we can compare
        digest.update(f"<{type(value).__qualname__} {id(value)}>".encode())


def _function(func, digest) -> None:
    """What a function can carry between calls: defaults, attributes, closure cells and an lru_cache's size."""
    inner = getattr(func, "__wrapped__", func)
    for value in (getattr(inner, "__defaults__", None), getattr(inner, "__kwdefaults__", None),
                  getattr(func, "__dict__", None)):
        if value:
            _value({k: v for k, v in value.items() if k != "__wrapped__"} if isinstance(value, dict) else value,
                   digest)
    for cell in getattr(inner, "__closure__", None) or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if not callable(contents):
            _value(contents, digest)
    info = getattr(func, "cache_info", None)
    if callable(info):
        digest.update(repr(info()).encode())


def _holding(value, owner: str, digest, depth: int = 0) -> None:
    """Add what one name holds to the digest."""
    if isinstance(value, type):
        if value.__module__ == owner and depth < 2:  # a class of this module: its own data
            _namespace(vars(value).items(), owner, digest, depth + 1)
        else:
            digest.update(f"<class {id(value)}>".encode())
    elif isinstance(value, types.FunctionType) or hasattr(value, "cache_info"):
        _function(value, digest)
    elif callable(value) and not hasattr(value, "__dict__"):
        digest.update(f"<{type(value).__qualname__} {id(value)}>".encode())
    else:
        _value(value, digest)


def _names(items, caches: frozenset = frozenset()):
    """The (name, value) pairs worth comparing, in name order: not dunders, modules or methods, nor `caches`."""
    return [(name, value) for name, value in sorted(items, key=lambda kv: kv[0])
            if not (name.startswith("__") and name.endswith("__") or isinstance(value, _SKIPPED) or name in caches)]


def _namespace(items, owner: str, digest, depth: int = 0) -> None:
    """A class's names and what each holds."""
    for name, value in _names(items):
        digest.update(name.encode() + b"\0")
        _holding(value, owner, digest, depth)


def pytest_keys() -> frozenset[int]:
    """pytest's own stash keys (module globals of its modules): what it keeps per run under them is its business."""
    keys = set()
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("_pytest", "pytest"):
            keys.update(id(v) for v in list(vars(module).values()) if type(v).__name__ == "StashKey")
    return frozenset(keys)


def _node_stashes(session, skip: frozenset[int], digest) -> None:
    """The stash of every collected check and of each node above it (a module, a class), but pytest's keys."""
    nodes = {}
    for item in session.items:
        node = item
        while node is not None and id(node) not in nodes:
            nodes[id(node)] = node
            node = node.parent
    for node in sorted(nodes.values(), key=lambda n: n.nodeid):
        digest.update(node.nodeid.encode() + b"\0")
        _stash(node.stash, skip, digest)


def _stash(stash, skip: frozenset[int], digest) -> None:
    """A pytest Stash: each key's identity and its value (leaving out the keys in `skip`)."""
    storage = getattr(stash, "_storage", {})
    for key, value in sorted(storage.items(), key=lambda kv: id(kv[0])):
        if id(key) in skip:
            continue
        digest.update(f"{id(key)}".encode())
        _value(value, digest)


class StateGuard:
    """Take the state now, and tell later what of it changed."""

    def __init__(self, session, folders: list[Path], platform: tuple[str, ...] = PLATFORM_MODULES):
        self.session, self.platform = session, platform
        self.pytest_keys = pytest_keys()
        # As given and resolved: the grader imports the checks and the support library by these paths, so a
        # module's __file__ starts with one of them (no realpath per module: ~20 ms per job process).
        self.roots = tuple({str(form) + os.sep for folder in folders if folder is not None
                            for form in (folder, folder.resolve())})
        self.known: dict[str, bool] = {}  # module name: whether its file lies under one of the folders
        self.modules: list[types.ModuleType] = []
        self.seen = -1  # len(sys.modules) when `modules` was last listed
        self.baseline = self.state()

    def bank_modules(self) -> list[types.ModuleType]:
        """The loaded modules of the hidden tests and the support library, by name (listed again only when a
        module was imported since)."""
        if len(sys.modules) != self.seen:
            for name, module in list(sys.modules.items()):
                if name not in self.known:
                    path = getattr(module, "__file__", None)
                    self.known[name] = isinstance(path, str) and path.startswith(self.roots)
            self.modules = sorted((m for n, m in list(sys.modules.items()) if self.known.get(n) or n in self.platform),
                                  key=lambda m: m.__name__)
            self.seen = len(sys.modules)
        return self.modules

    def state(self) -> dict[str, bytes]:
        """Each covered piece of state, named, as a digest."""
        parts: dict[str, bytes] = {}

        def part(name: str, add, *args) -> None:
            parts[name] = _digest(add, *args)

        for module in self.bank_modules():
            for name, value in _names(vars(module).items(), frozenset(getattr(module, CACHES, ()))):
                part(f"{module.__name__}.{name}", _holding, value, module.__name__)
        part("pytest's config stash", _stash, self.session.config.stash, self.pytest_keys)
        part("pytest's session stash", _stash, self.session.stash, self.pytest_keys)
        part("pytest's node stashes", _node_stashes, self.session, self.pytest_keys)
        part("pytest's fixtures still set up", _value, len(getattr(self.session._setupstate, "stack", ())))
        part("numpy's global random generator", _value, np.random.get_state(legacy=False))
        part(PYTHON_RANDOM, _value, random.getstate())
        part("numpy's settings", _value, repr((np.geterr(), np.get_printoptions())))
        part("the warning filters", _value, [id(f) for f in warnings.filters])
        part("the working folder", _value, os.getcwd())
        part("the environment", _value, sorted((k, v) for k, v in os.environ.items()
                                               if k != "PYTEST_CURRENT_TEST"))  # pytest's own
        return parts

    def forked(self) -> None:
        """In a fork of the process that made the guard: Python reseeds its global generator in every child
        (random's `os.register_at_fork`), so take that part again."""
        self.baseline[PYTHON_RANDOM] = _digest(_value, random.getstate())

    def changes(self) -> list[str]:
        """What differs from when the guard was made (a piece that appeared or went counts), by name."""
        now = self.state()
        return sorted(name for name in now.keys() | self.baseline.keys() if now.get(name) != self.baseline.get(name))
