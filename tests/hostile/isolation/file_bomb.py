"""Write one 64 MiB file in the working folder, and report how much landed in an exception."""
import os


def double(x):
    written, error = 0, "none"
    chunk = b"x" * (1 << 20)
    try:
        with open("bomb.bin", "wb") as fh:
            for _ in range(64):
                written += fh.write(chunk)
                fh.flush()
    except OSError as exc:
        error = exc.__class__.__name__
    raise ValueError(f"wrote {os.path.getsize('bomb.bin')} bytes, then {error}")
