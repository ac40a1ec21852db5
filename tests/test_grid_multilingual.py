"""Multilingual intermediate data end to end: the quick-start grid extended with MNLI trained on
English, German and Swahili (XNLI's machine-translated MNLI; config key translated) and MNLI
with masked-LM text in five languages (config key mlm), on XNLI. Second tier: `pytest -m grids`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from smk import extend

pytestmark = pytest.mark.grids


@pytest.fixture(scope="module")
def grid(quickstart_base, tmp_path_factory):
    work = tmp_path_factory.mktemp("multilingual")
    changes = {
        "translated": {
            "mnli_en_de_sw": {"task": "mnli", "languages": ["en", "de", "sw"], "targets": ["xnli"]}
        },
        "mlm": {
            "mnli_mlm": {
                "task": "mnli",
                "languages": ["en", "de", "sw", "zh", "ar"],
                "ratio": 0.25,
                "targets": ["xnli"],
            }
        },
    }
    return work, *extend(quickstart_base, work, changes)


def test_adding_the_arms_runs_only_their_data_cells_and_summary(grid):
    _, _, jobs = grid
    rules = [r for r, _ in jobs]
    # MNLI in German and Swahili (XNLI's translated training sets); text in 5 languages
    assert rules.count("prepare_language") == 2 + 5
    assert sorted(w["arm"] for r, w in jobs if r == "train_intermediate") == [
        "mnli_en_de_sw",
        "mnli_mlm",
    ]
    assert {w["arm"] for r, w in jobs if r in ("train_target", "evaluate_target")} == {
        "mnli_en_de_sw",
        "mnli_mlm",
    }
    assert rules.count("multilingual_summary") == 1
    assert not {"prepare", "aggregate", "submission"} & set(rules)  # the main grid is done


def test_the_mlm_arm_mixed_text_batches_and_recorded_its_languages(grid):
    work = grid[0]
    summary = json.loads(
        (
            work / "results/intermediate/demo_tiny/mnli_mlm/seed1/model/train_summary.json"
        ).read_text()
    )
    assert summary["sampling_probabilities"] == {"mlm": 0.25, "mnli": 0.75}
    assert set(summary["validation"]) == {"mnli"}
    scores = json.loads(
        (work / "results/eval/demo_tiny/mnli_mlm/seed1/scores/xnli.json").read_text()
    )
    assert scores["cell"]["seen_languages"] == ["en", "ar", "de", "sw", "zh"]
    split = pd.read_csv(work / "results/summary/multilingual/gains_seen_unseen.csv")
    mlm = split[split.arm == "mnli_mlm"].set_index("seen")
    assert mlm.loc[True, "languages"] == 5 and mlm.loc[False, "languages"] == 10


def test_the_translated_arm_saw_its_languages_and_the_summary_splits_its_gains(grid):
    work = grid[0]
    split = pd.read_csv(work / "results/summary/multilingual/gains_seen_unseen.csv")
    arm = split[split.arm == "mnli_en_de_sw"].set_index(["target", "seen"])
    assert arm.loc[("xnli", True), "languages"] == 3 and arm.loc[("xnli", False), "languages"] == 12
    # the English-only arm is there to compare against, English its one seen language
    assert split[(split.arm == "mnli") & split.seen].languages.unique().tolist() == [1]
    scores = work / "results/eval/demo_tiny/mnli_en_de_sw/seed1/scores/xnli.json"
    assert json.loads(scores.read_text())["cell"]["seen_languages"] == ["en", "de", "sw"]
    log = (work / "logs/prepare/demo_tiny/by_language/mnli.de.log").read_text()
    assert "features from facebook/xnli/de/train" in log
    md = (work / "results/summary/multilingual/multilingual.md").read_text()
    assert "| demo_tiny | mnli_en_de_sw | en de sw | xnli |" in md
    gaps = pd.read_csv(work / "results/summary/multilingual/gap_by_model.csv")
    assert set(zip(gaps.model, gaps.arm, gaps.english_arm, gaps.target, strict=True)) == {
        ("demo_tiny", "mnli_en_de_sw", "mnli", "xnli"),
        ("demo_tiny", "mnli_mlm", "mnli", "xnli"),
    }
    assert gaps[["gap", "gap_seen", "gap_unseen"]].notna().all().all()
    # the model's size, by hand from quickstart.yaml's architecture: embeddings 3000 x 64
    # words + 514 x 64 positions (RoBERTa's 512 + 2) + 64 token type + 128 LayerNorm =
    # 225,088; per layer 4 x (64 x 64 + 64) attention + 128 LayerNorm + (64 x 128 + 128) +
    # (128 x 64 + 64) + 128 LayerNorm = 33,472, times 4 layers = 133,888; in all 358,976
    assert set(gaps.parameters) == {358_976}
    assert "demo_tiny (0.36M): all / seen / unseen" in md
