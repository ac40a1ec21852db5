"""How the length of intermediate training changes convergence and accuracy on a target.

The budget axis (config key training_length) trains an intermediate task for several budgets
(arms ``task@budget``; ``baseline@0``, the pretrained encoder, for 0). Target training of each
of those cells, separate from the main grid's, logs a learning curve (the first examples of
English validation and of other languages' test splits every N steps: training/curves.py). Per
cell and language the analysis gives the final score and the steps to reach 95 % of it, and
per budget the test score, with one figure per target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from xstilts.grid import BASELINE_AT_0, files
from xstilts.summary.read import read_scores, task_scores

SUMMARY_DIR = "results/summary/training_length"
FRACTION = 0.95
OTHERS = "others"  # the mean curve of the non-English languages
CELL = ["model", "task", "arm", "label", "budget", "value", "unit", "seed", "target"]


def steps_to_fraction(steps: list[int], scores: list[float], fraction: float = FRACTION):
    """The first logged step at which the score reaches ``fraction`` of the final (last
    logged) score; None for an empty curve."""
    if not steps:
        return None
    order = sorted(range(len(steps)), key=lambda i: steps[i])
    final = scores[order[-1]]
    return next(steps[i] for i in order if scores[i] >= fraction * final)


def label(arm: str, task: str, budget: str) -> str:
    return "baseline (0)" if arm == BASELINE_AT_0 else f"{task} @ {budget}"


def _key(cell: dict) -> dict:
    """A spec cell's identifying columns (CELL), its label included."""
    return {k: cell[k] for k in CELL if k != "label"} | {
        "label": label(cell["arm"], cell["task"], cell["budget"])
    }


def read_curves(cells: list[dict]) -> pd.DataFrame:
    """One row per logged point of every cell's curve (the target model's training summary)."""
    rows = []
    for cell in cells:
        summary = json.loads((Path(cell["model_dir"]) / "train_summary.json").read_text())
        key = _key(cell)
        for point in summary.get("curve", []):
            rows.append(key | {k: point[k] for k in ("language", "split", "step", "score")})
    return pd.DataFrame(rows, columns=[*CELL, "language", "split", "step", "score"])


def convergence(curves: pd.DataFrame) -> pd.DataFrame:
    """Per cell and language (and the non-English mean, language "others"): the final step
    and score, and the steps to 95 % of the final score."""
    others = (
        curves[curves.language != "en"]
        .groupby([*CELL, "step"], as_index=False)["score"]
        .mean()
        .assign(language=OTHERS, split="test")
    )
    rows = []
    for key, g in pd.concat([curves, others]).groupby([*CELL, "language"], sort=False):
        g = g.sort_values("step")
        rows.append(
            dict(zip([*CELL, "language"], key, strict=True))
            | {
                "final_step": int(g.step.iloc[-1]),
                "final_score": float(g.score.iloc[-1]),
                "steps_to_95": steps_to_fraction(g.step.tolist(), g.score.tolist()),
            }
        )
    return pd.DataFrame(
        rows, columns=[*CELL, "language", "final_step", "final_score", "steps_to_95"]
    )


def budget_scores(cells: list[dict], conv: pd.DataFrame) -> pd.DataFrame:
    """Per cell: the test score (the task's summary over every evaluated language), and the
    English curve's final score and steps to 95 %."""
    long, meta = read_scores(list(dict.fromkeys(c["scores"] for c in cells)))
    scores = task_scores(long, meta).set_index(["model", "arm", "seed", "target"])
    english = conv[conv.language == "en"].set_index(CELL)
    rows = []
    for cell in cells:
        key = _key(cell)
        test = scores.score.get((cell["model"], cell["arm"], cell["seed"], cell["target"]))
        en = english.loc[tuple(key[k] for k in CELL)] if len(english) else None
        rows.append(
            key
            | {
                "test_score": test,
                "final_english": None if en is None else float(en.final_score),
                "steps_to_95": None if en is None else en.steps_to_95,
            }
        )
    return pd.DataFrame(rows, columns=[*CELL, "test_score", "final_english", "steps_to_95"])


def summarize(inputs: dict[str, list[str]], spec: dict, outputs: dict[str, str]) -> None:
    """``spec``: cells (every budget-axis cell on the curve targets, with its task, budget,
    value and unit) and targets. Writes the curves, the convergence table, the budget table and
    one figure per target."""
    from xstilts.summary import figures as plots

    for path in outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    cells = spec["cells"]
    curves = read_curves(cells)
    conv = convergence(curves)
    budgets = budget_scores(cells, conv) if cells else pd.DataFrame(columns=CELL)
    curves.to_csv(outputs["curves_csv"], index=False)
    conv.to_csv(outputs["convergence_csv"], index=False)
    budgets.to_csv(outputs["budgets_csv"], index=False)
    for target in spec["targets"]:
        plots.training_length(curves, budgets, target, outputs[f"figure_{target}"])


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "training_length"  # config key; its summary rule is training_length_summary
REPORT = ("7. Research arms: training length", "training_length.rst")  # category, caption


def enabled(grid) -> bool:
    return bool(grid.budget_axis)


def summary_outputs(targets: list[str]) -> dict[str, str]:
    out = {
        "curves_csv": f"{SUMMARY_DIR}/curves.csv",
        "convergence_csv": f"{SUMMARY_DIR}/convergence.csv",
        "budgets_csv": f"{SUMMARY_DIR}/budget_scores.csv",
    }
    return out | {f"figure_{t}": f"{SUMMARY_DIR}/{t}.png" for t in targets}


def outputs(grid) -> dict[str, str]:
    return summary_outputs(grid.config["training_length"]["targets"])


def spec(grid) -> dict:
    """Every cell of the budget axis on the training-length targets, with its budget."""
    targets = grid.config["training_length"]["targets"]
    cells = [
        cell | budget
        for budget in grid.budget_axis
        for cell in files.research_cells(grid, [budget["arm"]], targets)
    ]
    return {"cells": cells, "targets": targets}


def inputs(grid) -> dict[str, list[str]]:
    cells = spec(grid)["cells"]
    return {"models": [c["model_dir"] for c in cells], "scores": [c["scores"] for c in cells]}
