"""The plain-data wire format between grader and learner process."""

from __future__ import annotations

import numpy as np
import pytest

from runner.sandbox import wire


def roundtrip(value):
    parts, refs = wire.dumps({"op": "x"}, value)
    blob = b"".join(bytes(p) for p in parts)
    meta_len = wire.HEADER.unpack_from(blob)[1]
    start = wire.HEADER.size
    _, out, _ = wire.loads(blob[start:start + meta_len], memoryview(bytearray(blob[start + meta_len:])))
    return out


@pytest.mark.parametrize("array", [
    np.arange(12.0).reshape(3, 4),
    np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
    np.arange(10)[::3],
    np.zeros((0, 3), dtype=np.float32),
    np.array([True, False]),
    np.array(2.5),
    np.array([1 + 2j, -1j]),
    np.arange(4, dtype=">f8"),
])
def test_arrays_roundtrip_exactly(array):
    out = roundtrip(array)
    assert type(out) is np.ndarray and out.shape == array.shape and np.array_equal(out, array)
    assert out.dtype == array.dtype.newbyteorder("=")
    assert out.flags.writeable


def test_containers_numbers_and_scalars():
    value = (1, 2.5, float("inf"), "x", None, True, [1j], {"a": [np.float32(3)], 7: ()})
    out = roundtrip(value)
    assert out[:6] == (1, 2.5, float("inf"), "x", None, True) and out[6] == [1j]
    assert type(out[7]["a"][0]) is np.float32 and out[7][7] == ()


def test_subclass_arrives_as_plain_ndarray():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    out = roundtrip(np.zeros(3).view(Liar))
    assert type(out) is np.ndarray


def test_generator_state_crosses():
    out = roundtrip(np.random.default_rng(7))
    assert out.normal() == np.random.default_rng(7).normal()


@pytest.mark.parametrize("bad", [np.array([object()]), lambda x: x, {1.5: 2}, np.zeros(2, dtype=[("a", "f8")]),
                                 set()])
def test_refuses_what_could_run_code_or_is_not_data(bad):
    with pytest.raises(wire.WireError):
        wire.dumps({}, bad)


def test_malformed_frames_are_refused():
    with pytest.raises(wire.WireError):
        wire.loads(b"not json", memoryview(bytearray()))
    with pytest.raises(wire.WireError):
        wire.loads(b'{"payload": {"A": 0, "dtype": "|O", "shape": [1]}, "sizes": [8]}', memoryview(bytearray(8)))
    with pytest.raises(wire.WireError):
        wire.loads(b'{"payload": {"A": 0, "dtype": "<f8", "shape": [2]}, "sizes": [8]}', memoryview(bytearray(8)))
