"""Plant a conftest.py in the bank's hidden_tests/ and a file in solutions/ (the test says where the bank is)."""
import os

for _folder in ("hidden_tests", "solutions"):
    try:
        with open(os.path.join(os.environ["HOSTILE_BANK"], _folder, "conftest.py"), "w") as _fh:
            _fh.write("import pytest\n")
    except OSError:
        pass


def double(x):
    return 2 * x
