"""Robustness and task similarity end to end: the quick-start grid extended with noisy and
adversarial test inputs for two arms on XNLI and MLQA (config key robustness), and the
similarity of every task to every target from the pretrained encoder, related to gains and
robustness per language family (config key similarity). Second tier: `pytest -m grids`."""

from __future__ import annotations

import pandas as pd
import pytest

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
            "targets": TARGETS, "arms": ARMS, "max_examples": 30,
            "perturbations": PERTURBATIONS, "adversarial": {"max_examples": 10, "query_budget": 20},
        },
        "similarity": {"enabled": True, "examples": 64},
    }  # fmt: skip
    return work, *extend(quickstart_base, work, changes)


def test_the_analyses_run_on_the_finished_cells_alone(grid):
    _, _, jobs = grid
    ran = sorted((rule, w.get("arm", ""), w.get("target", "")) for rule, w in jobs)
    expected = [("evaluate_robustness", a, t) for a in ARMS for t in TARGETS]
    expected += [(r, "", "") for r in ("robustness_summary", "similarity_summary")]
    expected.append(("task_similarity", "", ""))
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
    work = grid[0]
    root = work / "results/summary/similarity"
    sim = pd.read_csv(root / "task_similarity.csv")
    names = {"mnli", "squad_v1", "xnli", "udpos", "mlqa"}
    assert set(sim.task_a) == set(sim.task_b) == names and len(sim) == len(names) ** 2
    diagonal = sim[sim.task_a == sim.task_b]
    assert ((diagonal.similarity - 1).abs() < 1e-6).all()
    points = pd.read_csv(root / "similarity_points.csv")
    overall = points[points.family == "all"]
    # every single-task arm against every fine-tuned target (multitask has no one similarity)
    assert len(overall) == 2 * 3
    gains = pd.read_csv(work / "results/summary/gains_by_language.csv")
    xnli = gains[(gains.arm == "mnli") & (gains.target == "xnli") & (gains.metric == "accuracy")]
    point = overall[(overall.arm == "mnli") & (overall.target == "xnli")]
    assert point.gain.iloc[0] == pytest.approx(xnli.gain.mean())
    corr = pd.read_csv(root / "correlations.csv")
    assert {"all", "Indo-European", "Sino-Tibetan"} <= set(corr.family)
    assert set(corr.outcome) == {"gain", "robustness_gain"}
    assert corr.spearman.dropna().between(-1, 1).all()
