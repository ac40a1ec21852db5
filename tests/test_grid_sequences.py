"""Task order (config key sequences) end to end: the quick-start grid extended with both orders
of MNLI and SQuAD 1.1, fine-tuned and tested on XNLI. Second tier: `pytest -m grids`."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from smk import extend

pytestmark = pytest.mark.grids
SEQ_ARMS = ["mnli-squad_v1", "squad_v1-mnli"]


@pytest.fixture(scope="module")
def grid(quickstart_base, tmp_path_factory):
    work = tmp_path_factory.mktemp("sequences")
    changes = {"sequences": {"permute": [["mnli", "squad_v1"]], "targets": ["xnli"]}}
    return work, *extend(quickstart_base, work, changes)


def test_adding_the_orders_runs_only_their_cells_and_the_summary(grid):
    _, _, jobs = grid
    ran = sorted((rule, w.get("arm", "")) for rule, w in jobs)
    # + the config the report shows, which the new key changed
    expected = [("sequence_summary", ""), ("resolved_config", "")]
    for arm in SEQ_ARMS:  # a second stage starts from the first stage's arm, trained already
        expected += [(r, arm) for r in ("evaluate_target", "train_intermediate", "train_target")]
    assert ran == sorted(expected)


def test_a_second_stage_trains_its_own_task_from_the_first_stages_encoder(grid):
    work = grid[0]
    for arm, task in (("mnli-squad_v1", "squad_v1"), ("squad_v1-mnli", "mnli")):
        path = work / f"results/intermediate/demo_tiny/{arm}/seed1/model/train_summary.json"
        summary = json.loads(path.read_text())
        assert summary["tasks"] == [task] and summary["steps"] == 100  # quickstart.yaml's
    log = (work / "logs/train_intermediate/demo_tiny/mnli-squad_v1/seed1.log").read_text()
    assert "starting from the encoder in results/intermediate/demo_tiny/mnli/seed1/model" in log


def test_every_two_orders_are_compared_per_target(grid):
    work = grid[0]
    root = work / "results/summary/sequences"
    scores = pd.read_csv(root / "sequence_scores.csv")
    assert set(scores.arm) == {"baseline", "mnli", "squad_v1", *SEQ_ARMS}
    assert set(scores.target) == {"xnli"}
    pairs = pd.read_csv(root / "order_pairs.csv")
    assert set(pairs.target) == {"xnli", "xtreme_avg"}
    for r in pairs[pairs.target != "xtreme_avg"].itertuples():
        assert (r.first, r.second) == tuple(SEQ_ARMS)
        by_arm = scores[scores.target == r.target].set_index("arm").score
        assert r.difference == pytest.approx(
            by_arm["mnli-squad_v1"] - by_arm["squad_v1-mnli"], abs=1e-6
        )
        assert r.ci_low <= r.difference <= r.ci_high
    assert "first − second" in (root / "order_pairs.md").read_text()
