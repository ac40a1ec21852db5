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

from xstilts.grid import BASELINE_AT_0, files, paths
from xstilts.summary.read import read_scores, task_scores

SUMMARY_DIR = paths.analysis_dir(__name__)
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
        figure(curves, budgets, target, outputs[f"figure_{target}"])


def figure(curves: pd.DataFrame, budgets: pd.DataFrame, target: str, out) -> None:
    """Learning curves of target training per intermediate budget (English validation; the
    mean of the other languages), and the test score and the steps to 95 % of the final
    English score against the budget."""
    from xstilts.summary.figures import empty, plt, sns

    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), dpi=120, layout="constrained")
    axes = axes.ravel()
    data = curves[curves.target == target]
    if data.empty:
        for ax in axes:
            empty(ax, f"no learning curves for {target}")
    else:
        hue_order = list(dict.fromkeys(data.sort_values(["task", "value"]).label))
        english = data[data.language == "en"]
        others = (
            data[data.language != "en"]
            .groupby(["model", "label", "seed", "step"], as_index=False)["score"]
            .mean()
        )
        panels = [
            (english, "English (validation)"),
            (others, "other languages (mean, test sample)"),
        ]
        for ax, (frame, title) in zip(axes[:2], panels, strict=True):
            if frame.empty:
                empty(ax, f"no {title}")
                continue
            sns.lineplot(
                data=frame,
                x="step",
                y="score",
                hue="label",
                hue_order=hue_order,
                ax=ax,
                marker="o",
                errorbar="sd",
                palette="viridis",
                style="model" if frame.model.nunique() > 1 else None,
            )
            ax.set_title(f"{target} learning curve: {title}", fontsize=9)
            ax.set_xlabel("target-training step")
            ax.set_ylabel("score")
            ax.legend(title="intermediate budget", fontsize=8)
        rows = budgets[budgets.target == target]
        for ax, (y, label) in zip(
            axes[2:],
            [
                ("test_score", "test score (mean over languages)"),
                ("steps_to_95", "steps to 95 % of the final English score"),
            ],
            strict=True,
        ):
            style = [c for c in ("model", "unit") if rows[c].nunique() > 1]
            sns.lineplot(
                data=rows,
                x="value",
                y=y,
                hue="task",
                marker="o",
                ax=ax,
                errorbar="sd",
                style=style[0] if style else None,
            )
            units = " or ".join(dict.fromkeys(rows.unit))
            ax.set_xlabel(f"intermediate-training budget ({units}; 0 = baseline)")
            ax.set_ylabel(label)
            ax.set_title(f"{target}: {label} by budget", fontsize=9)
    fig.suptitle(f"{target}: intermediate-training length, convergence and accuracy")
    fig.savefig(out)
    plt.close(fig)


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "training_length"  # config key; its summary rule is training_length_summary
REPORT = ("Research arms: training length", "training_length.rst")  # section title, caption
CELLS = None  # no jobs of its own: its summary reads finished cells
SCHEMA = None  # its config keys define arms: the grid's schema has them


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
