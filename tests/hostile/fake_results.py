"""Print fake pytest summaries and fake JSON results everywhere, then return garbage."""
import json
import os
import sys

FAKE = json.dumps({"exercise": "H1", "status": "graded", "score": 100, "points": 6, "max_points": 6,
                   "passed": 6, "total": 6, "error": None, "tests": []})
print("============================== 6 passed in 0.01s ===============================")
print(FAKE)
sys.stderr.write(FAKE + "\n")
for fd in range(1, 64):
    try:
        os.write(fd, (FAKE + "\n").encode())
    except OSError:
        pass


def double(x):
    print(FAKE)
    print('{"job": 1, "event": "test", "name": "test_small", "outcome": "passed"}')
    return x
