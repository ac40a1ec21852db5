"""One job per distinct training: targets whose fine-tuning is the same (XQuAD and MLQA both
train on SQuAD 1.1 and select on its dev set) share one ``train_target`` job, and each is
evaluated from it."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from xstilts import grid
from xstilts.errors import UserError
from xstilts.modeling import model as modeling

from conftest import REPO, hub_config
from smk import run

PAPER_TARGETS = "xnli pawsx udpos panx xquad mlqa tydiqa".split()


def _paper(local_dirs) -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["data"]["local"] |= local_dirs
    return config


def test_the_paper_grid_trains_66_target_models(local_dirs, tmp_path):
    # 11 arms (baseline, 9 tasks, multitask) x 7 targets = 77 target cells; XQuAD and MLQA
    # fine-tune on the same SQuAD 1.1 data with the same settings: 11 x 6 = 66 trainings
    (tmp_path / "paper.yaml").write_text(yaml.safe_dump(_paper(local_dirs)))
    jobs = run(tmp_path, tmp_path / "paper.yaml", dryrun=True)
    trained = [wc for rule, wc in jobs if rule == "train_target"]
    evaluated = [wc for rule, wc in jobs if rule == "evaluate_target"]
    assert len(evaluated) == 77
    assert len(trained) == 66
    assert {wc["target"] for wc in trained} == set(PAPER_TARGETS) - {"mlqa"}


def test_xquad_and_mlqa_share_one_model_unless_their_settings_differ(local_dirs):
    g = grid.resolve(grid.validate(_paper(local_dirs), check_local=False))
    xquad = grid.files.target_model_dir(g, "xlmr_large", "mnli", 1, "xquad")
    assert grid.files.target_model_dir(g, "xlmr_large", "mnli", 1, "mlqa") == xquad
    assert xquad == "results/target/xlmr_large/mnli/seed1/xquad/model"
    # every other target keeps its own model, named by its own path as before
    for target in ("xnli", "pawsx", "udpos", "panx", "tydiqa"):
        own = f"results/target/xlmr_large/mnli/seed1/{target}/model"
        assert grid.files.target_model_dir(g, "xlmr_large", "mnli", 1, target) == own

    # a different learning rate for MLQA: two trainings again
    config = _paper(local_dirs)
    config["targets"]["mlqa"]["learning_rate"] = 3.0e-5
    g = grid.resolve(grid.validate(config, check_local=False))
    mlqa = grid.files.target_model_dir(g, "xlmr_large", "mnli", 1, "mlqa")
    assert mlqa == "results/target/xlmr_large/mnli/seed1/mlqa/model"


def test_a_grid_with_mlqa_alone_keeps_its_paths():
    # the quick start tests MLQA without XQuAD: its model is where it always was
    config = hub_config(
        targets={"mlqa": {"epochs": 2, "batch_size": 16, "languages": ["en", "de"]}}
    )
    g = grid.resolve(grid.validate(config, check_local=False))
    assert grid.files.target_model_dir(g, "xlmr_large", "mnli", 1, "mlqa") == (
        "results/target/xlmr_large/mnli/seed1/mlqa/model"
    )


def test_a_model_trained_as_xquad_predicts_mlqa_with_the_same_head(demo_model, tmp_path):
    encoder, tokenizer = modeling.load_encoder(demo_model)
    trained = modeling.MultiTaskModel(encoder, ["xquad"])
    modeling.save(trained, tokenizer, tmp_path / "model")
    (tmp_path / "model" / "train_summary.json").write_text(
        json.dumps({"validation": {"xquad": {"exact_match": 50.0, "f1": 60.0}}})
    )

    model, _ = modeling.load(tmp_path / "model", "cpu", "mlqa")
    assert model.heads["mlqa"] is model.heads["xquad"]
    weights = trained.heads["xquad"].state_dict()
    for name, value in model.heads["mlqa"].state_dict().items():
        assert torch.equal(value, weights[name])

    # XNLI does not train as XQuAD: no head to borrow, one sentence
    with pytest.raises(UserError, match="trained for xquad, not xnli"):
        modeling.load(tmp_path / "model", "cpu", "xnli")

    # MLQA's validation score (the choice of arms) is read from XQuAD's training summary
    from xstilts.summary.submission import validation_score

    doc = json.loads((tmp_path / "model" / "train_summary.json").read_text())
    assert validation_score("mlqa", doc) == pytest.approx((50.0 + 60.0) / 2)
