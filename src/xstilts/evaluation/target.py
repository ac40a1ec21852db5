"""Evaluation: one loaded model scores every language of its target task.

Predictions go to the XTREME submission layout (``<dir>/test-<lang>.<ext>``, as
google-research/xtreme's evaluate.py reads them) and scores to one JSON file.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch

from xstilts import tasks as task_registry
from xstilts.data.disk import load_split
from xstilts.errors import UserError
from xstilts.modeling import model as modeling
from xstilts.training.inference import device_and_autocast, score_split

log = logging.getLogger("xstilts")


def write_examples(stats: dict[str, list[dict]], path: str | Path | None) -> None:
    """Per-example statistics (``Task.example_stats``) of every language into one Parquet
    table: language, example (its index in the test set), then the task's statistics. The
    aggregation resamples these rows for confidence intervals."""
    if path is None:
        return
    import pandas as pd

    rows = [  # a task may key its examples itself (BUCC: the source sentence id)
        {"language": lang, "example": i} | row
        for lang, per_example in stats.items()
        for i, row in enumerate(per_example)
    ]
    pd.DataFrame(rows).to_parquet(path, index=False)


def evaluate_target(cell: dict, inputs: dict, outputs: dict) -> dict:
    """Rule evaluate_target: the fine-tuned model ``inputs["model"]`` scores every language of
    ``cell["languages"]`` of the task ``cell["target"]`` on the test features
    ``inputs["features"]`` (at ``cell["precision"]``); writes the predictions folder
    ``outputs["predictions"]``, the score JSON ``outputs["scores"]`` (the cell inside it) and,
    when named, the per-example statistics ``outputs["examples"]``; returns the scores."""
    task_name, languages, precision = cell["target"], cell["languages"], cell["precision"]
    model_dir, features_dir = inputs["model"], inputs["features"]
    predictions_dir, scores_path = outputs["predictions"], outputs["scores"]
    task = task_registry.get(task_name)
    device, _ = device_and_autocast(precision)
    model, tokenizer = modeling.load(model_dir, device, task_name)
    predictions_dir = Path(predictions_dir)
    predictions_dir.mkdir(parents=True, exist_ok=True)
    per_lang: dict[str, dict[str, float]] = {}
    examples: dict[str, list[dict]] = {}
    cache: dict[str, torch.Tensor] = {}  # rows the languages' splits share (see predict)
    for lang in languages:
        t0 = time.time()
        split = Path(features_dir) / task.test_split(lang)
        if not split.exists():
            raise UserError(
                f"features {split} are missing: the prepare step for {task_name} did not "
                f"produce language {lang}; delete {features_dir} and run again"
            )
        features = task.with_pool(load_split(split), features_dir)
        predictions, scores = score_split(
            model, task, features, tokenizer.pad_token_id, precision, lang, cache
        )
        task.write_predictions(
            predictions, predictions_dir / f"test-{lang}.{task.prediction_suffix}"
        )
        per_lang[lang] = scores
        examples[lang] = task.example_stats(predictions, task.gold(features), lang)
        log.info(
            "%s %s: %s (%d examples, %.1fs)",
            task_name,
            lang,
            ", ".join(f"{k}={v:.2f}" for k, v in scores.items()),
            len(features),
            time.time() - t0,
        )
    result = {
        "task": task_name,
        "metrics": list(task.metrics),
        "avg_metrics": list(task.avg_metrics),
        "expected_languages": list(task.languages),
        "languages": per_lang,
        "cell": cell,
    }
    # the English validation scores of training, so that the aggregation can choose the best
    # arm per target on validation from the score files alone
    summary = Path(model_dir) / "train_summary.json"
    if summary.exists():
        validation = json.loads(summary.read_text()).get("validation", {})
        # a training job shared by targets that train alike names the first of them
        head = task_registry.head_of(task_name, list(validation))
        result["validation"] = {task_name: validation[head]} if head else validation
    Path(scores_path).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    write_examples(examples, outputs.get("examples"))
    return result
