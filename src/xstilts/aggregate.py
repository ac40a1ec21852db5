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

import base64
import contextlib
import json
import zlib
from pathlib import Path

import numpy as np
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


def read_validation(paths: list[str | Path]) -> pd.DataFrame:
    """One row per score file: model, arm, seed, target and the cell's English validation
    score (the mean of the task's summary metrics; None without a validation set), which the
    score file carries from training (or, for BUCC, from its dev set)."""
    from xstilts.submission import validation_score

    rows = []
    for path in paths:
        doc = json.loads(Path(path).read_text())
        cell = doc["cell"]
        rows.append(
            {
                "model": cell["model"],
                "arm": cell["arm"],
                "seed": cell["seed"],
                "target": doc["task"],
                "validation": validation_score(doc["task"], doc),
            }
        )
    return pd.DataFrame(rows, columns=[*CELL, "target", "validation"])


def task_scores(
    long: pd.DataFrame, meta: pd.DataFrame, languages: dict[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """One row per (model, arm, seed, target): summary score and language coverage.

    A target's languages are the ones its score files expect, or ``languages[target]`` when
    given (a benchmark's list for the target: its average is taken over those of them that were
    evaluated, and complete only when all were)."""
    out = []
    for (model, arm, seed, target), g in long.groupby([*CELL, "target"], sort=False):
        keys = meta.loc[target, "avg_metrics"]
        expected = meta.loc[target, "expected_languages"]
        if languages is not None:
            expected = languages[target]
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


def benchmark_markdown(scores: pd.DataFrame, benchmark: str) -> str:
    """One benchmark's table: a row per (model, arm), its tasks, groups and average as
    columns; a score over fewer languages or tasks than the benchmark has carries a "*"."""
    from xstilts.benchmarks import BENCHMARKS

    rows = scores[scores.benchmark == benchmark]
    if rows.empty:
        return f"No {benchmark} task was evaluated.\n"
    table = BENCHMARKS[benchmark]
    columns = [t for t in table.tasks if (rows.name == t).any()]
    columns += [g for g in table.groups if ((rows.kind == "group") & (rows.name == g)).any()]
    columns.append("avg")
    out = [
        "| " + " | ".join(["model", "arm", *columns]) + " |",
        "|" + "---|" * 2 + "---:|" * len(columns),
    ]
    for (model, arm), g in rows.groupby(["model", "arm"], sort=False):
        by_name = {r.name: r for r in g.itertuples()}
        cells = []
        for name in columns:
            r = by_name.get(name)
            if r is None:
                cells.append("–")
                continue
            text = f"{r.score:.1f}" + ("" if r.complete else "*")
            cells.append(f"{text} ({r.tasks} tasks)" if name == "avg" else text)
        out.append("| " + " | ".join([model, arm, *cells]) + " |")
    out.append(
        f"\n\\* over fewer languages or tasks than {benchmark} has "
        f"({len(table.tasks)} tasks); not comparable to a complete {benchmark} score.\n"
    )
    return "\n".join(out) + "\n"


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
    from xstilts.submission import choose_arms

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
                | _interval(sample)
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
                | _interval(sample)
            )
    columns = ["model", "target", "arm", "basis", "validation", "score", "baseline", "gain"]
    return pd.DataFrame(rows, columns=[*columns, "ci_low", "ci_high", "significant"])


def _interval(sample) -> dict:
    """The 95 % percentile interval of bootstrap draws of a gain (NaN without draws; a
    baseline's draws are all 0: no interval to speak of, not significant)."""
    if sample is None:
        return {"ci_low": float("nan"), "ci_high": float("nan"), "significant": False}
    tail = (100 - CI_LEVEL) / 2
    low, high = np.percentile(sample, [tail, 100 - tail])
    return {"ci_low": float(low), "ci_high": float(high), "significant": bool(low > 0 or high < 0)}


def _none_if_nan(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def best_markdown(best: pd.DataFrame) -> str:
    header = ["model", "target", "best arm", "chosen by", "validation", "test", "baseline"]
    header.append("gain [95 % CI]")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in best.itertuples():
        cells = [r.model, r.target, r.arm or "per target", r.basis, _fmt(r.validation, True)]
        gain = _signed(r.gain)
        if pd.notna(r.ci_low) and r.arm != BASELINE:
            gain += f" [{r.ci_low:+.1f}, {r.ci_high:+.1f}]" + ("†" if r.significant else "")
        cells += [_fmt(r.score, True), _fmt(r.baseline, True), gain]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _signed(value: float) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:+.1f}"


CI_RESAMPLES = 1000
CI_LEVEL = 95.0


def _load_examples(score_files, example_files) -> dict[tuple, dict]:
    """(model, arm, target) → seed → per-example statistics (a DataFrame), for cells whose
    examples file exists and has rows."""
    cells: dict[tuple, dict] = {}
    for score, examples in zip(score_files, example_files, strict=True):
        if examples is None or not Path(examples).exists():
            continue
        frame = pd.read_parquet(examples)
        if frame.empty:
            continue
        doc = json.loads(Path(score).read_text())
        cell = doc["cell"]
        cells.setdefault((cell["model"], cell["arm"], doc["task"]), {})[cell["seed"]] = frame
    return cells


def _summary_draws(task, frames: list[pd.DataFrame], counts: np.ndarray) -> np.ndarray:
    """Per seed (columns) and draw (rows): the task's summary metric on one language from the
    seeds' aligned statistics (``frames``: examples × statistics), the examples weighted by
    ``counts`` (draws × examples)."""
    out = []
    for frame in frames:
        sums = counts @ frame.to_numpy(dtype=float)
        metrics = task.metrics_from_sums(
            {c: sums[:, j] for j, c in enumerate(frame.columns)}, counts.sum(axis=1)
        )
        out.append(np.mean([np.asarray(metrics[m], dtype=float) for m in task.avg_metrics], 0))
    return np.stack(out, axis=1)


def _aligned(arms: list[tuple[str, dict]], lang: str, seeds: list) -> dict[tuple, pd.DataFrame]:
    """(arm, seed) → that cell's statistics on ``lang``, on the union of the cells' example
    keys (in one order): an example a cell lacks adds nothing to its sums (BUCC lists only the
    source sentences in a mined or gold pair, which differ between arms)."""
    per_cell = {
        (arm, seed): by_seed[seed][by_seed[seed].language == lang]
        .drop(columns="language")
        .set_index("example")
        for arm, by_seed in arms
        for seed in seeds
    }
    keys = sorted(set().union(*(p.index for p in per_cell.values())), key=str)
    return {k: p.reindex(keys).fillna(0.0) for k, p in per_cell.items()}


def _rng(seed: int, *key) -> np.random.Generator:
    """A random stream of its own per purpose and cell, so that adding an arm or a target
    leaves every other interval's draws as they were."""
    return np.random.default_rng([seed, zlib.crc32("/".join(map(str, key)).encode())])


def _seed_weights(picks: np.ndarray, universe: list, seeds: list) -> np.ndarray:
    """Draws × ``seeds``: how often each seed is drawn when ``picks`` (draws × len(universe),
    indices into ``universe``) resample the arm's seeds, restricted to ``seeds`` and
    normalised; a draw that picked none of them weighs them evenly."""
    counts = np.stack([(picks == universe.index(s)).sum(1) for s in seeds], 1).astype(float)
    total = counts.sum(1, keepdims=True)
    return np.where(total > 0, counts / np.where(total > 0, total, 1), 1.0 / len(seeds))


def _shared_seeds(cells: dict, model: str, arm: str, reference: str) -> list:
    """The seeds an arm and the reference arm of the same model both have, over all
    targets."""
    by_arm = {a: set() for a in (arm, reference)}
    for (m, a, _), by_seed in cells.items():
        if m == model and a in by_arm:
            by_arm[a] |= set(by_seed)
    return sorted(by_arm[arm] & by_arm[reference])


def _language_gain(task, arm_frames, base_frames, weighting, counts) -> np.ndarray:
    """Per draw: the seed-weighted (``weighting``: draws × seeds) difference of the task's
    summary on one language, examples weighted by ``counts`` (draws × examples)."""
    a = _summary_draws(task, arm_frames, counts)
    b = _summary_draws(task, base_frames, counts)
    return ((a - b) * weighting).sum(axis=1)


def bootstrap_gains(
    score_files,
    example_files,
    resamples: int = CI_RESAMPLES,
    seed: int = 0,
    reference: str = BASELINE,
) -> tuple[pd.DataFrame, dict[tuple, np.ndarray]]:
    """Gain of every arm over the ``reference`` arm (the baseline unless said) per (model,
    target), with a 95 % confidence interval from a paired bootstrap over seeds and test
    examples. Each draw resamples the arm's seeds (one draw per arm, shared by all its targets:
    a seed is one intermediate model for every target) and, in every language, the test
    examples (the same draw for the arm and the reference), recomputes the task metric from
    the examples' statistics (``Task.metrics_from_sums``: seqeval and BUCC F1 as corpus F1,
    not as a mean), averages
    over languages and seeds, and takes the difference. Compared are the seeds both have and
    the languages both have in those seeds. The interval is the 2.5th to 97.5th percentile of
    the draws; ``significant`` when it excludes 0. The XTREME average's draws are the mean over
    the XTREME targets present of each target's draws.

    Returns the table and the draws per (model, arm, target) (the reference's are zeros)."""
    from xstilts import tasks as task_registry

    cells = _load_examples(score_files, example_files)
    picks = {}  # (model, arm) -> (its seeds shared with the reference, draws × seed indices)
    for model, arm in dict.fromkeys((k[0], k[1]) for k in cells if k[1] != reference):
        universe = _shared_seeds(cells, model, arm, reference)
        if universe:
            rng = _rng(seed, "seeds", model, arm)
            picks[(model, arm)] = (
                universe,
                rng.integers(0, len(universe), (resamples, len(universe))),
            )
    rows, draws = [], {}
    for model, _, target in [k for k in cells if k[1] == reference]:
        task = task_registry.get(target)
        base = cells[(model, reference, target)]
        draws[(model, reference, target)] = np.zeros(resamples)
        for (m, arm, t), by_seed in cells.items():
            if (m, t) != (model, target) or (model, arm) not in picks:
                continue
            seeds = sorted(set(by_seed) & set(base))
            frames = [by_seed[s] for s in seeds] + [base[s] for s in seeds]
            langs = [
                lang for lang in task.languages if all((f.language == lang).any() for f in frames)
            ]
            if not seeds or not langs:
                continue
            universe, seed_picks = picks[(model, arm)]
            weights = _seed_weights(seed_picks, universe, seeds)
            even = np.full((1, len(seeds)), 1 / len(seeds))
            observed, sample = 0.0, np.zeros(resamples)
            for lang in langs:
                aligned = _aligned([(arm, by_seed), (reference, base)], lang, seeds)
                a_frames = [aligned[(arm, s)] for s in seeds]
                b_frames = [aligned[(reference, s)] for s in seeds]
                n = len(b_frames[0])
                rng = _rng(seed, "examples", model, target, lang, n)  # the same for every arm
                counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)
                full = _language_gain(task, a_frames, b_frames, even, np.ones((1, n)))
                observed += float(full[0]) / len(langs)
                sample += _language_gain(task, a_frames, b_frames, weights, counts) / len(langs)
            draws[(model, arm, target)] = sample
            rows.append(_ci_row(model, arm, target, observed, sample, len(seeds), resamples))
    for model, arm in dict.fromkeys((r["model"], r["arm"]) for r in rows):
        present = [t for t in XTREME_TASKS if (model, arm, t) in draws]
        if present:
            observed = float(np.mean([_observed(rows, model, arm, t) for t in present]))
            sample = np.mean([draws[(model, arm, t)] for t in present], axis=0)
            n_seeds = min(r["seeds"] for r in rows if r["model"] == model and r["arm"] == arm)
            row = _ci_row(model, arm, "xtreme_avg", observed, sample, n_seeds, resamples)
            rows.append(row | {"targets": f"{len(present)}/{len(XTREME_TASKS)}"})
    columns = ["model", "arm", "target", "gain", "ci_low", "ci_high", "significant", "seeds"]
    table = pd.DataFrame(rows, columns=[*columns, "resamples", "targets"])
    return table, draws


def _ci_row(model, arm, target, observed, sample, n_seeds, resamples) -> dict:
    return (
        {"model": model, "arm": arm, "target": target, "gain": observed}
        | _interval(sample)
        | {"seeds": n_seeds, "resamples": resamples, "targets": ""}
    )


def _observed(rows, model, arm, target) -> float:
    return next(
        r["gain"] for r in rows if (r["model"], r["arm"], r["target"]) == (model, arm, target)
    )


def ci_markdown(ci: pd.DataFrame) -> str:
    """Arm × target gains with their 95 % intervals; † when the interval excludes 0."""
    if ci.empty:
        return "No gains: the grid has no baseline arm, or no per-example statistics.\n"
    targets = list(dict.fromkeys(t for t in ci.target if t != "xtreme_avg"))
    if (ci.target == "xtreme_avg").any():
        targets.append("xtreme_avg")
    header = ["model", "arm"] + ["XTREME avg" if t == "xtreme_avg" else t for t in targets]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, arm), g in ci.groupby(["model", "arm"], sort=False):
        by_target = g.set_index("target")
        cells = [model, arm]
        for t in targets:
            if t not in by_target.index:
                cells.append("–")
                continue
            r = by_target.loc[t]
            mark = "†" if r["significant"] else ""
            cells.append(f"{r['gain']:+.1f} [{r['ci_low']:+.1f}, {r['ci_high']:+.1f}]{mark}")
        lines.append("| " + " | ".join(cells) + " |")
    n_seeds = int(ci.seeds.min())
    lines += [
        "",
        f"Gain over the baseline with its {CI_LEVEL:.0f} % confidence interval: a paired "
        f"bootstrap ({int(ci.resamples.iloc[0])} draws) over seeds ({n_seeds}) and test "
        "examples. † the interval excludes 0.",
    ]
    return "\n".join(lines) + "\n"


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


def metrics_markdown(metrics: pd.DataFrame) -> str:
    header = ["model", "arm"] + [f"{t} {m}" for t, m in metrics.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, arm), row in metrics.iterrows():
        lines.append("| " + " | ".join([model, arm] + [_fmt(v, True) for v in row]) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float, complete: bool, std: float | None = None) -> str:
    """``75.3``, ``75.3 ± 0.4`` over seeds, ``75.3*`` when incomplete; "–" when missing."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{value:.1f}" + ("" if std is None or pd.isna(std) else f" ± {std:.1f}")
    return text + ("" if complete else "*")


def _best_cells(table: pd.DataFrame) -> set[tuple[str, str, str]]:
    """(model, arm, column) of the highest mean in every column, per model (ties: all)."""
    best = set()
    for model, g in table.groupby(level="model", sort=False):
        for col in [*_targets(table), "xtreme_avg"]:
            top = g[col].max()
            if pd.notna(top):
                best |= {(model, arm, col) for (_, arm), v in g[col].items() if v == top}
    return best


NON_TARGET_COLUMNS = ("xtreme_avg", "xtreme_tasks", "xtreme_complete")


def _targets(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in NON_TARGET_COLUMNS]


def _cells(table, std, best, row_key, row) -> tuple[list[tuple[str, bool]], str]:
    """A row's formatted target cells (each with whether it is the best) and XTREME cell."""
    model, arm = row_key
    incomplete = set(map(tuple, table.attrs.get("incomplete_cells", [])))

    def sd(col):
        return None if std is None else std.loc[row_key, col]

    cells = [
        (_fmt(row[t], (model, arm, t) not in incomplete, sd(t)), (model, arm, t) in best)
        for t in _targets(table)
    ]
    avg = _fmt(row["xtreme_avg"], bool(row["xtreme_complete"]), sd("xtreme_avg"))
    return cells, avg


def _display_rows(table: pd.DataFrame, std: pd.DataFrame | None):
    """Per arm of the table: (model, arm), then each target's cell and the XTREME average
    as (text, bold); an incomplete average names its coverage."""
    best = _best_cells(table)
    for key, row in table.iterrows():
        cells, avg = _cells(table, std, best, key, row)
        if not row["xtreme_complete"]:
            avg = f"{avg} ({row['xtreme_tasks']} tasks)"
        yield key, [*cells, (avg, (*key, "xtreme_avg") in best)]


TABLE_LEGEND = (
    "Bold: the best arm in the column. `*` incomplete: the average covers fewer languages or "
    "tasks than the benchmark has (XTREME has 9 tasks); it is not comparable to a full score."
)


def markdown(
    table: pd.DataFrame, metric_names: dict[str, str], std: pd.DataFrame | None = None
) -> str:
    """The paper's layout: one row per arm (baseline, the intermediate tasks, multitask), one
    column per target with its official metric, the XTREME average last; the best arm of each
    column in bold; mean ± standard deviation over seeds when there are several."""
    header = ["model", "arm"] + [f"{t} ({metric_names.get(t, '')})" for t in _targets(table)]
    header.append("XTREME avg")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, cells in _display_rows(table, std):
        out = [key[0], key[1]] + [f"**{c}**" if bold else c for c, bold in cells]
        lines.append("| " + " | ".join(out) + " |")
    lines += [
        "",
        TABLE_LEGEND + (" Mean ± standard deviation over seeds." if std is not None else ""),
    ]
    return "\n".join(lines) + "\n"


def overview_html(
    table: pd.DataFrame,
    metric_names: dict[str, str],
    std: pd.DataFrame | None,
    heatmap: str | Path,
) -> str:
    """The report's first screen: the arm × target table and the heatmap of gains (embedded),
    as an HTML fragment."""
    from html import escape

    head = ["model", "arm"] + [f"{t} ({metric_names.get(t, '')})" for t in _targets(table)]
    head.append("XTREME avg")
    rows = ["<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for key, cells in _display_rows(table, std):
        out = [f"<td>{escape(str(k))}</td>" for k in key]
        out += [f"<td><b>{escape(c)}</b></td>" if bold else f"<td>{escape(c)}</td>"
                for c, bold in cells]  # fmt: skip
        rows.append("<tr>" + "".join(out) + "</tr>")
    picture = base64.b64encode(Path(heatmap).read_bytes()).decode("ascii")
    return (
        '<table class="table table-sm">\n' + "\n".join(rows) + "\n</table>\n"
        f"<p>{escape(TABLE_LEGEND)}</p>\n"
        f'<img alt="gains over the baseline" style="max-width: 100%" '
        f'src="data:image/png;base64,{picture}">\n'
    )


def _tex(text: str) -> str:
    """Escape LaTeX's special characters in a name."""
    for char, repl in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%")):
        text = text.replace(char, repl)
    return text.replace("#", r"\#").replace("$", r"\$")


def latex(
    table: pd.DataFrame,
    metric_names: dict[str, str] | None = None,
    std: pd.DataFrame | None = None,
) -> str:
    """The same table as a booktabs ``tabular`` to ``\\input`` in a paper (needs
    ``\\usepackage{booktabs}``): the metric under each target, the best per column in bold."""
    metric_names = metric_names or {}
    targets = _targets(table)
    cols = "ll" + "r" * (len(targets) + 1)
    lines = [
        r"\begin{tabular}{" + cols + "}",
        r"\toprule",
        " & ".join(["Model", "Arm", *map(_tex, targets), "XTREME avg"]) + r" \\",
    ]
    if metric_names:
        lines.append(
            " & ".join(["", "", *(_tex(metric_names.get(t, "")) for t in targets), ""]) + r" \\"
        )
    lines.append(r"\midrule")
    best = _best_cells(table)
    for key, row in table.iterrows():
        cells, avg = _cells(table, std, best, key, row)
        out = [_tex(key[0]), _tex(key[1])]
        out += [r"\textbf{" + c + "}" if bold else c for c, bold in cells]
        out.append(r"\textbf{" + avg + "}" if (*key, "xtreme_avg") in best else avg)
        lines.append(" & ".join(out).replace("±", r"$\pm$") + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


BENCHMARK_TITLES = {"xtreme": "XTREME", "xtreme-r": "XTREME-R"}
LANGUAGE_GAINS = "language_gains_"  # + target: the per-language gain figure of one target


def summarize(
    score_files: list[str | Path],
    outputs: dict[str, str | Path],
    example_files: list[str | Path] | None = None,
    benchmarks: tuple[str, ...] = ("xtreme",),
    published_models: tuple[str, ...] = (),
) -> None:
    """Write every summary file; ``outputs`` maps the names in grid.SUMMARY_FILES to paths,
    and ``language_gains_<target>`` to the per-language gain figure of each target;
    ``example_files`` (per-example statistics, one per score file) give the gains' confidence
    intervals; each of ``benchmarks`` ("xtreme", "xtreme-r") gets its own table of task, group
    and benchmark scores; the ``published_models`` (XLM-R Large on real data) are set beside the
    published X-STILTs and XLM-R Large numbers (xstilts.published)."""
    from xstilts import plots  # seaborn only where figures are drawn

    long, meta = read_scores(score_files)
    tasks = task_scores(long, meta)
    table = arm_target_table(tasks)
    std = arm_target_std(tasks, table)
    gains = gains_by_language(long, meta)
    families = gains_by_family(gains, meta)
    metric_names = {t: metric_label(m) for t, m in meta["avg_metrics"].items()}
    metrics = metric_table(long, meta)
    bench = pd.concat([benchmark_table(long, meta, b) for b in benchmarks], ignore_index=True)
    ci, draws = bootstrap_gains(score_files, example_files or [None] * len(score_files))
    best = best_table(table, read_validation(score_files), draws)
    significant = {(r.model, r.arm, r.target) for r in ci.itertuples() if r.significant}
    notes = [f"- {t}: {n}" for t, ns in meta["notes"].items() for n in ns]
    beside = ""
    if published_models:
        from xstilts import published

        beside = published.markdown(published.comparison(long, best, list(published_models)))
    report = (
        "## Summary score per target (language average) and XTREME average\n\n"
        + markdown(table, metric_names, std)
        + "\n## Gains over the baseline with 95 % confidence intervals\n\n"
        + ci_markdown(ci)
        + "\n## Best intermediate task per target (chosen on English validation)\n\n"
        + best_markdown(best)
        + (f"\n## Beside the published numbers\n\n{beside}" if beside else "")
        + "".join(
            f"\n## {BENCHMARK_TITLES[b]} (evaluate.py --xtreme_version {b})\n\n"
            + benchmark_markdown(bench, b)
            for b in benchmarks
        )
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
        "table_tex": lambda p: Path(p).write_text(latex(table, metric_names, std)),
        "best_csv": lambda p: best.to_csv(p, index=False),
        "gains_ci_csv": lambda p: ci.to_csv(p, index=False),
        "gains_parquet": lambda p: gains.to_parquet(p, index=False),
        "gains_csv": lambda p: gains.to_csv(p, index=False),
        "heatmap": lambda p: plots.gain_heatmap(
            gains_table(table), p, xtreme_label(table), significant
        ),
        "family_csv": lambda p: families.to_csv(p, index=False),
        "benchmarks_csv": lambda p: bench.to_csv(p, index=False),
        "family_heatmap": lambda p: plots.family_gains(families, p),
    }
    for name, path in outputs.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if name.startswith(LANGUAGE_GAINS):
            target = name.removeprefix(LANGUAGE_GAINS)
            if target not in meta.index:  # bucc2018_mteb's score files say "bucc2018"
                from xstilts import tasks as task_registry

                with contextlib.suppress(KeyError):
                    target = task_registry.get(target).xtreme_name
            metrics_used = tuple(meta.loc[target, "avg_metrics"]) if target in meta.index else ()
            plots.language_gains(gains, target, metrics_used, path)
        elif name != "overview":
            writers[name](path)
    if "overview" in outputs:  # after the heatmap it shows
        page = overview_html(table, metric_names, std, outputs["heatmap"])
        if beside:  # the published numbers under the heatmap, as Markdown in a <pre>
            from html import escape

            page += f"<h3>Beside the published numbers</h3>\n<pre>{escape(beside)}</pre>\n"
        Path(outputs["overview"]).write_text(page, encoding="utf-8")
