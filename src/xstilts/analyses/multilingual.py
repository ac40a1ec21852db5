"""Does intermediate training on translated or multilingual data beat English-only?

A translated arm (config key ``translated``) trains an intermediate task on its English data
and/or machine-translated copies in other languages; an mlm arm (config key ``mlm``) mixes
masked-LM batches of text in many languages into the task's English training. Their
evaluation cells record the languages they saw (``seen_languages``). Per target the summary
sets each such arm against the baseline and the same task trained on English alone, splits its
per-language gains into the languages it saw in intermediate training and the ones it did not,
and gives its gap to the English-only arm per model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from xstilts.analyses import sequences
from xstilts.grid import BASELINE, axes, files, paths
from xstilts.summary.read import read_scores
from xstilts.summary.tables import per_language_summary

SUMMARY_DIR = paths.analysis_dir(__name__)
FILES = {
    "scores_csv": "multilingual_scores.csv",
    "seen_csv": "gains_seen_unseen.csv",
    "gap_csv": "gap_by_model.csv",
    "table_md": "multilingual.md",
}


def reference_arms(specs: dict[str, dict], arms: list[str]) -> list[str]:
    """What translated and mlm arms are read against: the baseline and each task trained on English
    alone, those of them that are arms of the grid."""
    wanted = [BASELINE, *dict.fromkeys(spec["task"] for spec in specs.values())]
    return [arm for arm in wanted if arm in arms]


def read_seen(paths: list[str | Path]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(model, arm) → the languages of its intermediate training data, as its evaluation cells
    recorded them; an arm whose cells record none trained on English (the baseline: none)."""
    seen = {}
    for path in paths:
        cell = json.loads(Path(path).read_text())["cell"]
        default = () if cell["arm"] == BASELINE else ("en",)
        seen[cell["model"], cell["arm"]] = tuple(cell.get("seen_languages", default))
    return seen


def seen_unseen(values: pd.DataFrame, seen: dict) -> pd.DataFrame:
    """Per (model, arm, target, seen): the mean over languages of each language's gain over the
    baseline in the target's summary metric(s) (``values``: per_language), where ``seen`` says
    whether the arm's intermediate training data were in that language (``seen``: read_seen);
    ``languages`` the count."""
    columns = ["model", "arm", "target", "seen", "gain", "languages"]
    base = values[values.arm == BASELINE].drop(columns="arm")
    gains = values[values.arm != BASELINE].merge(
        base, on=["model", "target", "language"], suffixes=("", "_baseline")
    )
    if gains.empty:
        return pd.DataFrame(columns=columns)
    gains["gain"] = gains.value - gains.value_baseline
    cells = zip(gains.model, gains.arm, gains.language, strict=True)
    gains["seen"] = [lang in seen[m, a] for m, a, lang in cells]
    out = gains.groupby(["model", "arm", "target", "seen"], sort=False).agg(
        gain=("gain", "mean"), languages=("language", "nunique")
    )
    return out.reset_index()[columns]


def per_language(paths: list[str | Path]) -> pd.DataFrame:
    """Per (model, arm, target, language): the target's summary metric(s), mean over seeds."""
    return per_language_summary(*read_scores(paths), "value")


def encoder_parameters(model_dir: str | Path) -> int | None:
    """The number of encoder parameters of a model directory, from the tensor shapes in its
    safetensors headers (an 8-byte little-endian length, then a JSON header per file; sharded
    checkpoints have several files), without loading a weight. A masked-LM checkpoint's
    ``lm_head`` and a pooler are not the encoder's, and are left out. None: no safetensors."""
    total, files = 0, sorted(Path(model_dir).glob("*.safetensors"))
    for f in files:
        with f.open("rb") as fh:
            header = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
        for name, tensor in header.items():
            if name == "__metadata__" or name.startswith("lm_head.") or ".pooler." in f".{name}":
                continue
            total += math.prod(tensor["shape"])
    return total if files else None


def model_gaps(
    values: pd.DataFrame,
    seen: dict,
    scores: pd.DataFrame,
    english: dict[str, str],
    parameters: dict[str, int | None] | None = None,
) -> pd.DataFrame:
    """Per (model, arm, target): the translated or mlm arm minus its task trained on English alone
    (``english``: arm → task), in the summary score (``gap``) and averaged over the languages
    the arm saw and over the others (``gap_seen``, ``gap_unseen``). A row per model makes the
    model sizes comparable (``parameters``: model → its encoder's parameter count; rows go
    from the smallest model to the largest); an arm without its English arm in the grid has no
    row. ``values`` and ``seen`` as for seen_unseen; ``scores``: sequences.arm_scores."""
    parameters = parameters or {}
    columns = [
        "model",
        "parameters",
        "arm",
        "english_arm",
        "target",
        "gap",
        "gap_seen",
        "gap_unseen",
    ]
    score = scores.set_index(["model", "arm", "target"]).score
    values = values.set_index(["model", "arm", "target", "language"]).value
    rows = []
    for (model, arm, target), value in score.items():
        task = english.get(arm)
        if task is None or (model, task, target) not in score.index:
            continue
        diff = (values[model, arm, target] - values[model, task, target]).dropna()
        in_seen = diff.index.isin(seen[model, arm])
        rows.append(
            {
                "model": model,
                "parameters": parameters.get(model),
                "arm": arm,
                "english_arm": task,
                "target": target,
                "gap": value - score[model, task, target],
                "gap_seen": diff[in_seen].mean(),
                "gap_unseen": diff[~in_seen].mean(),
            }
        )
    out = pd.DataFrame(rows, columns=columns).astype({"parameters": "Int64"})
    # smallest first; a model of unknown size last
    out = out.sort_values(["parameters", "model"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def _size(parameters) -> str:
    """A parameter count as "0.36M" or "560M"; "size unknown" without one."""
    if pd.isna(parameters):
        return "size unknown"
    millions = parameters / 1e6
    return f"{millions:.2f}M" if millions < 10 else f"{millions:,.0f}M"


def markdown(scores: pd.DataFrame, split: pd.DataFrame, seen: dict, gaps: pd.DataFrame) -> str:
    lines = [
        "## Summary score per target (gain over the baseline)\n",
        "| model | arm | languages seen | target | score | gain |",
        "|---|---|---|---|---:|---:|",
    ]
    for r in scores.itertuples():
        langs = " ".join(seen.get((r.model, r.arm), ()))
        gain = "" if pd.isna(r.gain) else f"{r.gain:+.1f}"
        lines.append(f"| {r.model} | {r.arm} | {langs} | {r.target} | {r.score:.1f} | {gain} |")
    lines += [
        "\n## Mean gain over the baseline on languages seen / unseen in intermediate training\n",
        "| model | arm | target | seen | unseen |",
        "|---|---|---|---:|---:|",
    ]
    for (model, arm, target), g in split.groupby(["model", "arm", "target"], sort=False):
        cells = []
        for flag in (True, False):
            row = g[g.seen == flag]
            cells.append(
                "–" if row.empty else f"{row.gain.item():+.1f} ({row.languages.item()} langs)"
            )
        lines.append(f"| {model} | {arm} | {target} | {cells[0]} | {cells[1]} |")
    lines += [
        "\n## Translated or multilingual − English-only intermediate data, by model size\n",
        "Per model (smallest first, encoder parameters): the summary score's gap, and the mean "
        "per-language gap on the languages the arm saw and on the others.\n",
        "| arm | − English arm | target | "
        + " | ".join(
            f"{m} ({_size(p)}): all / seen / unseen"
            for m, p in dict(zip(gaps.model, gaps.parameters, strict=True)).items()
        )
        + " |",
        "|---|---|---|" + "---:|" * gaps.model.nunique(),
    ]
    for (arm, task, target), g in gaps.groupby(["arm", "english_arm", "target"], sort=False):
        by_model = g.set_index("model")
        cells = [
            " / ".join(_signed(by_model.loc[m, c]) for c in ("gap", "gap_seen", "gap_unseen"))
            if m in by_model.index
            else "–"
            for m in dict.fromkeys(gaps.model)
        ]
        lines.append(f"| {arm} | {task} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _signed(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:+.1f}"


def summarize(inputs: dict[str, list[str]], spec: dict, outputs: dict[str, str]) -> None:
    """``spec``: cells (xstilts.grid.files.research_cells of the translated and mlm arms and their
    references) and english (each such arm → its task, the English-only arm). Writes the
    scores, the seen/unseen split, the gap to English-only by model and a Markdown page;
    model_dirs (model → directory) give each model's size."""
    paths = [c["scores"] for c in spec["cells"]]
    for path in outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    scores = sequences.arm_scores(spec["cells"]).drop(columns="stages")
    values, seen = per_language(paths), read_seen(paths)  # each score file read once here
    split = seen_unseen(values, seen)
    parameters = {m: encoder_parameters(d) for m, d in spec.get("model_dirs", {}).items()}
    gaps = model_gaps(values, seen, scores, spec.get("english", {}), parameters)
    scores.to_csv(outputs["scores_csv"], index=False)
    split.to_csv(outputs["seen_csv"], index=False)
    gaps.to_csv(outputs["gap_csv"], index=False)
    Path(outputs["table_md"]).write_text(markdown(scores, split, seen, gaps))


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "multilingual"  # config keys translated and mlm; its summary rule is multilingual_summary
REPORT = None  # tables only: not in the HTML report
CELLS = None  # no jobs of its own: its summary reads finished cells
SCHEMA = None  # its config keys define arms: the grid's schema has them


def enabled(grid) -> bool:
    return bool(grid.translated_arms or grid.mlm_arms)


def outputs(grid=None) -> dict[str, str]:
    return {name: f"{SUMMARY_DIR}/{file}" for name, file in FILES.items()}


def spec(grid) -> dict:
    """The translated and mlm arms and their references (the baseline, each task on English
    alone) on each arm's targets."""
    specs = {arm: axes.language_spec(grid, arm) for arm in grid.translated_arms + grid.mlm_arms}
    references = reference_arms(specs, grid.arms)
    cells = [
        cell
        for arm, arm_spec in specs.items()
        for cell in files.research_cells(grid, references + [arm], arm_spec["targets"])
    ]
    return {
        "cells": list({c["scores"]: c for c in cells}.values()),
        "english": {arm: arm_spec["task"] for arm, arm_spec in specs.items()},
        # each model's size (its encoder's parameters) for the gap-by-model table
        "model_dirs": {m: files.model_dir(m) for m in dict.fromkeys(c["model"] for c in cells)},
    }


def inputs(grid) -> dict[str, list[str]]:
    this = spec(grid)
    return {
        "scores": [c["scores"] for c in this["cells"]],
        "models": list(this["model_dirs"].values()),
    }
