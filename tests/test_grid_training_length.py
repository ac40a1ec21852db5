"""Training length (config key training_length) end to end: the quick-start grid extended with
MNLI trained for 0 (the pretrained encoder), 50 and its own 100 steps, XNLI target training
logging learning curves. Second tier: `pytest -m grids`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from smk import extend

pytestmark = pytest.mark.grids
BUDGET_ARMS = ["baseline@0", "mnli@50", "mnli@100"]
STEPS = list(range(0, 201, 40))  # every 40 of XNLI's 200 steps (quickstart.yaml), and the last
CURVE = {"every": 40, "languages": ["en", "de", "sw", "zh"], "max_examples": 100}


@pytest.fixture(scope="module")
def grid(quickstart_base, tmp_path_factory):
    work = tmp_path_factory.mktemp("training_length")
    changes = {
        "training_length": {"budgets": {"mnli": [0, 50, 100]}, "targets": ["xnli"], "curve": CURVE}
    }
    return work, *extend(quickstart_base, work, changes)


def test_only_the_new_budget_trains_an_intermediate_model(grid):
    _, _, jobs = grid
    ran = sorted((rule, w.get("arm", "")) for rule, w in jobs)
    # 0 is the pretrained encoder and 100 the mnli arm's own: only mnli@50 is trained; every
    # budget arm fine-tunes XNLI anew, logging its curve
    expected = [("train_intermediate", "mnli@50"), ("training_length_summary", "")]
    expected.append(("resolved_config", ""))  # the config the report shows: it changed
    expected += [(r, a) for a in BUDGET_ARMS for r in ("evaluate_target", "train_target")]
    assert ran == sorted(expected)
    summary = json.loads(
        (
            grid[0] / "results/intermediate/demo_tiny/mnli@50/seed1/model/train_summary.json"
        ).read_text()
    )
    assert summary["steps"] == 50


def test_curves_convergence_and_scores_by_budget(grid):
    work = grid[0]
    root = work / "results/summary/training_length"
    curves = pd.read_csv(root / "curves.csv")
    assert set(curves.arm) == set(BUDGET_ARMS)
    for _, g in curves.groupby(["arm", "language"]):
        assert sorted(g.step) == STEPS
    assert set(curves.language) == set(CURVE["languages"])
    conv = pd.read_csv(root / "convergence.csv")
    assert set(conv.language) == {*CURVE["languages"], "others"}
    assert conv.steps_to_95.isin(STEPS).all()
    budgets = pd.read_csv(root / "budget_scores.csv").set_index("arm")
    assert budgets.loc[BUDGET_ARMS, "value"].tolist() == [0, 50, 100]
    # the curve changes no weight: baseline@0 and mnli@100 are fine-tuned as the baseline and
    # mnli are in the main grid, and score what the main table says
    table = pd.read_csv(work / "results/summary/arm_target.csv", index_col=["model", "arm"])
    for arm, main in (("baseline@0", "baseline"), ("mnli@100", "mnli")):
        assert budgets.loc[arm, "test_score"] == pytest.approx(
            table.loc[("demo_tiny", main), "xnli"]
        )
