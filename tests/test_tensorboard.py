"""TensorBoard event files: the record framing and messages against worked examples, a training
run's loss, learning rate, throughput and validation scores in them, and a config key that
turns them off without changing any cell's params."""

from __future__ import annotations

import struct

import yaml
from test_train import SETTINGS

from xstilts import grid, training
from xstilts.settings import Curve, Machine
from xstilts.training import events

from conftest import REPO


def test_crc32c_gives_the_published_check_values():
    # CRC-32C (Castagnoli) check value of "123456789": 0xE3069283 (the CRC catalogue's
    # CRC-32/ISCSI); 32 zero bytes: 0x8A9136AA (RFC 3720, appendix B.4)
    assert events.crc32c(b"123456789") == 0xE3069283
    assert events.crc32c(bytes(32)) == 0x8A9136AA


def test_a_scalar_event_is_encoded_as_protobuf_encodes_it():
    """Event{wall_time: 1.0, step: 3, summary {value {tag: "a", simple_value: 0.5}}}, encoded
    by hand from the protobuf wire format (tag byte = field << 3 | wire type)."""
    value = b"\x0a\x01a" + b"\x15" + bytes.fromhex("0000003f")  # tag "a"; float 0.5 LE
    summary = b"\x0a" + bytes([len(value)]) + value  # Summary.value = 1
    expected = (
        b"\x09"
        + bytes.fromhex("000000000000f03f")  # wall_time = 1, double 1.0 LE
        + b"\x10\x03"  # step = 2, varint 3
        + b"\x2a"
        + bytes([len(summary)])
        + summary  # summary = 5, length-delimited
    )
    assert events.event(1.0, 3, {"a": 0.5}) == expected
    assert events.event(0.0, 0, version="brain.Event:2").endswith(b"\x1a\x0dbrain.Event:2")


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not byte & 0x80:
            return value, i


def _fields(data: bytes) -> list[tuple[int, object]]:
    """(field number, value) of a protobuf message: varints, doubles, floats and bytes."""
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = struct.unpack("<d", data[i : i + 8])[0], i + 8
        elif wire == 5:
            value, i = struct.unpack("<f", data[i : i + 4])[0], i + 4
        else:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        out.append((number, value))
    return out


def read_scalars(path) -> list[tuple[int, str, float]]:
    """(step, tag, value) of every scalar in an event file, each record's CRCs checked."""
    data, i, out = path.read_bytes(), 0, []
    while i < len(data):
        header = data[i : i + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[i + 8 : i + 12])[0] == events.masked_crc32c(header)
        body = data[i + 12 : i + 12 + length]
        crc = data[i + 12 + length : i + 16 + length]
        assert struct.unpack("<I", crc)[0] == events.masked_crc32c(body)
        i += 16 + length
        fields = dict(_fields(body))
        for number, value in _fields(fields.get(5, b"")):
            assert number == 1
            parts = dict(_fields(value))
            out.append((fields.get(2, 0), parts[1].decode(), parts[2]))
    return out


def test_a_training_run_writes_its_curves(demo_model, demo_workdir, tmp_path):
    settings = SETTINGS | {"max_steps": 6, "learning_rate": 1e-3, "warmup_ratio": 0.5}
    training.train(
        encoder_dir=demo_model,
        features={"pawsx": demo_workdir / "features/pawsx"},
        settings=settings,
        seed=7,
        out_dir=tmp_path / "m",
        checkpoint_dir=tmp_path / "c",
        machine=Machine(log_seconds=0, tensorboard=str(tmp_path / "tb")),
        curve=Curve(every=3, languages=("de",), max_examples=20),
    )
    [path] = (tmp_path / "tb").glob("events.out.tfevents.*")
    scalars = read_scalars(path)
    by_tag: dict[str, dict[int, float]] = {}
    for step, tag, value in scalars:
        by_tag.setdefault(tag, {})[step] = value
    assert sorted(by_tag["train/loss"]) == [1, 2, 3, 4, 5, 6]
    # linear warm-up over 3 steps, then decay to 0 at step 6 (optim.linear_schedule):
    # after step 1 the rate is 1e-3 * 2/3, after step 6 it is 0
    lr = by_tag["train/learning_rate"]
    assert abs(lr[1] - 1e-3 * 2 / 3) < 1e-9 and lr[6] == 0.0
    assert all(v > 0 for v in by_tag["train/tokens_per_second"].values())
    assert sorted(by_tag["curve/de/score"]) == [0, 3, 6]
    summary = (tmp_path / "m/train_summary.json").read_text()
    import json

    accuracy = json.loads(summary)["validation"]["pawsx"]["accuracy"]
    assert abs(by_tag["validation/pawsx/accuracy"][6] - accuracy) < 1e-4  # float32


def test_the_tensorboard_key_changes_no_cell():
    config = yaml.safe_load((REPO / "config/quickstart.yaml").read_text())
    on, off = grid.validate(config), grid.validate(config | {"tensorboard": False})
    assert on["tensorboard"] is True and off["tensorboard"] is False
    a, b = grid.resolve(on), grid.resolve(off)
    for cell in (
        lambda g: grid.cells.intermediate_cell(g, "demo_tiny", "mnli", 1),
        lambda g: grid.cells.target_cell(g, "demo_tiny", "mnli", 1, "xnli"),
    ):
        assert grid.canonical(cell(a)) == grid.canonical(cell(b))
        assert "tensorboard" not in grid.canonical(cell(a))
