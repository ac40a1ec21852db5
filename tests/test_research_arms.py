"""Sequence arms and the intermediate-budget axis: how they expand into jobs, what each job
trains, and the analyses on hand-made results (task order, convergence)."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from test_aggregate import ci_grid

from xstilts import grid as xgrid
from xstilts import tasks
from xstilts.analyses import multilingual, sequences, training_length

from conftest import REPO, hub_config

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def _grid(**over) -> xgrid.Grid:
    config = hub_config(
        intermediate={
            "mnli": {"max_steps": 1000, "batch_size": 32, "learning_rate": 1e-5},
            "qqp": {"epochs": 2, "batch_size": 32, "learning_rate": 2e-5},
            "squad_v1": {"epochs": 2, "batch_size": 16, "learning_rate": 3e-5},
        },
        targets={
            "xnli": {"epochs": 2, "batch_size": 32, "languages": ["en", "de", "sw"]},
            "pawsx": {"epochs": 2, "batch_size": 32},
        },
        **over,
    )
    return xgrid.resolve(xgrid.validate(config, SCHEMA, check_local=False))


def test_permute_expands_every_order_and_sequences_share_their_first_stages():
    grid = _grid(
        sequences={
            "orders": [["mnli", "qqp", "squad_v1"]],
            "permute": [["mnli", "qqp"], ["qqp", "mnli"]],  # the same set twice: no repeats
            "targets": ["xnli"],
        }
    )
    assert grid.sequence_arms == ("mnli-qqp-squad_v1", "mnli-qqp", "qqp-mnli")
    assert grid.research_arms == grid.sequence_arms
    # mnli-qqp is both a tested arm and the first two stages of mnli-qqp-squad_v1: one job
    assert grid.intermediate_arms == (
        "mnli",
        "qqp",
        "squad_v1",
        "mnli-qqp",
        "mnli-qqp-squad_v1",
        "qqp-mnli",
    )
    assert xgrid.arms.parent_arm("mnli-qqp-squad_v1") == "mnli-qqp"
    assert xgrid.arms.parent_arm("mnli") is None
    assert xgrid.files.stage_encoder(grid, "x", "mnli-qqp-squad_v1", 3) == (
        "results/intermediate/x/mnli-qqp/seed3/model"
    )
    assert xgrid.files.stage_encoder(grid, "x", "mnli", 3) == "resources/models/x"
    cell = xgrid.cells.intermediate_cell(grid, "x", "qqp-mnli", 1)
    assert cell["tasks"] == ["mnli"] and cell["after"] == xgrid.cells.intermediate_cell(
        grid, "x", "qqp", 1
    )
    assert cell["training"] == xgrid.cells.intermediate_cell(grid, "x", "mnli", 1)["training"]
    assert "after" not in xgrid.cells.intermediate_cell(grid, "x", "mnli", 1)
    # tested on the sequence targets only, and kept out of the main grid's score files
    assert ("mnli-qqp", "xnli") in grid.target_cells
    assert ("mnli-qqp", "pawsx") not in grid.target_cells
    assert not any("mnli-qqp" in f for f in xgrid.files.scores_files(grid))


def test_order_pairs_are_orders_of_the_same_tasks():
    arms = ["mnli-qqp", "mnli-squad_v1", "qqp-mnli", "squad_v1-mnli", "mnli-qqp-squad_v1"]
    assert sequences.order_pairs(arms) == [
        ("mnli-qqp", "qqp-mnli"),
        ("mnli-squad_v1", "squad_v1-mnli"),
    ]
    assert sequences.reference_arms(["mnli-qqp", "qqp-mnli"], baseline=True) == [
        "baseline",
        "mnli",
        "qqp",
    ]


def test_budgets_become_arms_with_their_own_training_length():
    grid = _grid(
        training_length={
            "budgets": {"mnli": [0, 250, 1000], "qqp": ["0.5ep", "2ep", 0]},
            "targets": ["xnli"],
            "curve": {"every": 100, "max_examples": 50},
        }
    )
    axis = [(b["arm"], b["value"], b["unit"]) for b in grid.budget_axis]
    # 0 takes the unit of the task's other budgets, so the baseline point joins its line
    assert axis == [
        ("baseline@0", 0, "steps"),
        ("mnli@250", 250, "steps"),
        ("mnli@1000", 1000, "steps"),
        ("qqp@0.5ep", 0.5, "epochs"),
        ("qqp@2ep", 2, "epochs"),
        ("baseline@0", 0, "epochs"),
    ]
    assert grid.research_arms == ("baseline@0", "mnli@250", "mnli@1000", "qqp@0.5ep", "qqp@2ep")
    # 0 is the pretrained encoder, 1000 steps and 2 epochs the tasks' own arms' encoders: only
    # the other budgets train an intermediate model
    assert grid.intermediate_arms == ("mnli", "qqp", "squad_v1", "mnli@250", "qqp@0.5ep")
    assert xgrid.files.encoder_dir(grid, "x", "baseline@0", 1) == "resources/models/x"
    assert (
        xgrid.files.encoder_dir(grid, "x", "mnli@1000", 1)
        == "results/intermediate/x/mnli/seed1/model"
    )
    assert (
        xgrid.files.encoder_dir(grid, "x", "qqp@2ep", 1) == "results/intermediate/x/qqp/seed1/model"
    )
    assert xgrid.cells.intermediate_cell(grid, "x", "mnli@250", 1)["training"]["max_steps"] == 250
    half = xgrid.cells.intermediate_cell(grid, "x", "qqp@0.5ep", 1)["training"]
    assert (half["epochs"], half["max_steps"], half["learning_rate"]) == (0.5, 0, 2e-5)
    # every cell on the axis logs a curve on the training-length targets, in target jobs of
    # its own: no main-grid cell changes (the baseline's and mnli's stay as they were)
    curve = {"every": 100, "languages": list(tasks.get("xnli").languages), "max_examples": 50}
    for arm in ("baseline@0", "mnli@250", "mnli@1000", "qqp@0.5ep", "qqp@2ep"):
        assert xgrid.cells.target_cell(grid, "x", arm, 1, "xnli")["curve"] == curve
        assert (arm, "pawsx") not in grid.target_cells
    for arm in ("baseline", "mnli", "qqp"):
        assert "curve" not in xgrid.cells.target_cell(grid, "x", arm, 1, "xnli")
    assert xgrid.cells.target_cell(grid, "x", "mnli", 1, "xnli") == xgrid.cells.target_cell(
        _grid(), "x", "mnli", 1, "xnli"
    )


def test_a_budget_written_otherwise_than_the_setting_still_reuses_its_arm():
    grid = _grid(training_length={"budgets": {"qqp": ["2.0ep"]}, "targets": ["xnli"]})
    assert (
        xgrid.axes.encoder_arm(grid, "qqp@2.0ep") == "qqp"
        and grid.intermediate_arms == grid.trained_arms
    )
    grid = _grid(training_length={"budgets": {"qqp": [2000]}, "targets": ["xnli"]})
    assert (
        xgrid.axes.encoder_arm(grid, "qqp@2000") == "qqp@2000"
    )  # steps, where qqp trains 2 epochs


def test_a_later_stage_carries_the_settings_of_the_stages_before_it():
    """Editing the first task reruns the sequence by params alone (--rerun-triggers params)."""
    config = {"sequences": {"orders": [["mnli", "qqp"]], "targets": ["xnli"]}}
    grid = _grid(**config)
    before = xgrid.cells.intermediate_cell(grid, "x", "mnli-qqp", 1)
    changed = copy.deepcopy(grid.config)
    changed["intermediate"]["mnli"]["learning_rate"] = 5e-6
    edited = xgrid.resolve(changed)
    after = xgrid.cells.intermediate_cell(edited, "x", "mnli-qqp", 1)
    assert before["training"] == after["training"]  # QQP's own settings are unchanged
    assert before["after"]["training"]["learning_rate"] == 1e-5
    assert after["after"]["training"]["learning_rate"] == 5e-6


def test_without_xnli_the_budget_axis_needs_its_targets_named():
    config = hub_config(targets={"pawsx": {"epochs": 2, "batch_size": 32}})
    validated = xgrid.validate(config, SCHEMA, check_local=False)  # no axis: nothing to name
    assert validated["training_length"]["targets"] == []
    config["training_length"] = {"budgets": {"mnli": [100]}}
    with pytest.raises(xgrid.ConfigError, match="'training_length.targets'.*pawsx"):
        xgrid.validate(config, SCHEMA, check_local=False)
    config["training_length"]["targets"] = ["pawsx"]
    grid = xgrid.resolve(xgrid.validate(config, SCHEMA, check_local=False))
    assert xgrid.files.research_cells(grid, ["mnli@100"], ["pawsx"])[0]["target"] == "pawsx"


def test_a_grid_without_research_arms_keeps_its_cells():
    """Finished grids from before these axes existed must not rerun: no new keys in cells."""
    grid = _grid()
    assert grid.research_arms == () and grid.intermediate_arms == grid.trained_arms
    training = {
        "learning_rate": 1e-5,
        "batch_size": 32,
        "gradient_accumulation_steps": 1,
        "epochs": 3,
        "max_steps": 1000,
        "warmup_ratio": 0.1,
        "weight_decay": 0.01,
        "adam_epsilon": 1e-8,
        "max_grad_norm": 1.0,
    }
    assert xgrid.cells.intermediate_cell(grid, "x", "mnli", 1) == {
        "phase": "intermediate",
        "model": "x",
        "arm": "mnli",
        "seed": 1,
        "tasks": ["mnli"],
        "precision": "bf16",
        "training": training,
    }
    assert set(xgrid.cells.target_cell(grid, "x", "mnli", 1, "xnli")) == {
        "phase",
        "model",
        "arm",
        "seed",
        "target",
        "tasks",
        "precision",
        "training",
    }


# ---- convergence ------------------------------------------------------------------------------


def test_steps_to_95_percent_of_the_final_score():
    # final 80, 95 % of it 76: first reached at step 50 (78), not at 25 (60)
    assert training_length.steps_to_fraction([0, 25, 50, 75, 100], [33, 60, 78, 80, 80]) == 50
    # the points in any order; the final score is the last step's, even below the best
    assert training_length.steps_to_fraction([100, 0, 50], [70, 10, 72]) == 50
    assert training_length.steps_to_fraction([0, 10], [50, 40]) == 0  # 50 ≥ 0.95 × 40
    assert training_length.steps_to_fraction([], []) is None


def _curve(language, scores, steps=(0, 10, 20)):
    cell = {"model": "m", "task": "mnli", "arm": "mnli@50", "label": "mnli @ 50", "budget": "50"}
    cell |= {"value": 50.0, "unit": "steps", "seed": 1, "target": "xnli"}
    return [
        cell | {"language": language, "split": "test", "step": s, "score": v}
        for s, v in zip(steps, scores, strict=True)
    ]


def test_convergence_per_language_and_for_the_mean_of_the_others():
    curves = pd.DataFrame(
        _curve("en", [40, 78, 80]) + _curve("de", [30, 50, 60]) + _curve("fr", [34, 66, 70])
    )
    conv = training_length.convergence(curves).set_index("language")
    # English: 95 % of 80 is 76, reached at step 10
    assert conv.loc["en", ["final_step", "final_score", "steps_to_95"]].tolist() == [20, 80, 10]
    # the others' mean curve is 32, 58, 65: 95 % of 65 is 61.75, reached at step 20 only
    assert conv.loc["others", "final_score"] == pytest.approx(65)
    assert conv.loc["others", "steps_to_95"] == 20
    assert conv.loc["de", "steps_to_95"] == 20  # 95 % of 60 = 57 > 50


def test_the_analyses_draw_their_figures_with_and_without_results(tmp_path):
    """The figures each analysis draws itself (xstilts.analyses.<name>.figure)."""
    curves = pd.DataFrame(_curve("en", [40, 78, 80]) + _curve("de", [30, 50, 60]))
    budgets = pd.DataFrame(
        [
            {"model": "m", "task": "mnli", "value": v, "unit": "steps", "target": "xnli"}
            | {"test_score": s, "steps_to_95": n}
            for v, s, n in [(0, 50, 20), (50, 60, 10)]
        ]
    )
    training_length.figure(curves, budgets, "xnli", tmp_path / "curves.png")
    training_length.figure(curves.iloc[:0], budgets.iloc[:0], "xnli", tmp_path / "none.png")
    scores = pd.DataFrame(
        [
            {"model": "m", "arm": a, "target": "xnli", "score": v}
            for a, v in [("baseline", 50), ("mnli", 55), ("mnli-qqp", 57)]
        ]
    )
    sequences.figure(scores, ["mnli-qqp"], tmp_path / "orders.png")
    sequences.figure(scores.iloc[:0], [], tmp_path / "no_orders.png")
    for name in ("curves", "none", "orders", "no_orders"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0


# ---- task order ------------------------------------------------------------------------------


def test_two_orders_compared_with_a_paired_bootstrap(tmp_path):
    # 1,000 XNLI examples; MNLI→QQP is right on all, QQP→MNLI wrong on 10: first − second is
    # 1.0 point, and (as for the gains) the paired interval is about [0.4, 1.65]
    base = [1] * 900 + [0] * 100
    cells_in = {
        ("baseline", 1, "xnli"): base,
        ("mnli", 1, "xnli"): [1] * 995 + [0] * 5,
        ("qqp", 1, "xnli"): base,
        ("mnli-qqp", 1, "xnli"): [1] * 1000,
        ("qqp-mnli", 1, "xnli"): [1] * 990 + [0] * 10,
    }
    scores, examples = ci_grid(tmp_path / "cells", cells_in)
    cells = [
        {"model": "m", "arm": arm, "seed": seed, "target": t, "scores": str(s), "examples": str(e)}
        for ((arm, seed, t), s, e) in zip(cells_in, scores, examples, strict=True)
    ]
    pairs = sequences.compare_orders(cells, [("mnli-qqp", "qqp-mnli")])
    row = pairs[pairs.target == "xnli"].iloc[0]
    assert (row["first"], row["second"]) == ("mnli-qqp", "qqp-mnli")
    assert row["difference"] == pytest.approx(1.0)
    assert 0.3 <= row["ci_low"] <= 0.5 and 1.5 <= row["ci_high"] <= 1.8
    assert bool(row["significant"])
    out = {k: str(tmp_path / "out" / v) for k, v in sequences.FILES.items()}
    spec = {"arms": ["mnli-qqp", "qqp-mnli"], "cells": cells, "pairs": [["mnli-qqp", "qqp-mnli"]]}
    sequences.summarize({}, json.loads(json.dumps(spec)), out)
    table = pd.read_csv(out["scores_csv"]).set_index("arm")
    # gains over the baseline's 90.0: 10.0, 9.0; mnli alone 9.5
    assert table.loc[["mnli-qqp", "qqp-mnli", "mnli"], "gain"].tolist() == pytest.approx(
        [10.0, 9.0, 9.5]
    )
    assert table.loc["qqp-mnli", "stages"] == 2 and table.loc["baseline", "stages"] == 0
    assert "| m | mnli-qqp | qqp-mnli | xnli | +1.0 [+0." in open(out["pairs_md"]).read()
    assert open(out["figure"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


# ---- translated intermediate data ------------------------------------------------------------


def test_a_translated_arm_trains_on_its_languages_and_records_them():
    grid = _grid(
        translated={
            "mnli_mt": {"task": "mnli", "languages": ["sw", "de", "en"], "targets": ["xnli"]}
        }
    )
    assert grid.research_arms == ("mnli_mt",) and "mnli_mt" in grid.intermediate_arms
    assert xgrid.axes.research_targets(grid, "mnli_mt") == ["xnli"]
    assert ("mnli_mt", "xnli") in grid.target_cells
    assert ("mnli_mt", "pawsx") not in grid.target_cells
    # English first, then XNLI's order; the settings are MNLI's own
    cell = xgrid.cells.intermediate_cell(grid, "x", "mnli_mt", 1)
    assert cell["languages"] == ["en", "de", "sw"] and cell["tasks"] == ["mnli"]
    assert cell["training"] == xgrid.cells.intermediate_cell(grid, "x", "mnli", 1)["training"]
    assert xgrid.files.language_dirs(grid, "x", "mnli_mt") == [
        "results/features/x/by_language/mnli.de",
        "results/features/x/by_language/mnli.sw",
    ]
    assert xgrid.files.language_dirs(grid, "x", "mnli") == []
    # the prepared translations read XNLI's training split in each language
    assert xgrid.cells.prepare_params(grid, "x", "mnli", "de") == {
        "task": "mnli",
        "max_seq_length": 256,
        "data": "hub",
        "language": "de",
    }
    assert "resources/datasets/facebook/xnli/sw/train.parquet" in xgrid.files.resource_files(grid)
    assert xgrid.cells.evaluation_cell(grid, "x", "mnli_mt", 1, "xnli")["seen_languages"] == [
        "en",
        "de",
        "sw",
    ]
    assert "seen_languages" not in xgrid.cells.evaluation_cell(grid, "x", "mnli", 1, "xnli")
    assert (
        xgrid.axes.seen_languages(grid, "mnli") == ["en"]
        and xgrid.axes.seen_languages(grid, "baseline") == []
    )


def test_translate_train_without_english():
    grid = _grid(translated={"mnli_de": {"task": "mnli", "languages": ["de"]}})
    assert xgrid.cells.intermediate_cell(grid, "x", "mnli_de", 1)["languages"] == ["de"]
    assert xgrid.axes.research_targets(grid, "mnli_de") == [
        "xnli",
        "pawsx",
    ]  # default: every target
    assert tasks.get("mnli").language_source("de").key == "facebook/xnli/de/train"
    with pytest.raises(KeyError, match="mnli has no training data by language in 'en'"):
        tasks.get("mnli").language_source("en")


def test_seen_language_bookkeeping_reaches_the_summary(tmp_path):
    from test_aggregate import acc, write_score

    def score(arm, per_lang, seen=None):
        path = write_score(tmp_path / "scores", "m", arm, 1, "xnli", per_lang, list(per_lang))
        if seen is not None:  # what evaluation records for a translated arm
            doc = json.loads(path.read_text())
            doc["cell"]["seen_languages"] = seen
            path.write_text(json.dumps(doc))
        return path

    # gains over the baseline (en 80, de 60, sw 50, zh 55):
    #   mnli (English only)     en +4, de +2, sw +0, zh +1 -> seen (en) +4; unseen (2+0+1)/3 = +1
    #   mnli_mt (en, de, sw)    en +3, de +8, sw +10, zh +1 -> seen (3+8+10)/3 = +7; unseen +1
    paths = [
        score("baseline", acc(en=80, de=60, sw=50, zh=55)),
        score("mnli", acc(en=84, de=62, sw=50, zh=56)),
        score("mnli_mt", acc(en=83, de=68, sw=60, zh=56), seen=["en", "de", "sw"]),
    ]
    cells = [
        {"model": "m", "arm": a, "seed": 1, "target": "xnli", "scores": str(p)}
        for a, p in zip(["baseline", "mnli", "mnli_mt"], paths, strict=True)
    ]
    out = {k: str(tmp_path / "out" / v) for k, v in multilingual.FILES.items()}
    multilingual.summarize({}, {"cells": cells}, out)
    split = pd.read_csv(out["seen_csv"]).set_index(["arm", "seen"])
    assert split.loc[("mnli_mt", True), "gain"] == pytest.approx(7.0)
    assert split.loc[("mnli_mt", True), "languages"] == 3
    assert split.loc[("mnli_mt", False), "gain"] == pytest.approx(1.0)
    assert split.loc[("mnli", True), "gain"] == pytest.approx(4.0)
    assert split.loc[("mnli", False), "gain"] == pytest.approx(1.0)
    md = open(out["table_md"]).read()
    assert "| m | mnli_mt | xnli | +7.0 (3 langs) | +1.0 (1 langs) |" in md
    # mean accuracy: baseline 61.25, mnli_mt 66.75 -> +5.5
    assert "| m | mnli_mt | en de sw | xnli | 66.8 | +5.5 |" in md


def test_the_gap_to_english_only_by_model_size(tmp_path):
    from test_aggregate import acc, write_score

    def score(model, arm, per_lang, seen=None):
        path = write_score(tmp_path / "s", model, arm, 1, "xnli", per_lang, list(per_lang))
        if seen is not None:
            doc = json.loads(path.read_text())
            doc["cell"]["seen_languages"] = seen
            path.write_text(json.dumps(doc))
        return {"model": model, "arm": arm, "seed": 1, "target": "xnli", "scores": str(path)}

    # mnli_de trained on German (translate-train) against mnli (English), per model:
    #   small: mnli en 80 de 60 zh 50, mnli_de en 76 de 70 zh 52
    #          gap (mean score) (76+70+52)/3 - (80+60+50)/3 = 66 - 63.33 = +2.67;
    #          seen (de) 70 - 60 = +10; unseen (en, zh) ((76-80) + (52-50)) / 2 = -1
    #   large: mnli en 90 de 80 zh 70, mnli_de en 89 de 82 zh 70
    #          gap (89+82+70)/3 - 80 = +0.33; seen +2; unseen (-1 + 0) / 2 = -0.5
    cells = [  # the large model first: the table goes by size
        score("large", "baseline", acc(en=85, de=75, zh=65)),
        score("large", "mnli", acc(en=90, de=80, zh=70)),
        score("large", "mnli_de", acc(en=89, de=82, zh=70), seen=["de"]),
        score("small", "baseline", acc(en=70, de=50, zh=40)),
        score("small", "mnli", acc(en=80, de=60, zh=50)),
        score("small", "mnli_de", acc(en=76, de=70, zh=52), seen=["de"]),
    ]
    # model sizes from the safetensors headers: small 10 x 4 embeddings + a 4 x 4 layer = 56
    # (its masked-LM head's 10 biases not counted); large two shards of 3,000,000 + 4,000
    dirs = {
        "small": _checkpoint(
            tmp_path / "small",
            {
                "embeddings.word_embeddings.weight": [10, 4],
                "encoder.layer.0.w": [4, 4],
                "lm_head.bias": [10],
            },
        ),
        "large": _checkpoint(
            tmp_path / "large",
            {"roberta.embeddings.x": [3000, 1000]},
            {"roberta.encoder.y": [4, 1000], "roberta.pooler.dense.w": [2, 2]},
        ),
    }
    assert multilingual.encoder_parameters(dirs["small"]) == 56
    assert multilingual.encoder_parameters(tmp_path) is None  # no safetensors there
    out = {k: str(tmp_path / "out" / v) for k, v in multilingual.FILES.items()}
    spec = {"cells": cells, "english": {"mnli_de": "mnli"}, "model_dirs": dirs}
    multilingual.summarize({}, spec, out)
    gaps = pd.read_csv(out["gap_csv"])
    assert gaps.model.tolist() == ["small", "large"]
    assert gaps.parameters.tolist() == [56, 3_004_000]
    gaps = gaps.set_index("model")
    assert gaps.loc["small", ["gap", "gap_seen", "gap_unseen"]].tolist() == pytest.approx(
        [198 / 3 - 190 / 3, 10.0, -1.0]
    )
    assert gaps.loc["large", ["gap", "gap_seen", "gap_unseen"]].tolist() == pytest.approx(
        [241 / 3 - 80, 2.0, -0.5]
    )
    assert set(gaps.english_arm) == {"mnli"} and set(gaps.arm) == {"mnli_de"}
    md = open(out["table_md"]).read()
    assert "| small (0.00M): all / seen / unseen | large (3.00M): all / seen / unseen |" in md
    assert "| mnli_de | mnli | xnli | +2.7 / +10.0 / -1.0 | +0.3 / +2.0 / -0.5 |" in md
    # the English arm's own seen language is English: +10 on en for small, +5 for large
    split = pd.read_csv(out["seen_csv"]).set_index(["model", "arm", "seen"])
    assert split.loc[("small", "mnli", True), "gain"] == pytest.approx(10.0)
    assert split.loc[("large", "mnli", True), "gain"] == pytest.approx(5.0)


# ---- the model axis -------------------------------------------------------------------------


def _checkpoint(directory, *shards: dict[str, list[int]]) -> str:
    """A model directory with one safetensors file per shard (float32 zeros of these shapes)."""
    import math
    import struct

    directory.mkdir(parents=True)
    for k, shapes in enumerate(shards):
        header, offset = {}, 0
        for name, shape in shapes.items():
            size = 4 * math.prod(shape)
            header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
            offset += size
        blob = json.dumps(header).encode()
        path = directory / f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        path.write_bytes(struct.pack("<Q", len(blob)) + blob + bytes(offset))
    return str(directory)


def test_a_translated_squad_arm_runs_on_the_demos_translate_train_files(tmp_path):
    """The demo writes its own XTREME translate-train files, imports them like a user's, and
    prepares each language for the arm (a dry run of the workflow)."""
    import yaml

    from smk import job_set, run

    config = {
        "data": {"source": "demo", "demo_scale": 100},
        "models": yaml.safe_load((REPO / "config/demo.yaml").read_text())["models"],
        "intermediate": {"squad_v1": {"max_steps": 10, "batch_size": 16, "learning_rate": 1e-3}},
        "multitask": {"enabled": False},
        "targets": {"xquad": {"max_steps": 10, "batch_size": 16, "languages": ["en", "de"]}},
        "retrieval": {},
        "translated": {"squad_en_de_hi": {"task": "squad_v1", "languages": ["en", "de", "hi"]}},
    }
    (tmp_path / "squad.yaml").write_text(yaml.safe_dump(config))
    jobs = job_set(run(tmp_path, tmp_path / "squad.yaml", dryrun=True))
    local = (("name", "squad_translate_train"), ("root", "resources/demo/datasets"))
    assert {
        ("build_demo_local", (("name", "squad_translate_train"),)),
        ("import_local_dataset", (*local, ("split", "train"), ("subset", "en-de"))),
        ("import_local_dataset", (*local, ("split", "train"), ("subset", "en-hi"))),
        ("prepare_language", (("lang", "de"), ("model", "demo_tiny"), ("task", "squad_v1"))),
        ("prepare_language", (("lang", "hi"), ("model", "demo_tiny"), ("task", "squad_v1"))),
        ("train_intermediate", (("arm", "squad_en_de_hi"), ("model", "demo_tiny"), ("seed", "1"))),
        ("multilingual_summary", ()),
    } <= jobs
