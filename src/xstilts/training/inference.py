"""Inference: the device and autocast a job runs under, and a model's logits for prepared
features (batched by length), shared by training's validation, evaluation and the analyses."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    import datasets

    from xstilts.tasks.base import Task


def device_and_autocast(precision: str = "bf16") -> tuple[torch.device, object]:
    """The CUDA device when there is one (bf16 autocast if asked), else the CPU in fp32."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
        if precision == "bf16":
            return device, lambda: torch.autocast("cuda", dtype=torch.bfloat16)
        return device, nullcontext
    return torch.device("cpu"), nullcontext


@contextmanager
def eager(model):
    """The encoder runs uncompiled within: evaluation during training (validation, a learning
    curve) has shapes of its own, which would record CUDA graphs in a compiled encoder and could
    exhaust its recompile limit, leaving training uncompiled."""
    compiled_call = getattr(model.encoder, "_compiled_call_impl", None)
    model.encoder._compiled_call_impl = None
    try:
        yield
    finally:
        model.encoder._compiled_call_impl = compiled_call


# tokens (rows x the longest padded row) of one inference batch: 64 rows of 256, about 290
# XNLI-length pairs or 42 QA windows of 384
INFER_TOKENS = 16_384


def token_batches(lengths, order: list[int], max_tokens: int, max_rows: int | None = None):
    """``order`` (row indices sorted by length, shortest first) cut into batches whose rows x
    longest length stays within ``max_tokens`` (a row longer than that goes alone), and of at
    most ``max_rows`` rows when given."""
    batch: list[int] = []
    for i in order:
        rows = len(batch) + 1
        if batch and (rows * max(lengths[i], 1) > max_tokens or rows > (max_rows or rows)):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


@torch.no_grad()
def predict(
    model,
    task: Task,
    features: datasets.Dataset,
    pad_id: int,
    batch_size: int | None = None,
    precision: str = "bf16",
    cache: dict[str, torch.Tensor] | None = None,
    max_tokens: int = INFER_TOKENS,
) -> list[torch.Tensor]:
    """Logits per feature row, in row order. Rows are sorted by length and batched by tokens
    (``max_tokens``, and at most ``batch_size`` rows when given), so short rows share large
    batches; the logits are copied back without waiting on the GPU, which is synchronised
    once at the end.

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
    pin = device.type == "cuda"
    done: list[tuple[list[int], torch.Tensor]] = []
    for idx in token_batches(lengths, order, max_tokens, batch_size):
        batch = {
            k: (v.pin_memory() if pin else v).to(device, non_blocking=True)
            for k, v in task.collate(features[idx], pad_id).items()
        }
        with autocast():
            logits = model(task.name, batch).float()
        done.append((idx, logits.to("cpu", non_blocking=True)))
    if pin:  # the copies above were queued: wait for them once
        torch.cuda.current_stream().synchronize()
    for idx, logits in done:
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
