"""Connect to a TCP port the test listens on (loopback), and report what happened in an exception."""
import os
import socket


def double(x):
    try:
        with socket.create_connection(("127.0.0.1", int(os.environ["HOSTILE_PORT"])), timeout=1) as conn:
            conn.sendall(b"pwned")
        outcome = "connected"
    except OSError as exc:
        outcome = f"no network ({exc.__class__.__name__})"
    raise ValueError(f"network: {outcome}")
