"""The summary's tables: arm × target, benchmark (task, group and benchmark scores), the best
arm per target, gains over the baseline per language and per language family, every metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xstilts.benchmarks import XTREME_TASKS
from xstilts.summary.bootstrap import gain_interval
from xstilts.summary.read import BASELINE, CELL, task_scores

NON_TARGET_COLUMNS = ("xtreme_avg", "xtreme_tasks", "xtreme_complete")


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


def benchmark_table(long: pd.DataFrame, meta: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """One benchmark's scores per (model, arm), as google-research/xtreme's evaluate.py
    computes them with ``--xtreme_version <benchmark>``, from the targets the grid has.

    Each of the benchmark's tasks is averaged over the benchmark's languages for it (XTREME-R
    adds languages to PAN-X, UD-POS, Tatoeba and XQuAD), then over seeds; a group score (such
    as ``qa``) is the mean of its tasks and reported only when every one is there, as in
    evaluate.py; the benchmark score ``avg`` is the unweighted mean over the benchmark's tasks
    that are there, with ``tasks`` ("7/10") saying how many, and ``complete`` only when all of
    them were scored in all of their languages. Long form: one row per (model, arm, column),
    ``kind`` task, group or average.
    """
    from xstilts.benchmarks import BENCHMARKS

    table = BENCHMARKS[benchmark]
    rows = []
    present = long[long.target.isin(table.tasks)]
    if present.empty:
        return pd.DataFrame(
            columns=["benchmark", "model", "arm", "kind", "name", "score", "tasks", "complete"]
        )
    per_seed = task_scores(present, meta, {t: table.languages[t] for t in table.tasks})
    cells = per_seed.groupby(["model", "arm", "target"], sort=False).agg(
        score=("score", "mean"), complete=("complete", "all")
    )
    for (model, arm), g in cells.groupby(level=["model", "arm"], sort=False):
        scores = {t: float(s) for (_, _, t), s in g["score"].items() if pd.notna(s)}
        complete = {t: bool(c) for (_, _, t), c in g["complete"].items()}
        names = [t for t in table.tasks if t in scores]
        base = {"benchmark": benchmark, "model": model, "arm": arm}
        for task in names:
            rows.append(base | _bench_row("task", task, [scores[task]], [complete[task]], 1))
        for group, tasks in table.groups.items():
            if all(t in scores for t in tasks):
                values = [scores[t] for t in tasks]
                flags = [complete[t] for t in tasks]
                rows.append(base | _bench_row("group", group, values, flags, len(tasks)))
        values, flags = [scores[t] for t in names], [complete[t] for t in names]
        rows.append(base | _bench_row("average", "avg", values, flags, len(table.tasks)))
    return pd.DataFrame(rows)


def _bench_row(kind: str, name: str, values: list, flags: list, of: int) -> dict:
    """A benchmark table row: the mean of ``values`` (task scores), over ``of`` needed."""
    n = len(values)
    return {
        "kind": kind,
        "name": name,
        "score": float(np.mean(values)),
        "tasks": f"{n}/{of}",
        "complete": n == of and all(flags),
    }


def arm_target_std(tasks: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame | None:
    """The standard deviation over seeds (sample, ddof=1) of every number in ``table``: of
    each target's summary score, and of the per-seed XTREME average; None with one seed."""
    if tasks["seed"].nunique() < 2:
        return None
    per_seed = tasks.pivot_table(
        index=["model", "arm", "seed"], columns="target", values="score", sort=False
    )
    present = [t for t in XTREME_TASKS if t in per_seed.columns]
    per_seed["xtreme_avg"] = per_seed[present].mean(axis=1, skipna=True)
    std = per_seed.groupby(level=["model", "arm"], sort=False).std(ddof=1)
    return std.reindex(index=table.index, columns=[c for c in table.columns if c in std.columns])


def best_table(
    table: pd.DataFrame, validation: pd.DataFrame, draws: dict | None = None
) -> pd.DataFrame:
    """The paper's headline: per model and target, the arm best on English validation (mean
    over seeds; xstilts.submission.choose_arms, the rule the "best" submission uses), its test
    score, the baseline's and the gain; then an XTREME average row over the XTREME targets
    present (the chosen arms' scores against the baseline's on the same targets)."""
    from xstilts.summary.submission import choose_arms

    rows = []
    for model, g in table.groupby(level="model", sort=False):
        arms = [a for _, a in g.index]
        val = validation[validation.model == model]
        mean_val = val.groupby(["target", "arm"], sort=False)["validation"].mean()
        targets = [c for c in g.columns if c not in NON_TARGET_COLUMNS]
        by_target = {  # target -> arm -> mean validation, over the arms scored on the target
            t: {
                a: _none_if_nan(mean_val.get((t, a)))
                for a in arms
                if pd.notna(g.loc[(model, a), t])
            }
            for t in targets
        }
        chosen = choose_arms({t: v for t, v in by_target.items() if v})
        base = (model, BASELINE) if (model, BASELINE) in g.index else None
        for t, pick in chosen.items():
            if pick["arm"] not in arms:  # no validation score, and no baseline to fall back on
                continue
            score = float(g.loc[(model, pick["arm"]), t])
            baseline = float(g.loc[base, t]) if base is not None else float("nan")
            sample = (draws or {}).get((model, pick["arm"], t))
            rows.append(
                {
                    "model": model,
                    "target": t,
                    "arm": pick["arm"],
                    "basis": pick["basis"],
                    "validation": pick["validation"],
                    "score": score,
                    "baseline": baseline,
                    "gain": score - baseline,
                }
                | gain_interval(sample)
            )
        picked = [r for r in rows if r["model"] == model and r["target"] in XTREME_TASKS]
        if picked:
            score = sum(r["score"] for r in picked) / len(picked)
            baseline = sum(r["baseline"] for r in picked) / len(picked)
            samples = [(draws or {}).get((model, r["arm"], r["target"])) for r in picked]
            sample = None if any(x is None for x in samples) else np.mean(samples, axis=0)
            rows.append(
                {
                    "model": model,
                    "target": f"XTREME avg ({len(picked)}/{len(XTREME_TASKS)} tasks)",
                    "arm": "",
                    "basis": "best arm per target",
                    "validation": None,
                    "score": score,
                    "baseline": baseline,
                    "gain": score - baseline,
                }
                | gain_interval(sample)
            )
    columns = ["model", "target", "arm", "basis", "validation", "score", "baseline", "gain"]
    return pd.DataFrame(rows, columns=[*columns, "ci_low", "ci_high", "significant"])


def _none_if_nan(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def gains_by_language(long: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Per-language gain of every arm over the baseline arm (same model, seed, metric)."""
    base = long[long.arm == BASELINE].drop(columns="arm").rename(columns={"value": "baseline"})
    other = long[long.arm != BASELINE]
    merged = other.merge(base, on=["model", "seed", "target", "language", "metric"], how="inner")
    merged["gain"] = merged["value"] - merged["baseline"]
    return merged[
        ["model", "arm", "seed", "target", "language", "metric", "value", "baseline", "gain"]
    ]


def per_language_summary(frame: pd.DataFrame, meta: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per (model, arm, target, language): the mean of ``column`` over the target's summary
    metrics (its ``avg_metrics``: EM and F1 for QA) and over seeds."""
    metrics = zip(frame.target, frame.metric, strict=True)
    keep = np.array([m in meta.loc[t, "avg_metrics"] for t, m in metrics], dtype=bool)
    rows = frame.loc[keep].groupby(["model", "arm", "target", "language"], sort=False)[column]
    return rows.mean().reset_index()


def gains_by_family(gains: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Gain per (model, arm, target, language family): the mean over the family's languages of
    each language's gain in the target's summary metric(s) (mean over seeds); and per family
    over all targets (target "all"): the mean of its per-target gains."""
    from xstilts import languages as lang_table

    columns = ["model", "arm", "target", "family", "gain", "languages"]
    if gains.empty:
        return pd.DataFrame(columns=columns)
    per_lang = per_language_summary(gains, meta, "gain")
    per_lang["family"] = [lang_table.family(code) for code in per_lang.language]
    per_target = per_lang.groupby(["model", "arm", "target", "family"], sort=False).agg(
        gain=("gain", "mean"), languages=("language", "nunique")
    )
    per_target = per_target.reset_index()
    overall = per_target.groupby(["model", "arm", "family"], sort=False).agg(
        gain=("gain", "mean"), languages=("languages", "sum")
    )
    overall = overall.reset_index().assign(target="all")
    return pd.concat([per_target, overall], ignore_index=True)[columns]


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


LANGUAGE_COLUMNS = ["model", "arm", "target", "language", "family", "score", "seeds"]
LANGUAGE_COLUMNS += ["baseline", "gain", "ci_low", "ci_high", "significant"]


def language_scores(long: pd.DataFrame, meta: pd.DataFrame, intervals: list[dict]) -> pd.DataFrame:
    """Per (model, arm, target, language): the absolute score (the target's summary metrics,
    mean over seeds), the baseline's, and the gain over it with its 95 % interval
    (``intervals``: the bootstrap's rows per language; no interval where it has none), in the
    order of the target's languages."""
    from xstilts import languages as lang_table

    if long.empty:
        return pd.DataFrame(columns=LANGUAGE_COLUMNS)
    scores = per_language_summary(long, meta, "value").rename(columns={"value": "score"})
    seeds = long.groupby(["model", "arm", "target"], sort=False)["seed"].nunique()
    scores["seeds"] = [
        seeds[(m, a, t)] for m, a, t in zip(scores.model, scores.arm, scores.target, strict=True)
    ]
    base = scores[scores.arm == BASELINE][["model", "target", "language", "score"]]
    out = scores.merge(
        base.rename(columns={"score": "baseline"}), how="left", on=["model", "target", "language"]
    )
    out["gain"] = out["score"] - out["baseline"]
    out.loc[out.arm == BASELINE, "gain"] = np.nan
    keys = ["model", "arm", "target", "language"]
    ci = pd.DataFrame(intervals, columns=[*keys, "gain", "ci_low", "ci_high", "significant"])
    out = out.merge(ci.drop(columns="gain"), how="left", on=keys)
    out["significant"] = out["significant"].astype("boolean").fillna(False).astype(bool)
    out["family"] = [lang_table.family(code) for code in out.language]
    return out[LANGUAGE_COLUMNS]
