"""The state a grading process must not carry from one submission to the next, as one comparable digest.

A job process grades consecutive submissions of one exercise (runner/grading/jobserver.py). Hidden tests keep
per-submission state in fixtures, which pytest tears down after each submission; anything else they keep (a
module-level cache, a value in pytest's stash, a global random generator they advanced) would reach the next
submission. After each submission the job process compares this digest with the one it took before the first,
and on any difference it ends, so the next submission is graded by a fresh fork of the untouched worker.

What is covered: every module of the exercise's hidden tests and support library (their data, the defaults,
attributes, closures and `functools` caches of their functions, and their classes' data), pytest's config and
session stashes, numpy's and Python's global random generators, numpy's error and print settings, the warning
filters, the working folder and the environment. Data is compared by value (pickled); what cannot be pickled, by
identity. A module may name caches of data no submission can influence (a file read once, keyed by its name) in
`__grading_caches__`; those are left out. See docs/AUTHORING.md, "Hidden tests keep no state".
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

CACHES = "__grading_caches__"  # a module's names for its caches of data no submission influences (files read once)
_SKIPPED = (types.ModuleType, types.BuiltinFunctionType, types.MethodType, property, staticmethod, classmethod)


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


def _namespace(items, owner: str, digest, depth: int = 0, caches: frozenset = frozenset()) -> None:
    """A module's or class's names and what each holds, in name order (leaving out its declared `caches`)."""
    for name, value in sorted(items, key=lambda kv: kv[0]):
        if name.startswith("__") and name.endswith("__") or isinstance(value, _SKIPPED) or name in caches:
            continue
        digest.update(name.encode() + b"\0")
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


def _stash(stash, digest) -> None:
    """A pytest Stash: each key's identity and its value."""
    storage = getattr(stash, "_storage", {})
    for key, value in sorted(storage.items(), key=lambda kv: id(kv[0])):
        digest.update(f"{id(key)}".encode())
        _value(value, digest)


class StateGuard:
    """Digest the state now, and tell later whether any of it changed."""

    def __init__(self, session, folders: list[Path]):
        self.session = session
        self.roots = tuple(str(folder.resolve()) + os.sep for folder in folders if folder is not None)
        self.known: dict[str, bool] = {}  # module name: whether its file lies under one of the folders
        self.modules: list[types.ModuleType] = []
        self.seen = -1  # len(sys.modules) when `modules` was last listed
        self.baseline = self.digest()

    def bank_modules(self) -> list[types.ModuleType]:
        """The loaded modules of the hidden tests and the support library, by name (listed again only when a
        module was imported since)."""
        if len(sys.modules) != self.seen:
            for name, module in list(sys.modules.items()):
                if name not in self.known:
                    path = getattr(module, "__file__", None)
                    self.known[name] = bool(path) and os.path.realpath(path).startswith(self.roots)
            self.modules = sorted((m for n, m in list(sys.modules.items()) if self.known.get(n)),
                                  key=lambda m: m.__name__)
            self.seen = len(sys.modules)
        return self.modules

    def digest(self) -> bytes:
        """The covered state, as a 20-byte digest."""
        digest = hashlib.blake2b(digest_size=20)
        for module in self.bank_modules():
            digest.update(module.__name__.encode() + b"\1")
            caches = frozenset(getattr(module, CACHES, ()))
            _namespace(vars(module).items(), module.__name__, digest, caches=caches)
        _stash(self.session.config.stash, digest)
        _stash(self.session.stash, digest)
        _value(np.random.get_state(legacy=False), digest)
        _value(random.getstate(), digest)
        digest.update(repr((np.geterr(), np.get_printoptions(), [id(f) for f in warnings.filters])).encode())
        environ = sorted((k, v) for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST")  # pytest's own
        digest.update(repr((os.getcwd(), environ)).encode())
        return digest.digest()

    def changed(self) -> bool:
        """Whether anything covered differs from when the guard was made."""
        return self.digest() != self.baseline
