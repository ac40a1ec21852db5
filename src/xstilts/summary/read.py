"""Reading the per-cell score files: the long table of every (cell, target, language, metric)
value, the task metadata the score files carry, the English validation scores, and each
task's summary score per cell as google-research/xtreme's evaluate.py averages it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from xstilts.benchmarks import TASKS as BENCHMARK_TASKS
from xstilts.errors import UserError
from xstilts.summary import score as xtreme_score

BASELINE = "baseline"


CELL = ["model", "arm", "seed"]

# a score file is an evaluation job's output: deleting it reruns that job alone (the cell's
# model is kept, nothing is retrained)
REBUILD = (
    "delete it and run the workflow again, which evaluates that cell anew (nothing is retrained)"
)
_KEYS = ("cell", "task", "languages", "avg_metrics", "expected_languages")


def read_score_file(path: str | Path) -> dict:
    """One per-cell score file, checked: valid JSON with the keys the summary reads, and every
    language holding the task's summary metrics (one missing would drop the cell's score of
    that target, and with it the arm's row of the table, without a word)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        reason = getattr(err, "msg", None) or getattr(err, "reason", "not UTF-8")
        raise UserError(f"scores file {path} is damaged ({reason}); {REBUILD}") from None
    missing = [k for k in _KEYS if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise UserError(f"scores file {path} has no '{missing[0]}'; {REBUILD}")
    for lang, scores in doc["languages"].items():
        absent = [m for m in doc["avg_metrics"] if m not in scores] if scores else []
        if absent:
            raise UserError(
                f"scores file {path} has no '{absent[0]}' for {lang}, a summary metric of "
                f"{doc['task']}, so that cell would have no {doc['task']} score; {REBUILD}"
            )
    return doc


def read_examples_file(path: str | Path) -> pd.DataFrame:
    """One per-cell examples file (the per-example statistics of the intervals), or one
    sentence naming it when it cannot be read."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"examples file {path} is damaged ({reason}); {REBUILD}") from None


def read_scores(paths: list[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long table (model, arm, seed, target, language, metric, value) + task metadata."""
    rows, meta = [], []
    for path in paths:
        doc = read_score_file(path)
        unscored = [lang for lang, scores in doc["languages"].items() if not scores]
        if unscored:  # a test set without public gold (BUCC's): evaluated, nothing to score
            logging.getLogger("xstilts").warning(
                "scores file %s has no scores for %s (a test set without gold): left out of "
                "the summary",
                path,
                " ".join(unscored),
            )
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
                "notes": tuple(doc.get("notes", ())) + _words_note(doc["task"]),
            }
        )
    long = pd.DataFrame(rows, columns=[*CELL, "target", "language", "metric", "value"])
    meta_df = pd.DataFrame(meta).drop_duplicates("target").set_index("target")
    return long, meta_df


def _words_note(target: str) -> tuple[str, ...]:
    """What a tagging target's words are, when its task says (UD-POS: the Hub's split words or
    XTREME's fused forms), so the report's notes say which one a score used."""
    from xstilts import tasks as task_registry

    words = getattr(task_registry.REGISTRY.get(target), "tokenisation", "")
    return (f"words: {words}",) if words else ()


def read_validation(paths: list[str | Path]) -> pd.DataFrame:
    """One row per score file: model, arm, seed, target and the cell's English validation
    score (the mean of the task's summary metrics; None without a validation set), which the
    score file carries from training (or, for BUCC, from its dev set)."""
    from xstilts.summary.submission import validation_score

    rows = []
    for path in paths:
        doc = read_score_file(path)
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
