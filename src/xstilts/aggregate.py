"""Aggregation: per-cell score files → long table, arm × target table, gains over the baseline.

Reads only the score JSON files the evaluation jobs write (task, languages, metrics, the
expected languages); knows nothing task-specific beyond the XTREME task table. Averages follow
google-research/xtreme's evaluate.py: per task, each metric is averaged uniformly over
languages and the task's summary score is the mean of its ``avg_metrics`` (accuracy for
XNLI/PAWS-X); the XTREME score is the unweighted mean of the task summaries. A task average over
fewer languages than the task has, or an XTREME average over fewer than its nine tasks, is
computed over what is there and marked incomplete, never passed off as complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from xstilts import score as xtreme_score
from xstilts.benchmarks import TASKS as BENCHMARK_TASKS
from xstilts.benchmarks import XTREME_TASKS

BASELINE = "baseline"
CELL = ["model", "arm", "seed"]


def read_scores(paths: list[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long table (model, arm, seed, target, language, metric, value) + task metadata."""
    rows, meta = [], []
    for path in paths:
        doc = json.loads(Path(path).read_text())
        cell = doc["cell"]
        for lang, scores in doc["languages"].items():
            for metric, value in scores.items():
                rows.append(
                    {
                        "model": cell["model"],
                        "arm": cell["arm"],
                        "seed": cell["seed"],
                        "target": doc["task"],
                        "language": lang,
                        "metric": metric,
                        "value": float(value),
                    }
                )
        meta.append(
            {
                "target": doc["task"],
                "avg_metrics": tuple(doc["avg_metrics"]),
                "expected_languages": tuple(doc["expected_languages"]),
                "notes": tuple(doc.get("notes", ())),
            }
        )
    long = pd.DataFrame(rows, columns=[*CELL, "target", "language", "metric", "value"])
    meta_df = pd.DataFrame(meta).drop_duplicates("target").set_index("target")
    return long, meta_df


def task_scores(long: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, arm, seed, target): summary score and language coverage."""
    out = []
    for (model, arm, seed, target), g in long.groupby([*CELL, "target"], sort=False):
        keys = meta.loc[target, "avg_metrics"]
        expected = meta.loc[target, "expected_languages"]
        g = g[g.language.isin(expected)]  # a score for a language outside the task: not counted
        if target in BENCHMARK_TASKS:  # evaluate.py's rule, the code `xstilts score` runs
            per_language = {
                lang: dict(zip(x.metric, x.value, strict=True))
                for lang, x in g.groupby("language", sort=False)
            }
            summary = xtreme_score.task_summary(target, per_language)
            score = float(summary.get("avg_metric", float("nan")))
        else:
            per_metric = g[g.metric.isin(keys)].groupby("metric")["value"].mean()
            score = float(per_metric.reindex(list(keys)).mean())
        langs = set(g.language)
        out.append(
            {
                "model": model,
                "arm": arm,
                "seed": seed,
                "target": target,
                "score": score,
                "n_languages": len(langs & set(expected)),
                "expected_languages": len(expected),
                "complete": set(expected) <= langs,
            }
        )
    return pd.DataFrame(out)


def arm_target_table(tasks: pd.DataFrame) -> pd.DataFrame:
    """Arm × target summary (mean over seeds) with the XTREME average and its coverage.

    The XTREME average is taken over the XTREME targets an arm has; ``xtreme_tasks`` says how
    many of the nine that is, and ``xtreme_complete`` is true only for all nine with all their
    languages. Cells with missing languages, or a target an arm lacks, are listed in
    ``attrs["incomplete_cells"]``.
    """
    by = ["model", "arm", "target"]
    agg = (
        tasks.groupby(by, sort=False)
        .agg(score=("score", "mean"), complete=("complete", "all"))
        .reset_index()
    )
    table = agg.pivot_table(index=["model", "arm"], columns="target", values="score", sort=False)
    complete = (
        agg.pivot_table(
            index=["model", "arm"], columns="target", values="complete", aggfunc="all", sort=False
        )
        .reindex(index=table.index, columns=table.columns)
        .astype("boolean")
        .fillna(False)  # a target the arm lacks is incomplete
        .astype(bool)
    )
    present = [t for t in XTREME_TASKS if t in table.columns]
    table["xtreme_avg"] = table[present].mean(axis=1, skipna=True)
    n_tasks = table[present].notna().sum(axis=1)
    table["xtreme_tasks"] = [f"{int(n)}/{len(XTREME_TASKS)}" for n in n_tasks]
    table["xtreme_complete"] = (n_tasks == len(XTREME_TASKS)) & complete[present].all(axis=1)
    table.attrs["incomplete_cells"] = sorted(
        (m, a, t) for (m, a), row in complete.iterrows() for t, ok in row.items() if not ok
    )
    return table


def gains_by_language(long: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Per-language gain of every arm over the baseline arm (same model, seed, metric)."""
    base = long[long.arm == BASELINE].drop(columns="arm").rename(columns={"value": "baseline"})
    other = long[long.arm != BASELINE]
    merged = other.merge(base, on=["model", "seed", "target", "language", "metric"], how="inner")
    merged["gain"] = merged["value"] - merged["baseline"]
    return merged[
        ["model", "arm", "seed", "target", "language", "metric", "value", "baseline", "gain"]
    ]


def gains_table(table: pd.DataFrame) -> pd.DataFrame:
    """Arm × target gains over the baseline arm of the same model (summary scores)."""
    scores = table.drop(columns=["xtreme_tasks", "xtreme_complete"])
    out = []
    for model, g in scores.groupby(level="model", sort=False):
        if (model, BASELINE) not in g.index:
            continue
        diff = g.sub(g.loc[(model, BASELINE)], axis=1).drop(index=(model, BASELINE))
        out.append(diff)
    return pd.concat(out) if out else scores.iloc[0:0]


def metric_table(long: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Every reported metric (e.g. EM and F1 for QA), averaged over the task's languages and
    then over seeds: rows (model, arm), columns (target, metric)."""
    expected = {t: set(langs) for t, langs in meta["expected_languages"].items()}
    keep = [lang in expected[t] for t, lang in zip(long.target, long.language, strict=True)]
    per_seed = long[keep].groupby([*CELL, "target", "metric"], sort=False)["value"].mean()
    means = per_seed.groupby(["model", "arm", "target", "metric"], sort=False).mean()
    return means.unstack(["target", "metric"])


def metric_label(avg_metrics) -> str:
    """How a task's summary score is made: "accuracy", or "(exact_match + f1)/2"."""
    avg_metrics = list(avg_metrics)
    if len(avg_metrics) == 1:
        return avg_metrics[0]
    return f"({' + '.join(avg_metrics)})/{len(avg_metrics)}"


def xtreme_label(table: pd.DataFrame) -> str:
    """The XTREME column's label, with its coverage when it is incomplete ("5/9 tasks")."""
    if table.empty or table["xtreme_complete"].all():
        return "XTREME avg"
    coverage = "/".join(sorted(set(table["xtreme_tasks"])))
    return f"XTREME avg*\n({coverage} tasks)"


def metrics_markdown(metrics: pd.DataFrame) -> str:
    header = ["model", "arm"] + [f"{t} {m}" for t, m in metrics.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, arm), row in metrics.iterrows():
        lines.append("| " + " | ".join([model, arm] + [_fmt(v, True) for v in row]) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float, complete: bool) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:.1f}" + ("" if complete else "*")


def markdown(table: pd.DataFrame, metric_names: dict[str, str]) -> str:
    targets = [
        c for c in table.columns if c not in ("xtreme_avg", "xtreme_tasks", "xtreme_complete")
    ]
    incomplete = set(map(tuple, table.attrs.get("incomplete_cells", [])))
    header = (
        ["model", "arm"] + [f"{t} ({metric_names.get(t, '')})" for t in targets] + ["XTREME avg"]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, arm), row in table.iterrows():
        cells = [model, arm] + [_fmt(row[t], (model, arm, t) not in incomplete) for t in targets]
        avg = _fmt(row["xtreme_avg"], bool(row["xtreme_complete"]))
        cells.append(avg if row["xtreme_complete"] else f"{avg} ({row['xtreme_tasks']} tasks)")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "`*` incomplete: the average covers fewer languages or tasks than the "
        "benchmark has (XTREME has 9 tasks); it is not comparable to a full score.",
    ]
    return "\n".join(lines) + "\n"


def latex(table: pd.DataFrame) -> str:
    targets = [
        c for c in table.columns if c not in ("xtreme_avg", "xtreme_tasks", "xtreme_complete")
    ]
    incomplete = set(map(tuple, table.attrs.get("incomplete_cells", [])))
    cols = "ll" + "r" * (len(targets) + 1)
    lines = [
        r"\begin{tabular}{" + cols + "}",
        r"\toprule",
        " & ".join(["Model", "Arm", *targets, "XTREME avg"]) + r" \\",
        r"\midrule",
    ]
    for (model, arm), row in table.iterrows():
        cells = [model.replace("_", r"\_"), arm.replace("_", r"\_")]
        cells += [_fmt(row[t], (model, arm, t) not in incomplete) for t in targets]
        cells.append(_fmt(row["xtreme_avg"], bool(row["xtreme_complete"])))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def summarize(score_files: list[str | Path], outputs: dict[str, str | Path]) -> None:
    """Write every summary file; ``outputs`` maps the names in grid.SUMMARY_FILES to paths."""
    from xstilts import plots  # seaborn only where figures are drawn

    long, meta = read_scores(score_files)
    tasks = task_scores(long, meta)
    table = arm_target_table(tasks)
    gains = gains_by_language(long, meta)
    metric_names = {t: metric_label(m) for t, m in meta["avg_metrics"].items()}
    metrics = metric_table(long, meta)
    notes = [f"- {t}: {n}" for t, ns in meta["notes"].items() for n in ns]
    report = (
        "## Summary score per target (language average) and XTREME average\n\n"
        + markdown(table, metric_names)
        + "\n## Every metric (language average, mean over seeds)\n\n"
        + metrics_markdown(metrics)
        + ("\n## Notes\n\n" + "\n".join(notes) + "\n" if notes else "")
    )
    writers = {
        "long_parquet": lambda p: long.to_parquet(p, index=False),
        "long_csv": lambda p: long.to_csv(p, index=False),
        "table_csv": lambda p: table.to_csv(p),
        "table_md": lambda p: Path(p).write_text(report),
        "metrics_csv": lambda p: metrics.to_csv(p),
        "table_tex": lambda p: Path(p).write_text(latex(table)),
        "gains_parquet": lambda p: gains.to_parquet(p, index=False),
        "gains_csv": lambda p: gains.to_csv(p, index=False),
        "heatmap": lambda p: plots.gain_heatmap(gains_table(table), p, xtreme_label(table)),
    }
    for name, path in outputs.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        writers[name](path)
