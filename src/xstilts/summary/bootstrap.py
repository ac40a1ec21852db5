"""95 % confidence intervals for gains over the baseline: a paired bootstrap over seeds and test
examples (each cell's per-example statistics), recomputing each task's own metric per draw."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from xstilts.benchmarks import XTREME_TASKS
from xstilts.summary.read import BASELINE, read_examples_file, read_score_file


def gain_interval(sample) -> dict:
    """The 95 % percentile interval of bootstrap draws of a gain (NaN without draws; a
    baseline's draws are all 0: no interval to speak of, not significant)."""
    if sample is None:
        return {"ci_low": float("nan"), "ci_high": float("nan"), "significant": False}
    tail = (100 - CI_LEVEL) / 2
    low, high = np.percentile(sample, [tail, 100 - tail])
    return {"ci_low": float(low), "ci_high": float(high), "significant": bool(low > 0 or high < 0)}


CI_RESAMPLES = 1000


CI_LEVEL = 95.0


def _load_examples(score_files, example_files) -> dict[tuple, dict]:
    """(model, arm, target) → seed → per-example statistics (a DataFrame), for cells whose
    examples file exists and has rows."""
    cells: dict[tuple, dict] = {}
    for score, examples in zip(score_files, example_files, strict=True):
        if examples is None or not Path(examples).exists():
            continue
        frame = read_examples_file(examples)
        if frame.empty:
            continue
        doc = read_score_file(score)
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


def _seed_picks(cells: dict, reference: str, seed: int, resamples: int) -> dict:
    """(model, arm) → (its seeds shared with the reference, draws × seed indices): one draw of
    seeds per arm, shared by all its targets (a seed is one intermediate model for every
    target)."""
    picks = {}
    for model, arm in dict.fromkeys((k[0], k[1]) for k in cells if k[1] != reference):
        universe = _shared_seeds(cells, model, arm, reference)
        if universe:
            rng = _rng(seed, "seeds", model, arm)
            picks[(model, arm)] = (
                universe,
                rng.integers(0, len(universe), (resamples, len(universe))),
            )
    return picks


def bootstrap_gains(
    score_files,
    example_files,
    resamples: int = CI_RESAMPLES,
    seed: int = 0,
    reference: str = BASELINE,
    by_language: list[dict] | None = None,
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

    Returns the table and the draws per (model, arm, target) (the reference's are zeros).
    ``by_language`` (a list), when given, gets a row per (model, arm, target, language): the
    language's own gain and its interval, from the same draws."""
    from xstilts import tasks as task_registry

    cells = _load_examples(score_files, example_files)
    picks = _seed_picks(cells, reference, seed, resamples)
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
                language_sample = _language_gain(task, a_frames, b_frames, weights, counts)
                observed += float(full[0]) / len(langs)
                sample += language_sample / len(langs)
                if by_language is not None:
                    by_language.append(
                        {"model": model, "arm": arm, "target": target, "language": lang}
                        | {"gain": float(full[0])}
                        | gain_interval(language_sample)
                    )
            draws[(model, arm, target)] = sample
            rows.append(_ci_row(model, arm, target, observed, sample, len(seeds), resamples))
    rows += _xtreme_averages(rows, draws, resamples)
    columns = ["model", "arm", "target", "gain", "ci_low", "ci_high", "significant", "seeds"]
    table = pd.DataFrame(rows, columns=[*columns, "resamples", "targets"])
    return table, draws


def _xtreme_averages(rows: list[dict], draws: dict, resamples: int) -> list[dict]:
    """Each arm's XTREME average: its draws the mean over the XTREME targets present of each
    target's draws."""
    out = []
    for model, arm in dict.fromkeys((r["model"], r["arm"]) for r in rows):
        present = [t for t in XTREME_TASKS if (model, arm, t) in draws]
        if present:
            observed = float(np.mean([_observed(rows, model, arm, t) for t in present]))
            sample = np.mean([draws[(model, arm, t)] for t in present], axis=0)
            n_seeds = min(r["seeds"] for r in rows if r["model"] == model and r["arm"] == arm)
            row = _ci_row(model, arm, "xtreme_avg", observed, sample, n_seeds, resamples)
            out.append(row | {"targets": f"{len(present)}/{len(XTREME_TASKS)}"})
    return out


def _ci_row(model, arm, target, observed, sample, n_seeds, resamples) -> dict:
    return (
        {"model": model, "arm": arm, "target": target, "gain": observed}
        | gain_interval(sample)
        | {"seeds": n_seeds, "resamples": resamples, "targets": ""}
    )


def _observed(rows, model, arm, target) -> float:
    return next(
        r["gain"] for r in rows if (r["model"], r["arm"], r["target"]) == (model, arm, target)
    )
