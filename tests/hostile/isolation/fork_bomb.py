"""Start processes and threads until the kernel refuses (at most 300), and report how many in an exception."""
import os
import threading
import time


def double(x):
    made, error = 0, "none"
    while made < 300:
        try:
            if made % 2:
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            elif os.fork() == 0:
                time.sleep(30)
                os._exit(0)
        except (OSError, RuntimeError) as exc:
            error = exc.__class__.__name__
            break
        made += 1
    raise ValueError(f"forked {made} processes, then {error}")
