"""Checks of the research summaries shared by a tier-2 grid and the full demo grid
(tests/test_workflow.py), which differ only in the tasks they cover."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest


def assert_similarity_relates_to_gains(work: Path, names: set[str], points: int) -> None:
    """The similarity of every task to every task (1 on the diagonal), one point per single-task
    arm and fine-tuned target (`points`, the multi-task arm has no one similarity) whose gain is
    the mean per-language gain, and Spearman correlations per language family."""
    root = work / "results/summary/similarity"
    sim = pd.read_csv(root / "task_similarity.csv")
    assert set(sim.task_a) == set(sim.task_b) == names and len(sim) == len(names) ** 2
    diagonal = sim[sim.task_a == sim.task_b]
    assert ((diagonal.similarity - 1).abs() < 1e-6).all()
    overall = pd.read_csv(root / "similarity_points.csv").query("family == 'all'")
    assert len(overall) == points
    gains = pd.read_csv(work / "results/summary/gains_by_language.csv")
    xnli = gains[(gains.arm == "mnli") & (gains.target == "xnli") & (gains.metric == "accuracy")]
    point = overall[(overall.arm == "mnli") & (overall.target == "xnli")]
    assert point.gain.iloc[0] == pytest.approx(xnli.gain.mean())
    corr = pd.read_csv(root / "correlations.csv")
    assert {"all", "Indo-European", "Sino-Tibetan"} <= set(corr.family)
    assert set(corr.outcome) == {"gain", "robustness_gain"}
    assert corr.spearman.dropna().between(-1, 1).all()
