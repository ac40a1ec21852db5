"""Learning curves of a one-task run: the task's metrics on each language at step 0, every
``every`` steps and the last, on the first ``max_examples`` of English validation (English test
without one) and of the other languages' test splits. Evaluation draws no random numbers, so the
trained weights are the same with and without a curve."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.disk import load_split
from xstilts.errors import UserError
from xstilts.settings import Curve
from xstilts.training.inference import eager, score_split


def curve_sets(task_objs: dict, features: dict, curve: Curve) -> dict[str, tuple]:
    """language → (task, split, feature rows) a learning curve evaluates."""
    if len(task_objs) != 1:
        raise ValueError("a learning curve follows a run of one task")
    [(name, task)] = task_objs.items()
    root = Path(features[name])
    out = {}
    for lang in curve.languages:
        split = task.curve_split(lang)
        if not (root / split).exists():
            raise UserError(
                f"features {root / split} are missing, which the learning curve of {name} "
                f"reads for language {lang}; delete {root} and run again"
            )
        rows = load_split(root / split)
        if split != "validation":
            rows = task.with_pool(rows, root)
        rows = task.first_examples(rows, curve.max_examples)
        out[lang] = (name, split, rows)
    return out


def curve_points(model, sets: dict, task_objs: dict, pad_id: int, precision: str, step: int):
    """The curve's points at ``step``, one per language (the encoder eager)."""
    cache: dict = {}  # rows the languages share (LAReQA's pool): embedded once per point
    points = []
    with eager(model):
        for lang, (name, split, rows) in sets.items():
            _, scores = score_split(model, task_objs[name], rows, pad_id, precision, lang, cache)
            points.append(
                {"step": step, "language": lang, "split": split, "examples": len(rows)}
                | {"metrics": scores, "score": task_objs[name].summary_score(scores)}
            )
    model.train()
    return points
