"""Probe every limit in one call and report in an exception: a 64 MiB file, the network (a loopback port the
test listens on), the processes in sight and those it may signal, and processes and threads until refused
(or 0.4 s have passed)."""
import os
import socket
import threading
import time


def _file():
    written, error = 0, "none"
    chunk = b"x" * (1 << 20)
    try:
        with open("bomb.bin", "wb") as fh:
            for _ in range(64):
                written += fh.write(chunk)
                fh.flush()
    except OSError as exc:
        error = exc.__class__.__name__
    size = os.path.getsize("bomb.bin")
    os.remove("bomb.bin")
    return f"wrote {size} bytes, then {error}"


def _network():
    try:
        with socket.create_connection(("127.0.0.1", int(os.environ["HOSTILE_PORT"])), timeout=1) as conn:
            conn.sendall(b"pwned")
        return "network: connected"
    except OSError as exc:
        return f"network: no network ({exc.__class__.__name__})"


def _processes():
    seen = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    signalable = 0
    for pid in seen:
        if pid not in (1, os.getpid()):  # pid 1: the system's init, or this namespace's reaper
            try:
                os.kill(pid, 0)
                signalable += 1
            except OSError:
                pass
    return f"seen {len(seen)} signalable {signalable} parent {os.getppid()}"


def _bomb():
    made, error, end = 0, "time", time.monotonic() + 0.4  # stop in time to report: the call has 1 s
    while made < 300 and time.monotonic() < end:
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
    return f"forked {made} processes, then {error}"


def double(x):
    raise ValueError("; ".join([_file(), _network(), _processes(), _bomb()]))
