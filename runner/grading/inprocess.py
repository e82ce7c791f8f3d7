"""An in-process `solution` fixture for authoring hidden tests quickly.

    pytest -p runner.grading.inprocess hidden_tests/1A --submission solutions/1A/reference.py

Learner code runs inside pytest here, unguarded: use it while writing checks, and `practice validate`
(or the bank-wide test) to prove them through the real sandbox. It is also the baseline the sandbox's
overhead is measured against in bench/.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--submission", action="store", default=None, help="learner file to test in-process")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): how many points a hidden check is worth")
    config.addinivalue_line("markers", "reveal(name): the check may show a counterexample (runner/counterexamples.py)")
    support = _bank_of(config.args).support_dir
    if support.is_dir() and str(support) not in sys.path:
        sys.path.insert(0, str(support))


def _bank_of(args: list[str]):
    """The bank whose hidden_tests/ holds the tests given, else the default bank."""
    from runner.bank import BankLayout
    from runner.config import resolve_locations

    for arg in args:
        for folder in Path(arg.split("::")[0]).resolve().parents:
            if folder.name == "hidden_tests":
                return BankLayout(folder.parent)
    return BankLayout(resolve_locations().bank)


def load_module(path: Path, name: str = "submission"):
    """Import a file as a fresh module."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


@pytest.fixture(scope="session")
def _inprocess_module(request):
    path = request.config.getoption("--submission")
    if not path:
        pytest.fail("pass --submission PATH")
    return load_module(Path(path).resolve())


class WatchedModule:
    """The learner's module, reporting in-place changes to array arguments as the sandbox does."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if name.startswith("__") or not callable(value):
            return value

        def call(*args, **kwargs):
            import numpy as np

            from runner.checks import _arrays, note_modified

            arrays = list(_arrays((args, kwargs)))
            before = [a.copy() for a in arrays]
            try:
                return value(*args, **kwargs)
            finally:
                for array, old in zip(arrays, before):
                    if array.shape != old.shape or not np.array_equal(array, old, equal_nan=array.dtype.kind in "fc"):
                        note_modified(array, f"{name}()")

        return call


@pytest.fixture
def solution(_inprocess_module):
    return WatchedModule(_inprocess_module)
