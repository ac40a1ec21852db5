"""Robustness bookkeeping: the per-language and per-family tables from hand-made result files,
the config checks, the perturbed test sets shared by every arm, and the cost rows."""

from __future__ import annotations

import json

import datasets
import pytest

from xstilts import analyses, cost, grid
from xstilts.analyses import robustness

from conftest import REPO, hub_config

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def _result(path, arm, langs):
    doc = {
        "cell": {"model": "m", "arm": arm, "seed": 1, "target": "xnli"},
        "task": "xnli",
        "languages": {
            lang: {
                "examples": 10,
                "clean": clean,
                "perturbations": {"char_swap": noisy},
                "adversarial": {
                    "clean": 80.0,
                    "score": 50.0,
                    "success_rate": 40.0,
                    "queries": 7.5,
                    "examples": 5,
                    "attacked": 5,
                },
            }
            for lang, (clean, noisy) in langs.items()
        },
    }
    path.write_text(json.dumps(doc))
    return path


def test_drops_per_language_and_per_family(tmp_path):
    mnli = {"en": (90.0, 80.0), "de": (80.0, 74.0), "sw": (60.0, 45.0)}  # (clean, char_swap)
    files = [
        _result(tmp_path / "a.json", "mnli", mnli),
        _result(tmp_path / "b.json", "baseline", {"en": (88.0, 70.0)}),
    ]
    long = robustness.read_results(files)
    swap = long[long.perturbation == "char_swap"].set_index(["arm", "language"])
    assert swap.loc[("mnli", "en"), "drop"] == 10.0
    assert swap.loc[("mnli", "sw"), "drop"] == 15.0
    assert swap.loc[("mnli", "sw"), "family"] == "Niger-Congo"
    assert swap.loc[("mnli", "de"), "genus"] == "Germanic"
    adv = long[long.perturbation == "adversarial"]
    assert (adv["drop"] == 30.0).all() and (adv["attack_success_rate"] == 40.0).all()
    fam = robustness.by_family(long).set_index(["arm", "perturbation", "family"])
    # Indo-European for mnli: en and de, drops 10 and 6
    row = fam.loc[("mnli", "char_swap", "Indo-European")]
    assert row["drop"] == 8.0 and row["clean"] == 85.0 and row["languages"] == "en de"
    assert fam.loc[("baseline", "char_swap", "Indo-European"), "drop"] == 18.0
    # families in the table's order: Indo-European before Niger-Congo
    mnli = robustness.by_family(long).query("arm == 'mnli' and perturbation == 'char_swap'")
    assert list(mnli.family) == ["Indo-European", "Niger-Congo"]


def test_the_summary_writes_tables_and_a_figure(tmp_path):
    files = [_result(tmp_path / "a.json", "mnli", {"en": (90.0, 80.0), "zh": (70.0, 60.0)})]
    outputs = {
        k: str(tmp_path / v.split("/")[-1]) for k, v in robustness.summary_outputs(["xnli"]).items()
    }
    robustness.summarize({"results": files}, None, outputs)
    from matplotlib import image

    assert image.imread(outputs["figure_xnli"]).shape[0] > 100
    assert "Sino-Tibetan" in open(outputs["family_csv"]).read()


def test_every_arm_sees_the_same_perturbed_inputs():
    rows = datasets.Dataset.from_dict(
        {"premise": ["the cat sat on the mat"] * 3, "hypothesis": ["a cat is sitting"] * 3}
    )
    spec = {"level": "char", "op": "substitute", "rate": 0.3}
    fields = ("premise", "hypothesis")
    a = robustness.perturbed_rows(rows, fields, "char_sub", spec, "en", 0)
    b = robustness.perturbed_rows(rows, fields, "char_sub", spec, "en", 0)
    assert a["premise"] == b["premise"] and a["hypothesis"] == b["hypothesis"]
    # each example has its own draws (same text, different noise), and the seed matters
    assert len(set(a["premise"])) > 1
    assert (
        robustness.perturbed_rows(rows, fields, "char_sub", spec, "en", 1)["premise"]
        != a["premise"]
    )


def _config(**robust):
    return hub_config(robustness=robust)


@pytest.mark.parametrize(
    "robust, key",
    [
        ({"targets": ["pawsx"]}, "'robustness.targets': pawsx is not a target of this grid"),
        ({"targets": ["udpos"]}, "robustness.targets"),  # not a text-perturbable target
        ({"targets": ["xnli"], "arms": ["qqp"]}, "'robustness.arms': qqp is not an arm"),
        (
            {
                "targets": ["xnli"],
                "perturbations": {"adversarial": {"level": "word", "op": "drop", "rate": 0.1}},
            },
            "'robustness.perturbations.adversarial': the name is the attack's",
        ),
        (
            {
                "targets": ["xnli"],
                "perturbations": {"x": {"level": "word", "op": "delete", "rate": 0.1}},
            },
            "'robustness.perturbations.x.op': delete is not a word-level operation",
        ),
    ],
)
def test_config_errors_name_the_key(robust, key):
    with pytest.raises(grid.ConfigError, match=key.replace("(", r"\(")):
        grid.validate(_config(**robust), SCHEMA, check_local=False)


def test_similarity_needs_a_baseline_and_three_tasks():
    config = _config() | {"similarity": {"enabled": True}}
    with pytest.raises(grid.ConfigError, match="'similarity.enabled': .* three tasks in all"):
        grid.validate(config, SCHEMA, check_local=False)  # mnli and xnli: two
    config["targets"]["pawsx"] = {"epochs": 2}
    grid.validate(config, SCHEMA, check_local=False)
    with pytest.raises(grid.ConfigError, match="'similarity.enabled': .* baseline arm"):
        grid.validate(config | {"baseline": False}, SCHEMA, check_local=False)


def test_defaults_and_the_cell():
    g = grid.resolve(grid.validate(_config(targets=["xnli"]), SCHEMA, check_local=False))
    assert analyses.cell_files(robustness.__name__, robustness.CELLS, g) == [
        "results/robustness/xlmr_large/baseline/seed1/xnli.json",
        "results/robustness/xlmr_large/mnli/seed1/xnli.json",
    ]
    cell = robustness.robustness_cell(g, "xlmr_large", "mnli", 1, "xnli")
    assert cell["languages"] == ["de", "en"] and cell["max_examples"] == 1000
    assert set(cell["perturbations"]) == {
        "char_swap",
        "char_substitute",
        "char_insert",
        "char_delete",
        "word_drop",
        "word_swap",
    }
    assert cell["adversarial"]["query_budget"] == 100


def test_cost_counts_every_pass_over_the_test_examples():
    g = grid.resolve(
        grid.validate(
            _config(
                targets=["xnli"],
                arms=["mnli"],
                max_examples=100,
                perturbations={"w": {"level": "word", "op": "drop", "rate": 0.1}},
                adversarial={"max_examples": 10, "query_budget": 8},
            ),
            SCHEMA,
            check_local=False,
        )
    )
    jobs = cost.project(g, cost.Throughput(train=1.0, infer=1.0))
    rows = jobs[jobs.rule == "evaluate_robustness"]
    assert list(rows.arm) == ["mnli"]
    # 2 languages x 64 tokens per pair x (100 examples x (clean + 1 noise) + 10 x (8 + 1))
    assert rows.infer_tokens.iloc[0] == 2 * 64 * (100 * 2 + 10 * 9)
