"""Sharded training (FSDP across the GPUs of one job), run here as two CPU processes (gloo):
each process trains on its share of every batch, the checkpoint holds the full state and resumes
exactly, and the saved model is the usual unsharded layout."""

from __future__ import annotations

import json

import pytest
import torch

from xstilts.errors import UserError
from xstilts.modeling import model as modeling
from xstilts.settings import Machine, Training
from xstilts.training import sharding

SETTINGS = Training.from_schema(learning_rate=1e-3, batch_size=8, max_steps=6, precision="fp32")


def test_each_process_takes_every_nth_row_of_a_batch(monkeypatch):
    rows = [5, 3, 8, 1, 9]
    monkeypatch.setattr(sharding, "world", lambda: (0, 2))
    assert sharding.share(rows) == [5, 8, 9]
    monkeypatch.setattr(sharding, "world", lambda: (1, 2))
    assert sharding.share(rows) == [3, 1]
    # a batch smaller than the number of processes (an epoch's last) lends its rows again
    monkeypatch.setattr(sharding, "world", lambda: (2, 3))
    assert sharding.share([7, 4]) == [7]
    monkeypatch.setattr(sharding, "world", lambda: (0, 1))
    assert sharding.share(rows) is rows


def _arguments(demo_model, demo_workdir, out, **extra):
    return dict(
        splits=["train"],
        encoder_dir=str(demo_model),
        features={"xnli": str(demo_workdir / "features/xnli")},
        settings=SETTINGS,
        seed=4,
        out_dir=str(out),
        checkpoint_dir=str(out) + ".ckpt",
        **extra,
    )


def test_sharded_training_saves_the_usual_model_and_resumes_exactly(
    demo_model, demo_workdir, tmp_path, capfd
):
    straight = tmp_path / "straight"
    sharding.launch(2, _arguments(demo_model, demo_workdir, straight), tmp_path / "a.json")
    assert "sharded across 2 processes" in capfd.readouterr().err
    summary = json.loads((straight / "train_summary.json").read_text())
    assert summary["steps"] == 6 and summary["validation"]["xnli"]["accuracy"] >= 0
    model, _ = modeling.load(straight)  # the plain layout: loads without any process group
    pretrained, _ = modeling.load_encoder(demo_model)
    word = "embeddings.word_embeddings.weight"
    assert not torch.equal(model.encoder.state_dict()[word], pretrained.state_dict()[word])
    # stopped at step 3 (a preemption), then resumed: the same weights as the straight run
    resumed = tmp_path / "resumed"
    stop = {"stop_at_step": 3, "machine": Machine(checkpoint_every_steps=2)}
    sharding.launch(2, _arguments(demo_model, demo_workdir, resumed, **stop), tmp_path / "b.json")
    assert (tmp_path / "resumed.ckpt/checkpoint.pt").exists() and not resumed.exists()
    sharding.launch(2, _arguments(demo_model, demo_workdir, resumed), tmp_path / "c.json")
    assert "resumed from" in capfd.readouterr().err
    other, _ = modeling.load(resumed)
    for (name, p), (_, q) in zip(
        model.state_dict().items(), other.state_dict().items(), strict=True
    ):
        assert torch.equal(p, q), name
    assert [p.name for p in (tmp_path / "resumed.ckpt").iterdir()] == ["finished"]


def test_a_batch_too_small_to_split_is_one_sentence(demo_model, demo_workdir, tmp_path, capfd):
    arguments = _arguments(demo_model, demo_workdir, tmp_path / "m")
    arguments["settings"] = SETTINGS | {"batch_size": 1}
    with pytest.raises(UserError, match="2 sharded training processes failed"):
        sharding.launch(2, arguments, tmp_path / "a.json")
    assert "a micro-batch of 1 cannot be split across 2 GPUs" in capfd.readouterr().err


def test_a_local_job_claims_as_many_gpus_as_it_asks_for(tmp_path):
    from xstilts.gpus import claim_gpus

    assert claim_gpus(3, tmp_path, 2) == [0, 1]
    with pytest.raises(UserError, match="asks for 4 GPUs .* this machine has 3"):
        claim_gpus(3, tmp_path / "other", 4)
