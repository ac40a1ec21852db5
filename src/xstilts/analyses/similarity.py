"""Task similarity from the pretrained encoder, and how it relates to gain and robustness.

A task's embedding is the mean, over its first ``n`` English training inputs, of the
mean-pooled hidden states after the model's retrieval layer (the sentence embedding BUCC and
Tatoeba use), as in Vu et al. (2020)'s TextEmb. Mean embeddings of a pretrained encoder share a
large common direction (every cosine is near 1), so the similarity is the cosine after
subtracting the mean of all the tasks' embeddings; the raw cosine is kept too. Centred cosines
are relative to the set of tasks embedded (with two tasks they are always −1), so the config
check asks for at least three.

The analysis relates the similarity of each single-task arm to each target with the arm's gain
over the baseline and with its robustness (the baseline's drop under perturbation minus the
arm's: positive = the arm is more robust), per language family, by Spearman rank correlation.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from xstilts import analyses, languages
from xstilts import tasks as task_registry
from xstilts.grid import axes, cells, files, paths

log = logging.getLogger("xstilts")


# ---- measures ----


def cosine_matrix(vectors: np.ndarray, centre: bool = True) -> np.ndarray:
    """Cosine between every pair of rows, after subtracting the rows' mean when ``centre``."""
    x = np.asarray(vectors, dtype=float)
    if centre:
        x = x - x.mean(0, keepdims=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    return x @ x.T


def spearman(a, b) -> float:
    """Spearman's rank correlation: Pearson's on average ranks (ties share their mean rank);
    NaN when fewer than three pairs or either side is constant."""
    frame = pd.DataFrame({"a": list(a), "b": list(b)}).dropna()
    if len(frame) < 3:
        return float("nan")
    ra, rb = frame["a"].rank(), frame["b"].rank()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


# ---- the embedding job: one per model, on the pretrained encoder ----


def task_embedding(encoder, sequences: list[list[int]], pad_id: int, layer: int, precision: str):
    """The mean over ``sequences`` of their mean-pooled hidden states after ``layer``."""
    import torch

    from xstilts.tasks.base import pad
    from xstilts.tasks.heads import MeanPooler
    from xstilts.training.inference import device_and_autocast

    device, autocast = device_and_autocast(precision)
    pooler, total = MeanPooler(layer), None
    for start in range(0, len(sequences), 32):
        chunk = sequences[start : start + 32]
        ids = pad(chunk, pad_id)
        mask = torch.zeros_like(ids)
        for i, s in enumerate(chunk):
            mask[i, : len(s)] = 1
        with torch.no_grad(), autocast():
            vectors = pooler(
                encoder, {"input_ids": ids.to(device), "attention_mask": mask.to(device)}
            )
        part = vectors.float().sum(0)
        total = part if total is None else total + part
    return (total / len(sequences)).cpu().numpy()


def embed_tasks(
    model_dir: str | Path, features: dict[str, str], cell: dict, out_path: str | Path
) -> pd.DataFrame:
    """Embed every task of ``features`` (task → its features directory) and write the
    similarity of every pair as a long table: task_a, task_b, similarity, raw_cosine."""

    from xstilts.data.disk import load_split
    from xstilts.evaluation.encoder import check_layer
    from xstilts.modeling import model as modeling
    from xstilts.training.inference import device_and_autocast

    device, _ = device_and_autocast(cell["precision"])
    encoder, tokenizer = modeling.load_encoder(model_dir, device)
    check_layer(cell["layer"], encoder, cell["model"])
    names, vectors = [], []
    for name, directory in features.items():
        task = task_registry.get(name)
        train = load_split(Path(directory) / "train")
        rows = train.select(range(min(cell["examples"], len(train))))
        sequences = task.embedding_inputs(rows)
        vectors.append(
            task_embedding(
                encoder, sequences, tokenizer.pad_token_id, cell["layer"], cell["precision"]
            )
        )
        names.append(name)
        log.info("%s: %d inputs embedded", name, len(sequences))
    centred, raw = cosine_matrix(np.stack(vectors)), cosine_matrix(np.stack(vectors), False)
    table = pd.DataFrame(
        [
            {"model": cell["model"], "task_a": a, "task_b": b}
            | {"similarity": float(centred[i, j]), "raw_cosine": float(raw[i, j])}
            for i, a in enumerate(names)
            for j, b in enumerate(names)
        ]
    )
    table.to_csv(out_path, index=False)
    return table


# ---- the analysis ----


def _family_gains(gains: pd.DataFrame) -> pd.DataFrame:
    """Mean gain of the target's summary metrics (EM and F1 for QA) over seeds and the family's
    languages per (model, arm, target, family); plus the family "all" (every language)."""
    summary = {t: task_registry.get(t).avg_metrics for t in gains.target.unique()}
    keep = [m in summary[t] for t, m in zip(gains.target, gains.metric, strict=True)]
    gains = gains.loc[np.array(keep, dtype=bool)]
    per_lang = gains.groupby(["model", "arm", "target", "language"], as_index=False)["gain"].mean()
    per_lang["family"] = per_lang["language"].map(languages.family)
    keys = ["model", "arm", "target"]
    by_family = per_lang.groupby(keys + ["family"], as_index=False)["gain"].mean()
    overall = per_lang.groupby(keys, as_index=False)["gain"].mean().assign(family="all")
    return pd.concat([overall, by_family], ignore_index=True)


def _family_robustness(long: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per (model, arm, target, family): the baseline's mean drop minus the arm's (over
    perturbations, seeds and the family's languages); positive = more robust than baseline."""
    drops = long.groupby(["model", "arm", "target", "language"], as_index=False)["drop"].mean()
    drops["family"] = drops["language"].map(languages.family)
    keys = ["model", "arm", "target"]
    frames = [
        drops.groupby(keys, as_index=False)["drop"].mean().assign(family="all"),
        drops.groupby(keys + ["family"], as_index=False)["drop"].mean(),
    ]
    out = pd.concat(frames, ignore_index=True)
    base = out[out.arm == baseline].drop(columns="arm").rename(columns={"drop": "base_drop"})
    out = out[out.arm != baseline].merge(base, on=["model", "target", "family"])
    out["robustness_gain"] = out["base_drop"] - out["drop"]
    return out


def analyse(
    similarity: pd.DataFrame,
    gains: pd.DataFrame,
    robustness: pd.DataFrame | None,
    baseline: str = "baseline",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points (model, arm, target, family, similarity, gain[, robustness_gain]) for single-task
    arms, and per (model, family, outcome) the Spearman correlation over those points."""
    sim = similarity.rename(columns={"task_a": "arm", "task_b": "target"})
    sim = sim[sim.arm != sim.target][["model", "arm", "target", "similarity"]]
    points = _family_gains(gains).merge(sim, on=["model", "arm", "target"])
    outcomes = ["gain"]
    if robustness is not None and not robustness.empty:
        robust = _family_robustness(robustness, baseline)[
            ["model", "arm", "target", "family", "robustness_gain"]
        ]
        points = points.merge(robust, on=["model", "arm", "target", "family"], how="left")
        outcomes.append("robustness_gain")
    rows = []
    for (model, family), group in points.groupby(["model", "family"], sort=False):
        for outcome in outcomes:
            pairs = group[["similarity", outcome]].dropna()
            rows.append(
                {"model": model, "family": family, "outcome": outcome, "points": len(pairs)}
                | {"spearman": spearman(pairs["similarity"], pairs[outcome])}
            )
    return points, pd.DataFrame(rows, columns=["model", "family", "outcome", "points", "spearman"])


def summarize(inputs: dict[str, list[str]], spec: None, outputs: dict[str, str]) -> None:
    """From each model's task similarities, the main grid's gains and (when the grid has
    one) the robustness table: the similarity table, the points, the correlations per family
    and outcome, and a figure."""
    similarity = pd.concat([pd.read_csv(f) for f in inputs["similarity"]], ignore_index=True)
    similarity.to_csv(outputs["similarity_csv"], index=False)
    (gains_file,) = inputs["gains"]
    gains = pd.read_csv(gains_file)
    robust = pd.read_csv(inputs["robustness"][0]) if inputs["robustness"] else None
    points, correlations = analyse(similarity, gains, robust)
    points.to_csv(outputs["points_csv"], index=False)
    correlations.to_csv(outputs["correlations_csv"], index=False)
    figure(similarity, points, correlations, outputs["figure"])
    log.info("similarity: %s", json.dumps(correlations.to_dict("records"))[:2000])


def figure(table: pd.DataFrame, points: pd.DataFrame, correlations: pd.DataFrame, out) -> None:
    """The intermediate × target similarity matrix, and gain (and robustness gain) against
    similarity over all languages, one point per (arm, target), coloured by target."""
    from xstilts.summary.figures import plt, sns

    outcomes = [o for o in ("gain", "robustness_gain") if o in points]
    fig, axes = plt.subplots(
        1, 1 + len(outcomes), figsize=(6 + 5 * len(outcomes), 5.5), dpi=120, layout="constrained"
    )
    model = table.model.iloc[0]
    arms = sorted(set(points.arm)) or sorted(set(table.task_a))
    targets = list(dict.fromkeys(points.target)) or sorted(set(table.task_b))
    matrix = table[table.model == model].pivot_table(
        index="task_a", columns="task_b", values="similarity"
    )
    sns.heatmap(
        matrix.reindex(index=arms, columns=targets),
        ax=axes[0],
        annot=True,
        fmt=".2f",
        cmap="vlag",
        center=0,
        vmin=-1,
        vmax=1,
        cbar_kws={"label": "centred cosine"},
    )
    axes[0].set_xlabel("target task")
    axes[0].set_ylabel("intermediate task")
    axes[0].set_title(f"task similarity ({model}, pretrained encoder)", fontsize=9)
    overall = points[(points.family == "all") & (points.model == model)]
    labels = {"gain": "gain over baseline (points)", "robustness_gain": "robustness gain (points)"}
    for ax, outcome in zip(axes[1:], outcomes, strict=True):
        data = overall.dropna(subset=[outcome])
        sns.scatterplot(
            data=data,
            x="similarity",
            y=outcome,
            hue="target",
            style="target",
            ax=ax,
            palette="colorblind",
            s=60,
        )
        ax.axhline(0, color="black", linewidth=0.6)
        rho = correlations[
            (correlations.model == model)
            & (correlations.family == "all")
            & (correlations.outcome == outcome)
        ]
        value = rho.spearman.iloc[0] if len(rho) else float("nan")
        ax.set_title(f"{labels[outcome]} vs similarity: Spearman ρ = {value:.2f}", fontsize=9)
        ax.set_xlabel("similarity of the intermediate task to the target (centred cosine)")
        ax.set_ylabel(labels[outcome])
    fig.savefig(out)
    plt.close(fig)


# ---- its cells: one job per model, rule task_similarity ----


def similarity_cells(grid) -> list[dict]:
    """The wildcards of every similarity cell: each model, when the config asks for it."""
    if not grid.config["similarity"]["enabled"]:
        return []
    return [{"model": m} for m in grid.models]


def similarity_cell(grid, model: str) -> dict:
    """A similarity cell's params: the layer, the examples and each task's features."""
    return {
        "model": model,
        "layer": cells.retrieval_layer(grid, model),
        "examples": grid.config["similarity"]["examples"],
        "precision": grid.config["precision"],
        "features": {t: files.features_dir(model, t) for t in axes.similarity_tasks(grid)},
    }


def similarity_inputs(grid, model: str) -> dict:
    """The pretrained encoder and the prepared features of every task it embeds."""
    return {
        "encoder": files.model_dir(model),
        "features": list(similarity_cell(grid, model)["features"].values()),
    }


def embed_cell(cell: dict, inputs: dict, outputs: dict) -> None:
    embed_tasks(inputs["encoder"], cell["features"], cell, outputs["similarity"])


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "similarity"  # config key; its summary rule is similarity_summary
REPORT = ("Research arms: task similarity", "similarity.rst")  # section title, caption
CELLS = analyses.CellJobs(
    rule="task_similarity",
    key="{model}",
    outputs={"similarity": ".csv"},
    cells=similarity_cells,
    cell=similarity_cell,
    inputs=similarity_inputs,
    run="embed_cell",
)
SUMMARY_DIR = paths.analysis_dir(__name__)
SCHEMA = """
similarity:
  description: >-
    similarity of every intermediate task to every target from the pretrained encoder, related
    to gains and robustness per language family
  type: object
  default: {}
  additionalProperties: false
  properties:
    enabled: {type: boolean, default: false}
    examples:
      description: English training inputs embedded per task (the first n)
      type: integer
      minimum: 2
      default: 1000
"""


def enabled(grid) -> bool:
    return bool(grid.config["similarity"]["enabled"])


def outputs(grid=None) -> dict[str, str]:
    return {
        "similarity_csv": f"{SUMMARY_DIR}/task_similarity.csv",
        "points_csv": f"{SUMMARY_DIR}/similarity_points.csv",
        "correlations_csv": f"{SUMMARY_DIR}/correlations.csv",
        "figure": f"{SUMMARY_DIR}/similarity.png",
    }


def inputs(grid) -> dict[str, list[str]]:
    """Each model's task similarities (rule task_similarity), the main grid's gains and the
    robustness table the similarity is related to, when the grid has one."""
    from xstilts.analyses import robustness

    return {
        "similarity": analyses.cell_files(__name__, CELLS, grid),
        "gains": [paths.summary_outputs()["gains_csv"]],
        "robustness": [robustness.outputs(grid)["long_csv"]] if robustness.enabled(grid) else [],
    }


def spec(grid) -> None:
    """The summary needs nothing beyond its inputs."""
    return None
