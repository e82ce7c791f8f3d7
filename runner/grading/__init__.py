"""Grading: run hidden tests against a submission and return structured results."""

import os
import shutil


def remove_tree(path) -> None:
    """Remove a folder the grader made, read-only copies inside it included."""
    for folder, _, _ in os.walk(path):
        try:
            os.chmod(folder, 0o700)
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)
