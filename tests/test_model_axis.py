"""The model axis end to end: config/demo_models.yaml's two demo models of different size, each
with English-only and multilingual MNLI, and the gap between them per model size."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from smk import run_shipped

pytestmark = pytest.mark.grids
MODELS = ["demo_tiny", "demo_small"]


@pytest.fixture(scope="module")
def finished_models(tmp_path_factory):
    work = tmp_path_factory.mktemp("model_axis")
    return work, run_shipped(work, "demo_models.yaml")[1]


def test_every_arm_runs_on_every_model_with_its_own_tokenizer(finished_models):
    work, jobs = finished_models
    trained = {(w["model"], w["arm"]) for rule, w in jobs if rule == "train_target"}
    assert trained == {(m, a) for m in MODELS for a in ("baseline", "mnli", "mnli_en_de_sw")}
    for model in MODELS:  # features are tokenized once per model, by that model's tokenizer
        log = (work / f"logs/prepare/{model}/by_language/mnli.de.log").read_text()
        assert "features from facebook/xnli/de/train" in log
        assert (work / f"results/features/{model}/xnli/test.sw").is_dir()
    sizes = {
        m: json.loads((work / f"resources/models/{m}/config.json").read_text())["hidden_size"]
        for m in MODELS
    }
    assert sizes == {"demo_tiny": 64, "demo_small": 128}


def test_the_gap_to_english_only_is_given_per_model_smallest_first(finished_models):
    work = finished_models[0]
    gaps = pd.read_csv(work / "results/summary/multilingual/gap_by_model.csv")
    # encoder parameters by hand from demo_models.yaml, hidden size h, intermediate size i:
    # embeddings (3000 words + 514 positions + 1 token type) x h + LayerNorm 2h; a layer:
    # 4 attention projections of h x h + h, two LayerNorms of 2h, and h x i + i, i x h + h
    #   tiny  (h 64, i 128, 4 layers): 225,088 + 4 x 33,472 = 358,976
    #   small (h 128, i 256, 6 layers): 450,176 + 6 x 132,480 = 1,245,056
    assert gaps.model.tolist() == MODELS
    assert gaps.parameters.tolist() == [358_976, 1_245_056]
    assert set(gaps.arm) == {"mnli_en_de_sw"} and set(gaps.english_arm) == {"mnli"}
    assert gaps[["gap", "gap_seen", "gap_unseen"]].notna().all().all()
    md = (work / "results/summary/multilingual/multilingual.md").read_text()
    assert (
        "| demo_tiny (0.36M): all / seen / unseen | demo_small (1.25M): all / seen / unseen |"
    ) in md
    # seen: en, de, sw of the 5 XNLI languages this config tests; unseen: ar, zh
    split = pd.read_csv(work / "results/summary/multilingual/gains_seen_unseen.csv")
    arm = split[split.arm == "mnli_en_de_sw"].set_index(["model", "seen"])
    for model in MODELS:
        assert arm.loc[(model, True), "languages"] == 3
        assert arm.loc[(model, False), "languages"] == 2
    # the main summary has a row per (model, arm); demo_models.yaml sets no benchmarks, so the
    # default, XTREME alone, reaches the aggregate rule
    assert set(pd.read_csv(work / "results/summary/benchmarks.csv").benchmark) == {"xtreme"}
    table = pd.read_csv(work / "results/summary/arm_target.csv")
    assert set(zip(table.model, table.arm, strict=True)) >= {
        (m, a) for m in MODELS for a in ("baseline", "mnli")
    }
