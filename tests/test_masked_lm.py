"""MLM co-training: masking as BERT and XLM-R mask, the masked-LM head learns the text, the
mixing ratio holds, and an mlm arm expands into its jobs and its cost."""

from __future__ import annotations

import json

import datasets
import pytest
import torch
from test_train import SETTINGS

from xstilts import cost, features, tasks, training
from xstilts import grid as xgrid
from xstilts.modeling import model as modeling
from xstilts.tasks import heads
from xstilts.tasks.build import build_demo_split
from xstilts.training import batches

from conftest import REPO, chdir, hub_config

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def test_masking_chooses_15_percent_of_the_inner_tokens_and_masks_80_10_10():
    ids = torch.randint(10, 1000, (64, 128))
    attention = torch.ones_like(ids)
    attention[:, 100:] = 0  # padding after 100 tokens
    generator = torch.Generator().manual_seed(0)
    chosen, inputs, targets = heads.mask_tokens(ids, attention, 3, 1000, generator)
    # never <s> (position 0), </s> (position 99, the last real token) or padding
    assert not chosen[:, 0].any() and not chosen[:, 99:].any()
    inner = 64 * 98
    assert 0.14 < chosen.sum().item() / inner < 0.16  # 15 % of 6,272 tokens: ±7 s.d.
    masked = (inputs[chosen] == 3).float().mean().item()
    kept = (inputs[chosen] == ids[chosen]).float().mean().item()
    assert 0.76 < masked < 0.84 and 0.07 < kept < 0.13  # 80 % <mask>, 10 % unchanged (+ luck)
    assert torch.equal(targets, ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])  # nothing else changes
    # a batch of lines too short to draw from still predicts one token
    short = torch.tensor([[0, 7, 2, 1]])
    chosen, _, targets = heads.mask_tokens(short, (short != 1).long(), 3, 1000)
    assert chosen.sum() == 1 and targets.tolist() == [7]


def test_fixed_probabilities_take_their_share_and_the_rest_goes_by_size():
    # mlm fixed at 0.25; mnli and qqp share 0.75 as 300:100 -> 0.5625 and 0.1875
    probs = batches.sampling_probabilities({"mnli": 300, "qqp": 100, "mlm": 5}, None, {"mlm": 0.25})
    assert probs == pytest.approx({"mnli": 0.5625, "qqp": 0.1875, "mlm": 0.25})


@pytest.fixture(scope="module")
def mlm_text(demo_model, tmp_path_factory):
    """Demo text in German and Swahili, prepared for the demo model."""
    work = tmp_path_factory.mktemp("mlm")
    dirs = []
    with chdir(work):
        for lang in ("de", "sw"):
            src = tasks.get("mlm").language_source(lang)
            build_demo_split(src.key, src.path("demo"), scale=100)
            out = work / f"by_language/mlm.{lang}"
            features.prepare("mlm", demo_model, "demo", 64, out, language=lang)
            dirs.append(out)
    return dirs


def test_the_masked_lm_head_learns_the_text(demo_model, mlm_text, tmp_path):
    """The loss on the same masked tokens drops after training on the text alone."""
    task = tasks.get("mlm")
    feats = datasets.load_from_disk(str(mlm_text[0] / "train"))
    assert feats[0]["mask_id"] == 4  # the demo tokenizer's <mask>, after <s> <pad> </s> <unk>
    encoder, tokenizer = modeling.load_encoder(demo_model)
    rows = feats.select(range(64))[:]
    batch = task.collate({k: rows[k] for k in ("input_ids", "mask_id")}, tokenizer.pad_token_id)

    def held_out_loss(model) -> float:
        torch.manual_seed(7)  # the same chosen tokens every time
        model.eval()
        with torch.no_grad():
            b = dict(batch)
            return task.loss(model("mlm", b), b).item()

    model = modeling.MultiTaskModel(encoder, ["mlm"])
    before = held_out_loss(model)
    training.train(
        encoder_dir=demo_model,
        features={},
        train_sets={"mlm": mlm_text},
        settings=SETTINGS | {"max_steps": 100},
        seed=1,
        out_dir=tmp_path / "m",
        checkpoint_dir=tmp_path / "c",
    )
    after = held_out_loss(modeling.load(tmp_path / "m")[0])
    # untrained: about ln(3000) = 8.0 (uniform over the demo vocabulary); 100 steps: about 5.5
    assert before > 7.0 and after < before - 2.0


def test_an_mlm_arm_mixes_its_ratio_of_text_batches(demo_model, demo_workdir, mlm_text, tmp_path):
    s = training.train(
        encoder_dir=demo_model,
        features={"mnli": demo_workdir / "features/mnli"},
        train_sets={"mlm": mlm_text},
        settings=SETTINGS | {"max_steps": 0, "epochs": 1, "fixed_probabilities": {"mlm": 0.25}},
        seed=1,
        out_dir=tmp_path / "m",
        checkpoint_dir=tmp_path / "c",
    )
    assert s["sampling_probabilities"] == {"mlm": 0.25, "mnli": 0.75}
    # one epoch of MNLI's 2,000 demo pairs is 63 batches of 32; they are 75 % of the steps
    assert s["steps"] == -(-63 // 0.75) == 84
    assert set(s["validation"]) == {"mnli"}  # the text has no validation set
    assert json.loads((tmp_path / "m/heads.json").read_text()) == ["mlm", "mnli"]


def _grid(**over) -> xgrid.Grid:
    config = hub_config(
        intermediate={"mnli": {"epochs": 2, "batch_size": 32}},
        targets={"xnli": {"epochs": 2, "batch_size": 32}, "pawsx": {"epochs": 2, "batch_size": 32}},
        **over,
    )
    return xgrid.resolve(xgrid.validate(config, SCHEMA, check_local=False))


def test_an_mlm_arm_expands_into_its_jobs():
    grid = _grid(
        mlm={"mnli_mlm": {"task": "mnli", "languages": ["zh", "en", "de"], "targets": ["xnli"]}}
    )
    assert grid.research_arms == ("mnli_mlm",) and "mnli_mlm" in grid.intermediate_arms
    assert xgrid.axes.research_targets(grid, "mnli_mlm") == ["xnli"]
    cell = xgrid.cells.intermediate_cell(grid, "x", "mnli_mlm", 1)
    assert cell["tasks"] == ["mnli"]  # MNLI's features; the text comes by language
    assert cell["mlm"] == {"languages": ["en", "de", "zh"]}  # English first, then sorted
    assert cell["training"] == xgrid.cells.intermediate_cell(grid, "x", "mnli", 1)["training"] | {
        "fixed_probabilities": {"mlm": 0.25}  # the default ratio
    }
    assert xgrid.files.language_dirs(grid, "x", "mnli_mlm") == [
        f"results/features/x/by_language/mlm.{lang}" for lang in ("en", "de", "zh")
    ]
    assert xgrid.axes.seen_languages(grid, "mnli_mlm") == ["en", "de", "zh"]
    assert xgrid.cells.evaluation_cell(grid, "x", "mnli_mlm", 1, "xnli")["seen_languages"] == [
        "en",
        "de",
        "zh",
    ]
    # the text is the user's: imported by the run that reads it, never fetched
    text = "resources/datasets/local/mlm_text/zh/train.parquet"
    assert features.source_paths("mlm", "hub", "zh") == [text]
    assert text not in xgrid.files.resource_files(grid)


def test_an_mlm_arm_costs_its_text_batches_on_top():
    grid = _grid(mlm={"mnli_mlm": {"task": "mnli", "languages": ["de"], "ratio": 0.2}})
    jobs = cost.project(grid, cost.Throughput(train=1.0, infer=1.0))
    inter = jobs[jobs.rule == "train_intermediate"].set_index("arm")
    # the trainer's step count: 2 epochs of MNLI (392,702 pairs) at batch 32 are
    # 2 x ceil(392,702 / 32) = 24,544 steps of 32 pairs x 64 tokens; with text batches a fifth
    # of the steps, MNLI's batches are 80 % of ceil(24,544 / 0.8) = 30,680 steps, each step 32
    # examples at 0.8 x 64 + 0.2 x 48 tokens (text lines of 48 tokens)
    assert inter.loc["mnli", "train_tokens"] == 24_544 * 32 * 64
    assert inter.loc["mnli_mlm", "train_tokens"] == pytest.approx(
        30_680 * 32 * (0.8 * 64 + 0.2 * 48)
    )


@pytest.mark.parametrize(
    ("mlm", "key", "words"),
    [
        ({"m": {"task": "mnli", "languages": ["en", "xx"]}}, "mlm.m.languages", "in xx"),
        ({"m": {"task": "mnli", "languages": ["en"], "ratio": 1}}, "mlm.m.ratio", "maximum"),
        ({"mnli": {"task": "mnli", "languages": ["en"]}}, "mlm.mnli", "already the name"),
    ],
)
def test_mlm_config_errors_name_the_key(mlm, key, words):
    config = hub_config(intermediate={"mnli": {"epochs": 2, "batch_size": 32}}, mlm=mlm)
    with pytest.raises(xgrid.ConfigError) as err:
        xgrid.validate(config, SCHEMA, check_local=False)
    assert key in str(err.value) and words in str(err.value)


def test_the_text_files_must_be_given(tmp_path):
    config = hub_config(
        intermediate={"mnli": {"epochs": 2, "batch_size": 32}},
        mlm={"m": {"task": "mnli", "languages": ["de", "sw"]}},
    )
    with pytest.raises(
        xgrid.ConfigError, match=r"data.local.mlm_text \(.*mlm reads de.txt, sw.txt\) is not set"
    ):
        xgrid.validate(config, SCHEMA)
    (tmp_path / "de.txt").write_text("Ein Satz.\n")
    config["data"]["local"] = {"mlm_text": str(tmp_path)}
    with pytest.raises(xgrid.ConfigError, match=r"which has no sw.txt: write your own text"):
        xgrid.validate(config, SCHEMA)
    (tmp_path / "sw.txt").write_text("Sentensi moja.\n\n")
    xgrid.validate(config, SCHEMA)
    # the importer reads one line per example, blank lines dropped
    src = tasks.get("mlm").language_source("sw")
    assert tasks.get("mlm").import_local(tmp_path, src)["text"] == ["Sentensi moja."]
