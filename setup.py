"""Build hook: ship the exercise bank inside the wheel, as the data folder `practice_bank/`.

The repository keeps exercises/, hidden_tests/ and solutions/ at its top level; a built wheel carries copies
of them under site-packages/practice_bank/, where runner.config finds them. Editable installs skip the copy
and read the checkout. Everything else about the build is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BANK_FOLDERS = ("exercises", "hidden_tests", "solutions")
BANK_PACKAGE = "practice_bank"  # must match runner.config.BANK_PACKAGE
JUNK = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".*")


class build_py_with_bank(build_py):
    """Copy the bank next to the runner package in the build folder (not for editable installs)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / BANK_PACKAGE
        shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
        for name in BANK_FOLDERS:
            shutil.copytree(name, target / name, ignore=JUNK)


setup(cmdclass={"build_py": build_py_with_bank})
