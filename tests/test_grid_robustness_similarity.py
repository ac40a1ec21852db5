"""Robustness and task similarity end to end: the quick-start grid extended with noisy and
adversarial test inputs for two arms on XNLI and MLQA (config key robustness), and the
similarity of every task to every target from the pretrained encoder, related to gains and
robustness per language family (config key similarity). Second tier: `pytest -m grids`."""

from __future__ import annotations

import pandas as pd
import pytest
import summary_checks

from xstilts import tasks

from smk import extend

pytestmark = pytest.mark.grids
ARMS, TARGETS = ["baseline", "mnli"], ["xnli", "mlqa"]
PERTURBATIONS = {
    "char_swap": {"level": "char", "op": "swap", "rate": 0.1},
    "char_substitute": {"level": "char", "op": "substitute", "rate": 0.1},
    "word_drop": {"level": "word", "op": "drop", "rate": 0.15},
    "word_swap": {"level": "word", "op": "swap", "rate": 0.15},
}


@pytest.fixture(scope="module")
def grid(quickstart_base, tmp_path_factory):
    work = tmp_path_factory.mktemp("robustness_similarity")
    changes = {
        "robustness": {
            "targets": TARGETS,
            "arms": ARMS,
            "max_examples": 30,
            "perturbations": PERTURBATIONS,
            "adversarial": {"max_examples": 10, "query_budget": 20},
        },
        "similarity": {"enabled": True, "examples": 64},
    }
    return work, *extend(quickstart_base, work, changes)


def test_the_analyses_run_on_the_finished_cells_alone(grid):
    _, _, jobs = grid
    ran = sorted((rule, w.get("arm", ""), w.get("target", "")) for rule, w in jobs)
    expected = [("evaluate_robustness", a, t) for a in ARMS for t in TARGETS]
    expected += [(r, "", "") for r in ("robustness_summary", "similarity_summary")]
    expected.append(("task_similarity", "", ""))
    expected.append(("resolved_config", "", ""))  # the config the report shows: it changed
    assert ran == sorted(expected)


def test_robustness_drops_per_language_and_family(grid):
    work = grid[0]
    long = pd.read_csv(work / "results/summary/robustness/robustness_long.csv")
    kinds = [*PERTURBATIONS, "adversarial"]
    for target in TARGETS:
        rows = long[long.target == target]
        assert set(rows.arm) == set(ARMS)
        assert set(rows.language) == set(tasks.get(target).languages)
        assert set(rows.perturbation) == set(kinds)
        assert (rows["drop"] - (rows["clean"] - rows["perturbed"])).abs().max() < 1e-9
        # the clean score of the noise rows is the same whatever the perturbation
        noise = rows[rows.perturbation != "adversarial"]
        assert noise.groupby(["arm", "language"]).clean.nunique().max() == 1
    # noise costs accuracy on XNLI: each letter swapped with its neighbour with probability 0.1
    # (the demo's encoders lost 16 points on average with the first demo grid; 2 is a floor)
    xnli = long[(long.target == "xnli") & (long.perturbation == "char_swap")]
    assert xnli["drop"].mean() > 2
    adversarial = long[long.perturbation == "adversarial"]
    assert (
        adversarial.attack_success_rate.between(0, 100).all() and (adversarial["drop"] >= 0).all()
    )
    families = pd.read_csv(work / "results/summary/robustness/robustness_by_family.csv")
    xnli_families = families[(families.target == "xnli") & (families.arm == "mnli")]
    assert {"Indo-European", "Sino-Tibetan", "Niger-Congo"} <= set(xnli_families.family)


def test_task_similarity_relates_to_gains_per_family(grid):
    names = {"mnli", "squad_v1", "xnli", "udpos", "mlqa"}
    # every single-task arm (mnli, squad_v1) against every fine-tuned target
    summary_checks.assert_similarity_relates_to_gains(grid[0], names, points=2 * 3)
