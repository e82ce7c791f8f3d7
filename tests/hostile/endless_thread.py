"""Start a non-daemon thread that never ends, and return wrong values."""
import threading
import time


def spin():
    while True:
        time.sleep(0.01)


threading.Thread(target=spin, daemon=False).start()


def double(x):
    threading.Thread(target=spin, daemon=False).start()
    return x * 3
