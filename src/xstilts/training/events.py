"""TensorBoard event files for live monitoring, written without TensorFlow or the tensorboard
package: `tensorboard --logdir results/` (tensorboard installed wherever it is run) shows every
training job of the grid as one run.

An event file is a TFRecord file of serialized ``tensorflow.Event`` protocol buffers. Each
record is ``uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data)``,
little-endian, with ``masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8``
(tensorflow/tensorflow: tensorflow/python/lib/io/python_io.py, "TFRecords Format Details").
The messages used (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto):
``Event {double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5}``,
``Summary {repeated Value value = 1}``, ``Value {string tag = 1; float simple_value = 2}``. The
first record of a file names its version, ``brain.Event:2``, as TensorBoard's own writer does.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):  # the reflected Castagnoli polynomial 0x1EDC6F41
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data: bytes) -> bytes:
    """One TFRecord around ``data``."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # int64 as protobuf encodes it
    out = bytearray()
    while True:
        bits, value = value & 0x7F, value >> 7
        out.append(bits | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # a length-delimited field
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def event(wall_time: float, step: int, scalars: dict | None = None, version: str | None = None):
    """A serialized Event: a file version, or scalar summary values."""
    out = _varint(1 << 3 | 1) + struct.pack("<d", wall_time) + _varint(2 << 3) + _varint(step)
    if version is not None:
        out += _field(3, version.encode())
    if scalars:
        values = b"".join(
            _field(1, _field(1, tag.encode()) + _varint(2 << 3 | 5) + struct.pack("<f", value))
            for tag, value in scalars.items()
        )
        out += _field(5, values)
    return out


class EventWriter:
    """Scalars of one run into a new event file in ``folder`` (the file is flushed after each
    write, so TensorBoard shows a running job's progress)."""

    def __init__(self, folder: str | Path, suffix: str = ""):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}{suffix}"
        self.path = self.folder / name
        self._handle = open(self.path, "ab")  # noqa: SIM115 (closed by close())
        self._write(event(time.time(), 0, version="brain.Event:2"))

    def _write(self, data: bytes) -> None:
        self._handle.write(record(data))
        self._handle.flush()

    def scalars(self, step: int, values: dict[str, float]) -> None:
        values = {tag: float(v) for tag, v in values.items() if v is not None}
        if values:
            self._write(event(time.time(), step, values))

    def close(self) -> None:
        self._handle.close()
