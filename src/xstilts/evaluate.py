"""Evaluation: one loaded model scores every language of its target task.

Predictions go to the XTREME submission layout (``<dir>/test-<lang>.<ext>``, as
google-research/xtreme's evaluate.py reads them) and scores to one JSON file.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import nullcontext
from pathlib import Path

import datasets
import torch

from xstilts import tasks as task_registry
from xstilts.errors import UserError
from xstilts.features import load_split
from xstilts.modeling import model as modeling
from xstilts.tasks.base import Task

log = logging.getLogger("xstilts")


def device_and_autocast(precision: str = "bf16") -> tuple[torch.device, object]:
    """The CUDA device when there is one (bf16 autocast if asked), else the CPU in fp32."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        if precision == "bf16":
            return device, lambda: torch.autocast("cuda", dtype=torch.bfloat16)
        return device, nullcontext
    return torch.device("cpu"), nullcontext


@torch.no_grad()
def predict(
    model,
    task: Task,
    features: datasets.Dataset,
    pad_id: int,
    batch_size: int = 64,
    precision: str = "bf16",
    cache: dict[str, torch.Tensor] | None = None,
) -> list[torch.Tensor]:
    """Logits per feature row, in row order; batches are formed by length to save padding.

    With a ``cache``, a row whose ``row_key`` column value is in it is not run again but given
    the cached logits, and the rows that are run are added: the pool a task appends to every
    language's split (``Task.with_pool``) is run once per evaluation."""
    device, autocast = device_and_autocast(precision)
    model.eval()
    out: list[torch.Tensor | None] = [None] * len(features)
    keys = features["row_key"] if cache is not None and "row_key" in features.column_names else None
    todo = range(len(features))
    if keys is not None:
        for i, key in enumerate(keys):
            out[i] = cache.get(key)
        todo = [i for i in todo if out[i] is None]
    lengths = features["length"]
    order = sorted(todo, key=lambda i: lengths[i])
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = {k: v.to(device) for k, v in task.collate(features[idx], pad_id).items()}
        with autocast():
            logits = model(task.name, batch).float().cpu()
        for i, row in zip(idx, logits, strict=True):
            out[i] = row
            if keys is not None:
                cache[keys[i]] = row
    return out  # type: ignore[return-value]


def score_split(
    model,
    task: Task,
    features: datasets.Dataset,
    pad_id: int,
    precision: str = "bf16",
    lang: str = "en",
    cache: dict[str, torch.Tensor] | None = None,
) -> tuple[list, dict[str, float]]:
    logits = predict(model, task, features, pad_id, precision=precision, cache=cache)
    predictions = task.decode(logits, features)
    return predictions, task.score(predictions, task.gold(features), lang)


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


def evaluate_target(
    model_dir: str | Path,
    task_name: str,
    features_dir: str | Path,
    languages: list[str],
    predictions_dir: str | Path,
    scores_path: str | Path,
    cell: dict,
    precision: str = "bf16",
    examples_path: str | Path | None = None,
) -> dict:
    task = task_registry.get(task_name)
    device, _ = device_and_autocast(precision)
    model, tokenizer = modeling.load(model_dir, device)
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
        result["validation"] = json.loads(summary.read_text()).get("validation", {})
    Path(scores_path).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    write_examples(examples, examples_path)
    return result
