"""Nothing lost: an unreadable checkpoint is set aside, Ctrl-C checkpoints as SIGTERM does, a
full disk is one sentence, and a run that finished but whose outputs Snakemake deleted (an
orphaned job after a killed Snakemake) is linked back instead of trained again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from test_train import SETTINGS, _assert_same_weights

from xstilts import training
from xstilts.errors import UserError
from xstilts.settings import Machine
from xstilts.training import finished


def _pawsx(demo_model, demo_workdir, **over):
    return (
        dict(
            encoder_dir=demo_model,
            features={"pawsx": demo_workdir / "features/pawsx"},
            settings=SETTINGS | {"max_steps": 6},
            seed=7,
        )
        | over
    )


def test_an_unreadable_checkpoint_is_set_aside_and_training_starts_over(
    demo_model, demo_workdir, tmp_path, caplog
):
    kwargs = _pawsx(demo_model, demo_workdir)
    training.train(out_dir=tmp_path / "straight", checkpoint_dir=tmp_path / "c1", **kwargs)
    ckpt = tmp_path / "c2"
    stopped = training.train(
        out_dir=tmp_path / "b",
        checkpoint_dir=ckpt,
        machine=Machine(checkpoint_every_steps=3),
        stop_at_step=3,
        **kwargs,
    )
    assert stopped is None
    # a kill during a write that was not atomic, or a full disk: the file ends half-way
    data = (ckpt / "checkpoint.pt").read_bytes()
    (ckpt / "checkpoint.pt").write_bytes(data[: len(data) // 2])
    with caplog.at_level("INFO", logger="xstilts"):
        summary = training.train(out_dir=tmp_path / "b", checkpoint_dir=ckpt, **kwargs)
    assert "cannot be read" in caplog.text
    assert str(ckpt / "checkpoint.unreadable-1.pt") in caplog.text
    assert "resumed from" not in caplog.text
    assert summary["steps"] == 6
    _assert_same_weights(tmp_path / "straight", tmp_path / "b")  # trained from the start


def test_a_full_disk_is_one_sentence_and_keeps_the_last_checkpoint(
    demo_model, demo_workdir, tmp_path
):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full (a device whose writes fail with ENOSPC)")
    kwargs = _pawsx(demo_model, demo_workdir, machine=Machine(checkpoint_every_steps=2))
    ckpt = tmp_path / "c"
    training.train(out_dir=tmp_path / "m", checkpoint_dir=ckpt, stop_at_step=2, **kwargs)
    # the next checkpoint's write goes to /dev/full, which fails as a full disk does (ENOSPC)
    (ckpt / "checkpoint.pt.tmp").symlink_to("/dev/full")
    with pytest.raises(UserError) as err:
        training.train(out_dir=tmp_path / "m", checkpoint_dir=ckpt, stop_at_step=4, **kwargs)
    message = str(err.value)
    assert f"no space left on the disk holding {ckpt}" in message
    assert "free space there" in message and "\n" not in message
    assert f"the checkpoint {ckpt / 'checkpoint.pt'} is kept" in message
    assert not (ckpt / "checkpoint.pt.tmp").exists()  # the failed write is gone
    assert torch.load(ckpt / "checkpoint.pt", weights_only=False)["step"] == 2


JOB = """
import json, sys, types
from xstilts.job import run
a = json.loads(sys.argv[1])
smk = types.SimpleNamespace(log=[a["log"]], threads=1, resources=types.SimpleNamespace(),
                            params=types.SimpleNamespace(), input={}, output={})
def main(cell, inputs, outputs):
    from xstilts import training
    from xstilts.settings import Machine, Training
    training.train(encoder_dir=a["encoder"], features={"pawsx": a["features"]},
                   settings=Training.from_params(a["settings"]), seed=3, out_dir=a["out"],
                   checkpoint_dir=a["ckpt"], machine=Machine(log_seconds=0))
run(smk, "__main__:main")
"""


def test_ctrl_c_checkpoints_and_exits_with_one_line(demo_model, demo_workdir, tmp_path):
    """SIGINT mid-run, as Ctrl-C in the terminal: a checkpoint, exit status 130 (128 + 2), one
    line on stderr and no traceback; the rerun resumes from the checkpoint."""
    script = tmp_path / "job.py"
    script.write_text(JOB)
    log = tmp_path / "train.log"
    args = {
        "encoder": str(demo_model),
        "features": str(demo_workdir / "features/pawsx"),
        "settings": (SETTINGS | {"max_steps": 60}).params(),
        "out": str(tmp_path / "model"),
        "ckpt": str(tmp_path / "ckpt"),
        "log": str(log),
    }
    command = [sys.executable, str(script), json.dumps(args)]
    job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while job.poll() is None and " step 3/" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.05)  # wait until training is under way
    job.send_signal(signal.SIGINT)
    out, err = job.communicate(timeout=300)
    assert job.returncode == 128 + signal.SIGINT, err + log.read_text()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xstilts: SIGINT at step "), err
    assert f"checkpoint written to {tmp_path / 'ckpt'}" in lines[0]
    assert "Traceback" not in err + log.read_text()
    step = torch.load(tmp_path / "ckpt/checkpoint.pt", weights_only=False)["step"]
    assert 3 <= step < 60
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr + log.read_text()
    assert f"resumed from {tmp_path / 'ckpt/checkpoint.pt'} at step {step}/60" in log.read_text()


def test_a_finished_run_whose_output_was_deleted_is_linked_back(
    demo_model, demo_workdir, tmp_path, caplog
):
    """Snakemake, killed while the job ran, marks the job incomplete and deletes its output
    before running it again: the job finds its finished state and ends at once."""
    kwargs = _pawsx(demo_model, demo_workdir)
    out, ckpt = tmp_path / "model", tmp_path / "ckpt"
    first = training.train(out_dir=out, checkpoint_dir=ckpt, **kwargs)
    weights = out / "model.safetensors"
    assert weights.stat().st_ino == (ckpt / "finished/model.safetensors").stat().st_ino
    shutil.copytree(out, tmp_path / "reference")
    shutil.rmtree(out)  # what Snakemake does to an incomplete job's output
    with caplog.at_level("INFO", logger="xstilts"):
        again = training.train(out_dir=out, checkpoint_dir=ckpt, **kwargs)
    assert "not trained again" in caplog.text and "training pawsx" not in caplog.text
    assert again == first
    _assert_same_weights(tmp_path / "reference", out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in (tmp_path / "reference").iterdir()
    )
    # the finished state of other settings is not this run's: trained anew
    caplog.clear()
    shutil.rmtree(out)
    other = kwargs | {"settings": kwargs["settings"] | {"learning_rate": 1e-4}}
    with caplog.at_level("INFO", logger="xstilts"):
        training.train(out_dir=out, checkpoint_dir=ckpt, **other)
    assert "belongs to other settings" in caplog.text and "training pawsx" in caplog.text


def _snakemake_record_path(folder: Path, key: str) -> Path:
    """Snakemake's own encoding of a record's path (persistence/file.py), the reference."""
    from snakemake.persistence.file import FilePersistence

    persistence = object.__new__(FilePersistence)
    persistence._max_len = None
    return Path(FilePersistence._record_path(persistence, str(folder), key))


@pytest.mark.parametrize("key", ["results/target/m/a/seed1/xnli", "results/" + "x" * 400])
def test_snakemake_records_are_found_where_snakemake_writes_them(tmp_path, key):
    assert finished._persistence_path(tmp_path, key) == _snakemake_record_path(tmp_path, key)


def test_the_finished_state_goes_once_snakemake_accepted_the_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = "results/target/m/a/seed1/xnli"
    ckpt = Path("results/checkpoints/target/m/a/seed1/xnli")
    staging = ckpt / "finished.tmp"
    staging.mkdir(parents=True)
    (staging / "train_summary.json").write_text(json.dumps({"fingerprint": "f"}))
    (ckpt / "checkpoint.pt").write_text("old")
    finished.keep(staging, ckpt, Path(output))
    assert sorted(p.name for p in ckpt.iterdir()) == ["finished"]
    assert json.loads(Path(output, "train_summary.json").read_text()) == {"fingerprint": "f"}
    meta, incomplete = Path(".snakemake/metadata"), Path(".snakemake/incomplete")
    meta.mkdir(parents=True)
    incomplete.mkdir()
    marker = _snakemake_record_path(incomplete, output)
    marker.write_text("{}")  # the job runs (or ran while Snakemake was killed)
    record = _snakemake_record_path(meta, output)
    record.write_text("{}")  # an earlier run's record
    assert finished.sweep() == [] and ckpt.exists()
    marker.unlink()  # Snakemake recorded the job's success
    assert finished.sweep() == [Path("results/checkpoints/target/m/a/seed1/xnli")]
    assert not ckpt.exists() and Path(output, "train_summary.json").exists()
    assert [p.name for p in Path("results/checkpoints").iterdir()] == []  # no empty folders
