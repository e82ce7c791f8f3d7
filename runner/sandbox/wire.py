"""Plain-data messages between the grader and the learner process.

A frame is a header, a JSON description and raw array buffers. Nothing in it runs code when read: arrays are
rebuilt with `numpy.frombuffer` from a checked numeric or bool dtype, so a subclass arrives as a plain ndarray.

Values: None, bool, int, float, complex, str, list, tuple, dict (str or int keys), numpy arrays and scalars of
numeric or bool dtype, and `numpy.random.Generator` (sent as its bit generator's state).
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import sys
import time

import numpy as np

MAGIC = b"PRW1"
HEADER = struct.Struct(">4sIQ")  # magic, JSON length, buffer bytes
ALLOWED_KINDS = "biufc"
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class WireError(Exception):
    """A value that cannot cross, or a frame that is not well formed."""


class FrameTooLarge(WireError):
    """A frame header announces more bytes than the reader accepts (refused before allocating anything)."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"a frame of {size / 2**20:.0f} MiB was announced, more than the {limit / 2**20:.0f} MiB "
                         "allowed")
        self.size, self.limit = size, limit


MAX_INT_BITS = 10_000  # about 3000 digits: JSON cannot carry much more (Python limits int-to-text conversion)


class Encoder:
    """Turn a value into JSON plus buffers, remembering arrays and generators for write-back."""

    def __init__(self):
        self.buffers: list[memoryview] = []
        self.refs: list[object] = []  # arrays and generators, in encoding order

    def encode(self, value, depth: int = 0):
        if depth > 64:
            raise WireError("value is nested too deeply")
        kind = type(value)  # fast paths for the exact types nearly every call carries
        if kind is np.ndarray:
            return self._array(value)
        if kind is tuple:
            return {"T": [self.encode(v, depth + 1) for v in value]}
        if kind is list:
            return {"L": [self.encode(v, depth + 1) for v in value]}
        if kind is float or kind is str or kind is bool or value is None:
            return value
        if kind is int:
            return self._int(value)
        if isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.ndarray):
            masked = sys.modules.get("numpy.ma")  # a masked array exists only once numpy.ma is imported
            if masked is not None and isinstance(value, masked.MaskedArray):
                raise WireError("a masked array (numpy.ma) cannot cross: its mask would be lost; return a plain "
                                "array, e.g. `.filled(np.nan)`")
            return self._array(value)
        if isinstance(value, np.generic):
            return {"S": self._array(np.asarray(value))}
        if isinstance(value, int):
            return self._int(int(value))
        if isinstance(value, float):
            return float(value)
        if isinstance(value, complex):
            return {"C": [value.real, value.imag]}
        if isinstance(value, tuple):
            return {"T": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, list):
            return {"L": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            items = []
            for k, v in value.items():
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise WireError(f"dict key of type {type(k).__name__} cannot cross; use str or int keys")
                items.append([k, self.encode(v, depth + 1)])
            return {"D": items}
        if isinstance(value, np.random.Generator):
            self.refs.append(value)
            return {"G": self.encode(value.bit_generator.state, depth + 1)}
        raise WireError(f"a value of type {type(value).__name__} cannot cross; use arrays, numbers, "
                        "strings, None, lists, tuples or dicts")

    @staticmethod
    def _int(value: int) -> int:
        if value.bit_length() > MAX_INT_BITS:
            raise WireError(f"an integer of {value.bit_length()} bits cannot cross; return a float or a smaller "
                            "integer")
        return value

    def _array(self, arr: np.ndarray) -> dict:
        dtype = arr.dtype
        if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None:
            raise WireError(f"an array of dtype {arr.dtype} cannot cross; use a numeric or bool dtype")
        if arr.flags.c_contiguous and dtype.isnative and dtype.kind != "c" and arr.size:  # zero-copy fast path
            self.refs.append(arr)
            self.buffers.append(memoryview(arr).cast("B"))
            return {"A": len(self.buffers) - 1, "dtype": dtype.str, "shape": list(arr.shape), "F": False,
                    "w": bool(arr.flags.writeable)}
        fortran = arr.flags.f_contiguous and not arr.flags.c_contiguous
        dtype = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in "=|" else arr.dtype
        data = np.asarray(arr, dtype=dtype, order="F" if fortran else "C")
        if not (data.flags.f_contiguous if fortran else data.flags.c_contiguous):
            data = data.copy(order="F" if fortran else "C")
        self.refs.append(arr)
        flat = data.T if fortran else data
        self.buffers.append(memoryview(np.ascontiguousarray(flat).reshape(-1).view(np.uint8)) if data.size
                            else memoryview(b""))
        return {"A": len(self.buffers) - 1, "dtype": dtype.str, "shape": list(arr.shape),
                "F": bool(fortran), "w": bool(arr.flags.writeable)}


class Decoder:
    """Rebuild values from JSON plus buffers."""

    def __init__(self, buffers: list[bytes]):
        self.buffers = buffers
        self.refs: list[object] = []

    def decode(self, node):
        kind = type(node)
        if node is None or kind is bool or kind is str or kind is int or kind is float:
            return node
        if kind is dict and len(node) >= 1:
            if "A" in node:
                return self._array(node)
            if "S" in node:
                return self._array(node["S"])[()]
            if "C" in node:
                return complex(*node["C"])
            if "T" in node:
                return tuple(self.decode(v) for v in node["T"])
            if "L" in node:
                return [self.decode(v) for v in node["L"]]
            if "D" in node:
                return {k: self.decode(v) for k, v in node["D"]}
            if "G" in node:
                state = self.decode(node["G"])
                name = state.get("bit_generator") if isinstance(state, dict) else None
                if name not in BIT_GENERATORS:
                    raise WireError(f"unknown bit generator {name!r}")
                bit_gen = getattr(np.random, name)()
                bit_gen.state = state
                gen = np.random.Generator(bit_gen)
                self.refs.append(gen)
                return gen
        raise WireError("malformed value in frame")

    def _array(self, node: dict) -> np.ndarray:
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None:
            raise WireError(f"dtype {dtype} is not allowed")
        shape = tuple(int(n) for n in node["shape"])
        raw = self.buffers[int(node["A"])]
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise WireError("array buffer has the wrong size")
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if node.get("F") else "C")
        if not arr.flags.writeable:  # a read-only buffer: copy so learner code may write to its arguments
            arr = arr.copy(order="F" if node.get("F") else "C")
        if not node.get("w", True):
            arr.flags.writeable = False
        self.refs.append(arr)
        return arr


def dumps(message: dict, payload=None) -> tuple[list, list[object]]:
    """Encode a message whose `payload` holds plain data; return the frame's parts and the refs."""
    enc = Encoder()
    body = dict(message)
    if payload is not None:
        body["payload"] = enc.encode(payload)
    body["sizes"] = [len(b) for b in enc.buffers]
    meta = json.dumps(body, allow_nan=True).encode()
    total = sum(len(b) for b in enc.buffers)
    return [HEADER.pack(MAGIC, len(meta), total) + meta, *enc.buffers], enc.refs


def loads(meta: bytes, data: memoryview) -> tuple[dict, object, list[object]]:
    """Decode a frame body; return (message, payload, refs). Arrays share the writable `data` buffer."""
    try:
        body = json.loads(meta)
    except ValueError as exc:
        raise WireError("frame description is not JSON") from exc
    sizes = body.pop("sizes", [])
    if sum(sizes) != len(data):
        raise WireError("frame buffers do not add up")
    buffers, offset = [], 0
    for size in sizes:
        buffers.append(data[offset:offset + size])
        offset += size
    dec = Decoder(buffers)
    payload = dec.decode(body.pop("payload")) if "payload" in body else None
    return body, payload, dec.refs


# ---- I/O -------------------------------------------------------------------------------------------------

def enlarge_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask Linux for a bigger pipe buffer (fewer round trips for large arrays); harmless elsewhere."""
    try:
        import fcntl

        fcntl.fcntl(fd, 1031, size)  # F_SETPIPE_SZ
    except (ImportError, OSError):
        pass


class FrameReader:
    """Read frames from a descriptor into one preallocated buffer per frame, of at most `max_bytes`."""

    def __init__(self, max_bytes: int | None = None):
        self.max_bytes = max_bytes
        self._reset()

    def _reset(self) -> None:
        self.head = bytearray()
        self.body: bytearray | None = None
        self.filled = 0
        self.meta_len = 0

    def pump(self, fd: int) -> tuple[bytes, memoryview] | None:
        """Read what is there (one read); return (meta, data) once a frame is complete. EOFError at EOF."""
        if self.body is None:
            chunk = os.read(fd, HEADER.size - len(self.head))
            if not chunk:
                raise EOFError("channel closed")
            self.head += chunk
            if len(self.head) < HEADER.size:
                return None
            magic, meta_len, data_len = HEADER.unpack(self.head)
            if magic != MAGIC:
                raise WireError("bad frame header")
            if self.max_bytes is not None and meta_len + data_len > self.max_bytes:
                raise FrameTooLarge(meta_len + data_len, self.max_bytes)
            self.meta_len, self.body, self.filled = meta_len, bytearray(meta_len + data_len), 0
        elif self.filled < len(self.body):
            n = os.readv(fd, [memoryview(self.body)[self.filled:]])
            if n == 0:
                raise EOFError("channel closed")
            self.filled += n
        if self.filled < len(self.body):
            return None
        body, meta_len = self.body, self.meta_len
        self._reset()
        return bytes(body[:meta_len]), memoryview(body)[meta_len:]


def read_frame(fd: int) -> tuple[bytes, memoryview]:
    """Read one whole frame from a blocking descriptor."""
    reader = FrameReader()
    while True:
        frame = reader.pump(fd)
        if frame is not None:
            return frame


def write_all(fd: int, parts, deadline: float | None = None) -> None:
    """Write bytes (or a list of buffers); on a non-blocking descriptor wait at most until `deadline`."""
    views = [memoryview(p).cast("B") for p in ([parts] if isinstance(parts, (bytes, bytearray, memoryview))
                                               else parts)]
    views = [v for v in views if len(v)]
    while views:
        try:
            n = os.writev(fd, views[:64])
        except BlockingIOError:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError("write timed out") from None
            select.select([], [fd], [], left)
            continue
        while n and views:
            if n >= len(views[0]):
                n -= len(views[0])
                views.pop(0)
            else:
                views[0] = views[0][n:]
                n = 0
