"""Task similarity: the measures on vectors with known answers, the analysis on hand-made
gains and drops, and the embedding job on the demo model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xstilts import analyses
from xstilts.analyses import similarity


def test_cosine_raw_and_centred():
    v = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    raw = similarity.cosine_matrix(v, centre=False)
    assert raw[0, 1] == pytest.approx(0.0) and raw[0, 2] == pytest.approx(1 / math.sqrt(2))
    # centred on the mean (2/3, 2/3): a = (1/3, -2/3), b = (-2/3, 1/3), c = (1/3, 1/3)
    c = similarity.cosine_matrix(v)
    assert c[0, 1] == pytest.approx((-2 / 9 - 2 / 9) / (5 / 9))  # -0.8
    assert c[0, 2] == pytest.approx(-1 / math.sqrt(10))
    assert np.allclose(np.diag(c), 1.0) and np.allclose(c, c.T)


def test_spearman():
    assert similarity.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert similarity.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # 1 - 6 Σd² / (n (n² - 1)) = 1 - 6·2 / 24
    assert similarity.spearman([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    # ties share their mean rank: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4) = 3/√10
    assert similarity.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(3 / math.sqrt(10))
    assert math.isnan(similarity.spearman([1, 2], [1, 2]))
    assert math.isnan(similarity.spearman([1, 1, 1], [1, 2, 3]))


def _gains(rows):
    columns = ["model", "arm", "seed", "target", "language", "metric", "value", "baseline", "gain"]
    return pd.DataFrame(
        [
            {"model": "m", "arm": a, "seed": 1, "target": "xnli", "language": lang}
            | {"metric": metric, "value": 0.0, "baseline": 0.0, "gain": g}
            for a, lang, metric, g in rows
        ],
        columns=columns,
    )


def test_similarity_against_gain_and_robustness_per_family():
    sim = pd.DataFrame(
        [
            {"model": "m", "task_a": a, "task_b": "xnli", "similarity": s, "raw_cosine": 1.0}
            for a, s in [("mnli", 0.9), ("qqp", 0.1), ("squad_v1", -0.5), ("xnli", 1.0)]
        ]
    )
    gains = _gains(
        [
            ("mnli", "en", "accuracy", 3.0),
            ("mnli", "de", "accuracy", 5.0),
            ("qqp", "en", "accuracy", 1.0),
            ("qqp", "de", "accuracy", 1.0),
            ("squad_v1", "en", "accuracy", -1.0),
            ("squad_v1", "sw", "accuracy", -3.0),
            ("mnli", "en", "f1", 99.0),  # not XNLI's summary metric: ignored
            ("xnli", "en", "accuracy", 7.0),  # an arm named as the target: not compared
        ]
    )
    drops = pd.DataFrame(
        [
            {"model": "m", "arm": a, "seed": 1, "target": "xnli", "language": "en"}
            | {"perturbation": "char_swap", "drop": d}
            for a, d in [("baseline", 10.0), ("mnli", 4.0), ("qqp", 8.0), ("squad_v1", 12.0)]
        ]
    )
    points, corr = similarity.analyse(sim, gains, drops)
    p = points.set_index(["arm", "family"])
    assert p.loc[("mnli", "all"), "gain"] == 4.0  # (3 + 5) / 2, the f1 row left out
    assert p.loc[("squad_v1", "Indo-European"), "gain"] == -1.0
    assert p.loc[("mnli", "all"), "robustness_gain"] == 6.0  # baseline drop 10 − 4
    assert p.loc[("squad_v1", "all"), "robustness_gain"] == -2.0
    assert "xnli" not in set(points.arm)  # a task is not compared with itself
    c = corr.set_index(["family", "outcome"])
    # Indo-European gains 4, 1, -1 rank as similarities 0.9, 0.1, -0.5
    assert c.loc[("Indo-European", "gain"), "spearman"] == pytest.approx(1.0)
    assert c.loc[("all", "robustness_gain"), "spearman"] == pytest.approx(1.0)
    assert c.loc[("Niger-Congo", "gain"), "points"] == 1  # one point: no correlation
    assert math.isnan(c.loc[("Niger-Congo", "gain"), "spearman"])


def test_embedding_tasks_on_the_demo_model(demo_workdir, demo_model, tmp_path):
    features = {t: str(demo_workdir / "features" / t) for t in ("mnli", "xnli", "pawsx")}
    cell = {"model": "demo_tiny", "layer": 2, "examples": 16, "precision": "fp32"}
    # as the rule task_similarity runs it (workflow/scripts/analysis_cell.py)
    inputs = {"encoder": str(demo_model), "features": list(features.values())}
    out = {"similarity": str(tmp_path / "sim.csv")}
    analyses.run_cell(cell | {"features": features}, inputs, out, rule="task_similarity")
    table = pd.read_csv(tmp_path / "sim.csv")
    assert len(table) == 9
    m = table.pivot_table(index="task_a", columns="task_b", values="similarity")
    assert np.allclose(np.diag(m), 1.0) and np.allclose(m, m.T)
    raw = table.pivot_table(index="task_a", columns="task_b", values="raw_cosine")
    # XNLI's English training set is MNLI's: the same first inputs, the same embedding
    assert raw.loc["mnli", "xnli"] == pytest.approx(1.0, abs=1e-5)


def test_no_points_gives_empty_tables_and_a_figure(tmp_path):
    """A grid whose gains table is empty (no single-task arm meets a fine-tuned target)."""
    sim = pd.DataFrame(
        [{"model": "m", "task_a": "mnli", "task_b": "xnli", "similarity": 0.5, "raw_cosine": 1.0}]
    )
    gains = _gains([])
    points, corr = similarity.analyse(sim, gains, None)
    assert points.empty and corr.empty and "spearman" in corr.columns
    similarity.figure(sim, points, corr, tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 0
