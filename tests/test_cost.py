"""The cost projection: tokens per job from the dataset cards' sizes or from real features,
hours = tokens / throughput; the ``xstilts cost`` command prints the table."""

from __future__ import annotations

import datasets
import pytest

from xstilts import cost, grid, tasks
from xstilts.cli import main

from conftest import REPO, hub_config

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def _grid(**over) -> grid.Grid:
    config = hub_config(submission={"arms": ["baseline"]}) | over
    return grid.resolve(grid.validate(config, SCHEMA, check_local=False))


def test_tokens_and_hours_from_the_dataset_cards():
    jobs = cost.project(_grid(), cost.Throughput(train=1000.0, infer=2000.0))
    rows = {(r.rule, r.arm): r for r in jobs.itertuples()}
    # MNLI train 392,702 pairs (GLUE card) at batch 32: ceil(392,702 / 32) = 12,272 steps an
    # epoch (the last batch of 30), 3 epochs = 36,816 steps of 32 pairs x 64 tokens (the pair
    # estimate); validation_matched 9,815 x 64 read once at the end of training
    mnli = rows[("train_intermediate", "mnli")]
    assert mnli.train_tokens == 36_816 * 32 * 64 == 75_399_168
    assert mnli.tokens == "estimated"
    assert mnli.infer_tokens == 9_815 * 64 == 628_160
    assert mnli.hours == pytest.approx((75_399_168 / 1000 + 628_160 / 2000) / 3600)
    # XNLI trains on MNLI's English train for 2 epochs (24,544 steps), validates on its 2,490
    # English dev pairs
    for arm in ("baseline", "mnli"):
        target = rows[("train_target", arm)]
        assert target.train_tokens == 24_544 * 32 * 64
        assert target.infer_tokens == 2_490 * 64
        # test: 5,010 pairs per language, two languages
        assert rows[("evaluate_target", arm)].infer_tokens == 2 * 5_010 * 64
    assert len(jobs) == 1 + 2 * 2  # one intermediate job; two arms x (train + evaluate)
    table = cost.by_rule(jobs)
    assert table.loc["total", "jobs"] == 5
    assert table.loc["total", "hours"] == pytest.approx(jobs.hours.sum())


def test_xtreme_rs_added_languages_are_counted_in_evaluation():
    targets = {"panx": {"epochs": 10, "batch_size": 32, "languages": ["en", "pl", "qu"]}}
    jobs = cost.project(_grid(targets=targets), cost.Throughput(train=1000.0, infer=2000.0))
    rows = {(r.rule, r.arm): r for r in jobs.itertuples()}
    # PAN-X test: English 10,000 sentences (google/xtreme), Polish 10,000 and Quechua 100
    # (unimelb-nlp/wikiann), x 40 tokens (the sentence estimate)
    assert rows[("evaluate_target", "mnli")].infer_tokens == (10_000 + 10_000 + 100) * 40


def test_max_steps_and_the_multiple_choice_estimate():
    g = _grid(
        intermediate={"hellaswag": {"max_steps": 1000, "batch_size": 16}},
        targets={"xnli": {"max_steps": 10, "batch_size": 32, "languages": ["en"]}},
    )
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    hella = jobs[jobs.rule == "train_intermediate"].iloc[0]
    # 1,000 steps x 16 examples x 4 endings x 80 tokens per encoded choice
    assert hella.train_tokens == 1000 * 16 * 4 * 80


def test_prepared_features_replace_the_estimates(demo_workdir):
    g = _grid()
    jobs = cost.project(g, cost.Throughput(), demo_workdir / "features_by_model")
    # no features for this model: the estimate
    assert jobs.train_tokens.iloc[0] == 36_816 * 32 * 64
    root = demo_workdir / "costroot"
    (root / "xlmr_large").mkdir(parents=True)
    (root / "xlmr_large/mnli").symlink_to(demo_workdir / "features/mnli")
    jobs = cost.project(g, cost.Throughput(), root)
    train = datasets.load_from_disk(str(demo_workdir / "features/mnli/train"))
    real = sum(len(ids) for ids in train["input_ids"])
    # 3 epochs of ceil(rows / 32) steps, 32 pairs a step at the counted mean length
    steps = 3 * -(-len(train) // 32)
    assert jobs.train_tokens.iloc[0] == pytest.approx(steps * 32 * real / len(train))
    assert jobs.tokens.iloc[0] == "counted"


def test_the_command_prints_the_paper_grid_projection(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["cost"]) == 0
    out = capsys.readouterr().out
    assert "train_intermediate" in out and "| total" in out
    # 10 intermediate jobs (9 tasks + multitask), 11 arms x 7 targets evaluated and 11 x 6
    # trained (XQuAD and MLQA share SQuAD 1.1's fine-tuning), 11 arms x 3 targets (XNLI,
    # PAWS-X, XQuAD) tested for robustness, 11 arms x 2 retrieval targets (BUCC, Tatoeba) on
    # the encoder, and one task-similarity job
    total = next(line for line in out.splitlines() if line.startswith("| total"))
    assert total.split("|")[2].strip() == str(10 + 77 + 66 + 11 * 3 + 11 * 2 + 1)
    assert "evaluate_retrieval" in out and "task_similarity" in out


def test_a_missing_config_is_one_sentence(capsys, tmp_path):
    assert main(["cost", "--config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xstilts: config file") and err.count("\n") == 1


def test_research_arms_and_learning_curves_are_counted():
    g = _grid(
        intermediate={
            "mnli": {"epochs": 3, "batch_size": 32},
            "qqp": {"max_steps": 1000, "batch_size": 32},
        },
        sequences={"permute": [["mnli", "qqp"]], "targets": ["xnli"]},
        training_length={
            "budgets": {"mnli": [0, "1ep"]},
            "curve": {"every": 5000, "languages": ["en", "de"], "max_examples": 100},
        },
    )
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    inter = jobs[jobs.rule == "train_intermediate"].set_index("arm")
    assert list(inter.index) == ["mnli", "qqp", "mnli-qqp", "qqp-mnli", "mnli@1ep"]
    # a second stage costs its own task's training only: QQP 1,000 steps x 32 x 64 tokens
    assert inter.loc["mnli-qqp", "train_tokens"] == 1000 * 32 * 64
    assert inter.loc["mnli@1ep", "train_tokens"] == 12_272 * 32 * 64  # one epoch of MNLI
    target = jobs[jobs.rule == "train_target"].set_index("arm")
    assert list(target.index) == [
        "baseline", "mnli", "qqp", "mnli-qqp", "qqp-mnli", "baseline@0", "mnli@1ep"
    ]  # fmt: skip
    # the budget axis's target jobs log curves: 2 epochs of MNLI at batch 32 are 24,544
    # steps, so points at 0, every 5,000 and the end: 24,544 // 5,000 + 2 = 6 points of 100
    # English validation and 100 German test pairs at 64 tokens
    curve = 6 * 200 * 64
    assert target.loc["baseline@0", "infer_tokens"] == 2_490 * 64 + curve
    assert target.loc["baseline", "infer_tokens"] == 2_490 * 64  # the main grid's: no curve
    # every 12,272 steps: points at 0, 12,272 and 24,544 (the last is a multiple), 3 of them
    g = _grid(
        intermediate={"mnli": {"epochs": 3, "batch_size": 32}},
        training_length={
            "budgets": {"mnli": [0]},
            "curve": {"every": 12_272, "languages": ["en", "de"], "max_examples": 100},
        },
    )
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    target = jobs[jobs.rule == "train_target"].set_index("arm")
    assert target.loc["baseline@0", "infer_tokens"] == 2_490 * 64 + 3 * 200 * 64


def test_a_translated_arm_costs_every_language_it_trains_on():
    g = _grid(
        intermediate={"mnli": {"epochs": 2, "batch_size": 32}},
        translated={
            "mnli_mix": {"task": "mnli", "languages": ["en", "de", "sw"], "targets": ["xnli"]},
            "mnli_de": {"task": "mnli", "languages": ["de"], "targets": ["xnli"]},
        },
    )
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    inter = jobs[jobs.rule == "train_intermediate"].set_index("arm")
    # MNLI's 392,702 English pairs and XNLI's 392,702 translated ones in each of de and sw
    # (the dataset cards) are one training set: ceil(1,178,106 / 32) = 36,816 steps an epoch,
    # 2 epochs, 32 pairs of 64 tokens a step
    assert inter.loc["mnli_mix", "train_tokens"] == 2 * 36_816 * 32 * 64
    assert inter.loc["mnli_de", "train_tokens"] == 2 * 12_272 * 32 * 64
    assert inter.loc["mnli", "train_tokens"] == 2 * 12_272 * 32 * 64
    # validation is MNLI's English set in every case
    assert inter.loc["mnli_mix", "infer_tokens"] == 9_815 * 64


def test_model_selection_validates_every_n_steps_on_its_examples():
    selection = {"every": 1000, "examples": 500, "patience": 30}
    g = _grid(intermediate={"mnli": {"epochs": 3, "batch_size": 32, "best_checkpoint": selection}})
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    mnli = jobs[jobs.rule == "train_intermediate"].iloc[0]
    # 36,816 steps: validations at steps 1,000, 2,000, ..., 36,000 and the last, 36,816 (37)
    # on the first 500 of validation_matched, then all 9,815
    assert mnli.infer_tokens == 37 * 500 * 64 + 9_815 * 64
    # a run of exactly 3,000 steps: validations at 1,000, 2,000 and 3,000
    g = _grid(
        intermediate={"qqp": {"max_steps": 3000, "batch_size": 32, "best_checkpoint": selection}}
    )
    qqp = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    assert qqp[qqp.rule == "train_intermediate"].iloc[0].infer_tokens == (
        3 * 500 * 64 + 40_430 * 64
    )


def test_retrieval_similarity_and_candidate_pools_are_counted():
    g = _grid(
        retrieval={"tatoeba": {"languages": ["de", "fr"]}},
        targets={"mewslix": {"epochs": 1, "batch_size": 16, "languages": ["en", "de"]}},
        similarity={"enabled": True},
        intermediate={"mnli": {"epochs": 1, "batch_size": 32}, "qqp": {"max_steps": 10}},
    )
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    rows = {(r.rule, r.arm, r.target): r for r in jobs.itertuples()}
    tatoeba, mewslix = tasks.get("tatoeba"), tasks.get("mewslix")
    # Tatoeba: 1,000 sentence pairs per language (mteb/tatoeba-bitext-mining)
    found = rows[("evaluate_retrieval", "mnli", "tatoeba")].infer_tokens
    assert found == 2 * 1_000 * tatoeba.tokens_per_example
    # Mewsli-X: each language's mentions, then the 1,003,893 candidate entities once
    test = rows[("evaluate_target", "mnli", "mewslix")].infer_tokens
    mentions = sum(s.num_rows for s in mewslix.test if s.language in ("en", "de"))
    assert test == (mentions + 1_003_893) * mewslix.tokens_per_example
    # similarity: the first 1,000 (the default) training inputs of each task it relates
    sim = rows[("task_similarity", "", "")].infer_tokens
    assert sim > 0 and sim == sum(
        min(1000, sum(s.num_rows for s in tasks.get(t).train)) * tasks.get(t).tokens_per_example
        for t in grid.axes.similarity_tasks(g)
    )


def test_prepared_features_count_every_encoded_sequence(tmp_path):
    # answer retrieval's training pairs: questions 5 + 9 tokens, one answer of 40
    pairs = {"input_ids": [[5] * 5, [5] * 9], "answer_ids": [[5] * 40, []]}
    datasets.Dataset.from_dict(pairs).save_to_disk(str(tmp_path / "pairs"))
    assert cost._count_tokens(tmp_path / "pairs") == (54.0, 2)
    # multiple choice: every choice's tokens, 10 + 12
    choices = {"input_ids": [[[5] * 10, [5] * 12]]}
    datasets.Dataset.from_dict(choices).save_to_disk(str(tmp_path / "choices"))
    assert cost._count_tokens(tmp_path / "choices") == (22.0, 1)
