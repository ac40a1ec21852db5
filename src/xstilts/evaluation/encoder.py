"""Retrieval evaluation of one arm's encoder (BUCC, Tatoeba): embed, search or mine, score.

The encoder is the arm's intermediate-phase output, or the pretrained model for the baseline;
nothing is trained. Sentence embedding: mean over all tokens (special tokens included) of the
hidden states after transformer layer ``layer`` (PAPER.md §1.5: 14 of 24 for XLM-R Large).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import datasets
import torch

from xstilts import tasks as task_registry
from xstilts.data.disk import load_split
from xstilts.errors import UserError
from xstilts.evaluation.target import write_examples
from xstilts.modeling import model as modeling
from xstilts.tasks.heads import MeanPooler
from xstilts.tasks.retrieval import RetrievalTask
from xstilts.training.inference import device_and_autocast

log = logging.getLogger("xstilts")


@torch.no_grad()
def embed(
    encoder,
    task: RetrievalTask,
    features: datasets.Dataset,
    pad_id: int,
    layer: int,
    batch_size: int = 64,
    precision: str = "bf16",
) -> torch.Tensor:
    """(rows, hidden) float32 sentence embeddings, in row order, on the encoder's device;
    batches are formed by length to save padding."""
    device, autocast = device_and_autocast(precision)
    encoder.eval()
    pooler = MeanPooler(layer)
    lengths = features["length"]
    order = sorted(range(len(features)), key=lambda i: lengths[i])
    out = torch.empty(len(features), encoder.config.hidden_size, device=device)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = {k: v.to(device) for k, v in task.collate(features[idx], pad_id).items()}
        with autocast():
            vectors = pooler(encoder, batch)
        out[torch.as_tensor(idx, device=device)] = vectors.float()
    return out


def check_layer(layer: int, encoder, model_key: str) -> None:
    layers = encoder.config.num_hidden_layers
    if not 0 <= layer <= layers:
        raise UserError(
            f"config key 'models.{model_key}.retrieval_layer': layer {layer} does not exist in a "
            f"model with {layers} transformer layers; choose 0-{layers} (the paper: 14 of 24)"
        )


def _language_splits(task, lang: str, features_dir: Path) -> dict:
    """A language's prepared test split and, where the task has one, its dev split."""
    splits = {}
    for split in (f"dev.{lang}", task.test_split(lang)):
        if (features_dir / split).exists():
            splits[split] = load_split(features_dir / split)
    if task.test_split(lang) not in splits:
        raise UserError(
            f"features {features_dir / task.test_split(lang)} are missing: the prepare step for "
            f"{task.name} did not produce language {lang}; delete {features_dir} and run again"
        )
    return splits


def evaluate_retrieval(cell: dict, inputs: dict, outputs: dict) -> dict:
    """Rule evaluate_retrieval: score every language of ``cell["target"]`` on the encoder
    ``inputs["encoder"]`` with the features ``inputs["features"]``; write the XTREME prediction
    files (``outputs["predictions"]``), the score JSON (``outputs["scores"]``, the same shape
    evaluate_target writes) and, when named, the per-example statistics
    (``outputs["examples"]``)."""
    encoder_dir, features_dir = inputs["encoder"], inputs["features"]
    task = task_registry.get(cell["target"])
    assert isinstance(task, RetrievalTask)
    device, _ = device_and_autocast(cell["precision"])
    encoder, tokenizer = modeling.load_encoder(encoder_dir, device)
    check_layer(cell["layer"], encoder, cell["model"])
    predictions_dir = Path(outputs["predictions"])
    predictions_dir.mkdir(parents=True, exist_ok=True)

    def embed_rows(rows: datasets.Dataset) -> torch.Tensor:
        return embed(
            encoder,
            task,
            rows,
            tokenizer.pad_token_id,
            cell["layer"],
            cell["batch_size"],
            cell["precision"],
        )

    per_lang: dict[str, dict[str, float]] = {}
    validation: dict[str, dict[str, float]] = {}  # BUCC's dev scores, for choosing an arm
    examples: dict[str, list[dict]] = {}
    for lang in cell["languages"]:
        t0 = time.time()
        splits = _language_splits(task, lang, Path(features_dir))
        predictions, scores, dev_scores = task.evaluate_language(lang, splits, embed_rows)
        if dev_scores:
            validation[lang] = dev_scores
        task.write_predictions(
            predictions, predictions_dir / f"test-{lang}.{task.prediction_suffix}"
        )
        per_lang[lang] = scores
        if scores:  # BUCC's real test set has no public gold: nothing to resample
            gold = task.gold(splits[task.test_split(lang)])
            examples[lang] = task.example_stats(predictions, gold, lang)
        log.info(
            "%s %s: %s (%.1fs)",
            task.name,
            lang,
            ", ".join(f"{k}={v:.2f}" for k, v in scores.items()),
            time.time() - t0,
        )
    notes = []
    if task.oracle_threshold:
        notes.append(
            "oracle threshold: the source has no dev set, so the mining threshold was chosen on "
            "the test gold itself; not comparable to a dev-threshold score"
        )
    result = {
        "task": task.xtreme_name,
        "metrics": list(task.metrics),
        "avg_metrics": list(task.avg_metrics),
        "expected_languages": list(task.languages),
        "languages": per_lang,
        "notes": notes,
        "validation": validation,
        "cell": cell,
    }
    Path(outputs["scores"]).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    write_examples(examples, outputs.get("examples"))
    return result
