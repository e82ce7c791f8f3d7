"""Look for the grader's state in this process's memory: frames above the learner's code, and every object the
garbage collector can reach once unfrozen (a learner forked from a job process inherits pytest's session and the
hidden tests' code). Every call fails with what was found."""
import gc
import sys
import types

GRADER = ("/_pytest/", "/pytest/", "/pluggy/", "hidden_tests", "practice-tests-", "runner/grading/job.py",
          "runner/grading/plugin.py", "runner/bank.py")
MODULES = ("_pytest", "pytest", "pluggy")


def _found():
    found = set()
    frame = sys._getframe()
    while frame is not None:
        if any(mark in frame.f_code.co_filename for mark in GRADER):
            found.add(f"frame {frame.f_code.co_filename}:{frame.f_code.co_name}")
        frame = frame.f_back
    gc.unfreeze()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", "")
        module = module if isinstance(module, str) else ""
        if module.partition(".")[0] in MODULES:
            found.add(f"object of {module}.{type(obj).__name__}")
        elif isinstance(obj, types.FunctionType) and any(m in obj.__code__.co_filename for m in GRADER):
            found.add(f"function {obj.__code__.co_filename}:{obj.__name__}")
        if len(found) > 5:
            break
    return sorted(found)


FOUND = _found()


def double(x):
    if FOUND:
        raise RuntimeError("grader state in reach: " + "; ".join(FOUND[:3]))
    return 2 * x
