"""Does the order of sequential intermediate tasks matter?

A sequence arm trains its tasks one after another (``mnli-squad_v1``: MNLI, then SQuAD from
MNLI's encoder). Sequences of the same tasks in different orders form order pairs; per pair
and target the summary gives the difference of the two orders' scores with a 95 % interval
from the paired bootstrap the main grid's gains use (seeds and test examples resampled, the
second order as the reference), next to the baseline's and each task's single-stage scores.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from xstilts.grid import BASELINE, files, paths
from xstilts.grid import arms as arm_names
from xstilts.summary.bootstrap import bootstrap_gains
from xstilts.summary.read import read_scores, task_scores

SUMMARY_DIR = paths.analysis_dir(__name__)
FILES = {
    "scores_csv": "sequence_scores.csv",
    "pairs_csv": "order_pairs.csv",
    "pairs_md": "order_pairs.md",
    "figure": "orders.png",
}


def order_pairs(arms: list[str]) -> list[tuple[str, str]]:
    """Every pair of sequence arms over the same tasks in different orders, in listed order."""
    by_set: dict[tuple, list[str]] = {}
    for arm in arms:
        by_set.setdefault(tuple(sorted(arm_names.stages(arm))), []).append(arm)
    return [p for group in by_set.values() for p in itertools.combinations(group, 2)]


def reference_arms(arms: list[str], baseline: bool) -> list[str]:
    """What a sequence is read against: the baseline and each of its tasks trained alone."""
    singles = dict.fromkeys(s for arm in arms for s in arm_names.stages(arm))
    return ([BASELINE] if baseline else []) + list(singles)


def arm_scores(cells: list[dict]) -> pd.DataFrame:
    """Per (model, arm, target): the task's summary score averaged over seeds, its gain over the
    baseline (when the grid has one) and the arm's stages."""
    long, meta = read_scores([c["scores"] for c in cells])
    tasks = task_scores(long, meta)
    out = tasks.groupby(["model", "arm", "target"], sort=False, as_index=False).agg(
        score=("score", "mean"), seeds=("seed", "nunique"), complete=("complete", "all")
    )
    base = out[out.arm == BASELINE].set_index(["model", "target"]).score
    key = pd.MultiIndex.from_frame(out[["model", "target"]])
    out["gain"] = out.score.to_numpy() - base.reindex(key).to_numpy()
    out["stages"] = [len(arm_names.stages(a)) if a != BASELINE else 0 for a in out.arm]
    return out[["model", "arm", "stages", "target", "score", "gain", "seeds", "complete"]]


def compare_orders(cells: list[dict], pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Per order pair (first, second) and target: first − second with its bootstrap interval;
    an "xtreme_avg" row per pair over the XTREME targets both orders have."""
    rows = []
    for first, second in pairs:
        mine = [c for c in cells if c["arm"] in (first, second)]
        table, _ = bootstrap_gains(
            [c["scores"] for c in mine], [c["examples"] for c in mine], reference=second
        )
        table = table[table.arm == first].rename(columns={"arm": "first", "gain": "difference"})
        table.insert(2, "second", second)
        rows.append(table)
    columns = ["model", "first", "second", "target", "difference", "ci_low", "ci_high"]
    columns += ["significant", "seeds", "resamples", "targets"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def pairs_markdown(pairs: pd.DataFrame) -> str:
    if pairs.empty:
        return "No order pairs: the grid has no two orders of the same intermediate tasks.\n"
    lines = ["| model | first | second | target | first − second [95 % CI] |", "|---" * 5 + "|"]
    for r in pairs.itertuples():
        mark = "†" if r.significant else ""
        interval = f"{r.difference:+.1f} [{r.ci_low:+.1f}, {r.ci_high:+.1f}]{mark}"
        # the XTREME average over the targets both orders have (n of the 9 XTREME tasks)
        target = f"XTREME avg ({r.targets} tasks)" if r.target == "xtreme_avg" else r.target
        lines.append(f"| {r.model} | {r.first} | {r.second} | {target} | {interval} |")
    lines += [
        "",
        "Difference of the two orders' scores (first − second) with a 95 % interval from a "
        f"paired bootstrap ({int(pairs.resamples.iloc[0])} draws) over seeds and test "
        "examples. † the interval excludes 0: the order matters on that target.",
    ]
    return "\n".join(lines) + "\n"


def summarize(inputs: dict[str, list[str]], spec: dict, outputs: dict[str, str]) -> None:
    """``spec``: cells (xstilts.grid.files.research_cells of the sequence and reference arms)
    and pairs (order pairs). Writes the arm scores, the order comparisons and a figure."""
    cells = spec["cells"]
    for path in outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    scores = arm_scores(cells) if cells else pd.DataFrame()
    pairs = compare_orders(cells, [tuple(p) for p in spec["pairs"]])
    scores.to_csv(outputs["scores_csv"], index=False)
    pairs.to_csv(outputs["pairs_csv"], index=False)
    Path(outputs["pairs_md"]).write_text(pairs_markdown(pairs))
    figure(scores, spec["arms"], outputs["figure"])


def figure(scores: pd.DataFrame, sequences: list[str], out) -> None:
    """Each target's score (mean over seeds and languages) of the baseline, each task trained
    alone and every order of the sequences: a panel per (model, target)."""
    from xstilts.summary.figures import empty, plt, sns

    targets = list(dict.fromkeys(scores.target)) if len(scores) else []
    models = list(dict.fromkeys(scores.model)) if len(scores) else []
    fig, axes = plt.subplots(
        max(1, len(models)),
        max(1, len(targets)),
        figsize=(1 + 4 * max(1, len(targets)), 0.5 + 3.7 * max(1, len(models))),
        dpi=120,
        layout="constrained",
        squeeze=False,
    )
    if not targets:
        empty(axes[0][0], "no sequence arms scored")
    order = [a for a in dict.fromkeys(scores.arm) if a not in sequences] if targets else []
    order += [a for a in sequences if targets and a in set(scores.arm)]
    for row, model in zip(axes, models, strict=False):
        for ax, target in zip(row, targets, strict=False):
            data = scores[(scores.target == target) & (scores.model == model)]
            if data.empty:
                empty(ax, f"{model}: no {target} scores")
                continue
            kind = ["sequence" if a in sequences else "reference" for a in data.arm]
            sns.barplot(
                data=data.assign(kind=kind),
                x="score",
                y="arm",
                hue="kind",
                order=order,
                ax=ax,
                palette={"sequence": "#4c72b0", "reference": "#bbbbbb"},
                errorbar=None,
            )
            for container in ax.containers:
                ax.bar_label(container, fmt="%.1f", fontsize=8, padding=2)
            ax.set_xlim(0, 1.15 * max(1.0, float(data.score.max())))
            ax.set_title(f"{target} ({model})" if len(models) > 1 else target)
            ax.set_xlabel("score (mean over languages and seeds)")
            ax.set_ylabel("arm (sequences: tasks in training order)")
            if ax.get_legend() is not None:
                ax.get_legend().remove()
    fig.suptitle(
        "Order of sequential intermediate tasks (blue) against the baseline and each "
        "task alone (grey)"
    )
    fig.savefig(out)
    plt.close(fig)


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "sequence"  # config key sequences; its summary rule is sequence_summary
REPORT = ("Research arms: task order", "sequences.rst")  # section title, caption
CELLS = None  # no jobs of its own: its summary reads finished cells
SCHEMA = None  # its config keys define arms: the grid's schema has them


def enabled(grid) -> bool:
    return bool(grid.sequence_arms)


def outputs(grid=None) -> dict[str, str]:
    return {name: f"{SUMMARY_DIR}/{file}" for name, file in FILES.items()}


def spec(grid) -> dict:
    """The sequence arms and their references (the baseline, each task alone) on the sequence
    targets, and the order pairs."""
    arms = list(grid.sequence_arms)
    references = reference_arms(arms, grid.config["baseline"])
    targets = grid.config["sequences"]["targets"]
    return {
        "arms": arms,
        "cells": files.research_cells(grid, references + arms, targets),
        "pairs": order_pairs(arms),
    }


def inputs(grid) -> dict[str, list[str]]:
    cells = spec(grid)["cells"]
    return {"scores": [c["scores"] for c in cells], "examples": [c["examples"] for c in cells]}
