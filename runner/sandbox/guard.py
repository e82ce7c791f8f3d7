"""The import guard installed in the learner process."""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from pathlib import Path

# Top-level names learner code may never import: the grader, its test framework and the answer folders.
PLATFORM_MODULES = ("runner", "pytest", "_pytest", "pluggy", "iniconfig", "conftest", "solutions", "hidden_tests")


class ImportGuard(MetaPathFinder):
    """Refuse forbidden libraries by name, and any module whose file lies in a protected folder."""

    def __init__(self, forbidden: dict[str, str], protected_dirs: list[str]):
        self.forbidden = forbidden  # top-level name -> reason shown to the learner
        self.protected = [str(Path(d).resolve()) + "/" for d in protected_dirs]

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.forbidden:
            raise ImportError(f"`{top}` is not allowed here ({self.forbidden[top]})", name=fullname)
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            origin = spec.origin or ""
            locations = [origin, *(spec.submodule_search_locations or [])]
            for location in locations:
                resolved = str(Path(location).resolve()) if location and location != "built-in" else ""
                if any((resolved + "/").startswith(p) for p in self.protected):
                    raise ImportError(f"`{fullname}` is part of the grader and cannot be imported", name=fullname)
            return spec
        return None


def build_forbidden(constraint_modules: tuple[str, ...], constraint_label: str) -> dict[str, str]:
    """Map each blocked top-level name to the reason the learner sees."""
    reasons = {name: f"constraint: {constraint_label}" for name in constraint_modules}
    reasons.update({name: "it belongs to the grader" for name in PLATFORM_MODULES})
    return reasons
