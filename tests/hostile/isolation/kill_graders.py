"""SIGKILL every process of this practice run (job process, learners' parent, worker, `practice grade`), then
answer right."""
import os
import signal


def _family():
    """Every process of this `practice` run (the client, its worker, the worker's job and learners' parent), found
    from the ancestors: the job process that runs the checks is the worker's child, not this process's ancestor.
    Processes of other runs (and the test runner) are left alone."""
    def parent(pid):
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])

    def practice(pid):
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"runner" in fh.read()

    top, pid = None, os.getppid()
    try:
        while pid > 1 and practice(pid):
            top, pid = pid, parent(pid)
    except (OSError, ValueError, IndexError):
        pass
    found, stack = [], [top] if top else []
    while stack:
        pid = stack.pop()
        if pid != os.getpid():
            found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", "rb") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            pass
    return found


for _pid in _family():
    try:
        os.kill(_pid, signal.SIGKILL)
    except OSError:
        pass


def double(x):
    return 2 * x
