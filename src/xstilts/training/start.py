"""A training run's setup: its data, its model and runner (built in the order that draws the
same random numbers every time), its model selection, the checkpoint it resumes from, and its
first log line. The loop (loop.py) runs what this builds."""

from __future__ import annotations

import logging
from pathlib import Path

import datasets

from xstilts import tasks as task_registry
from xstilts.data.disk import load_split
from xstilts.errors import UserError
from xstilts.modeling import model as modeling
from xstilts.settings import Training
from xstilts.training import sharding
from xstilts.training.batches import micro_batch_limit
from xstilts.training.checkpoints import load_checkpoint
from xstilts.training.inference import device_and_autocast
from xstilts.training.optim import set_seed
from xstilts.training.runner import Runner
from xstilts.training.selection import Selection, validation_sets

log = logging.getLogger("xstilts")


def _training_data(names, features, train_sets, train_split) -> dict:
    """task → its training rows: the ``train_split`` of its features, or of the dirs
    ``train_sets`` names for it (concatenated)."""
    data = {}
    for n in names:
        dirs = train_sets[n] if n in train_sets else [features[n]]
        parts = [load_split(Path(d) / train_split) for d in dirs]
        data[n] = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
        if len(data[n]) == 0:
            raise UserError(
                f"task {n} has no training examples in {', '.join(map(str, dirs))}: check its "
                "data files under resources/, delete the features directory and run again"
            )
    return data


# bucket lengths per task when the encoder is compiled and the config names none
COMPILED_BUCKETS = 6


def build(
    encoder_dir, features, settings, seed, train_sets, train_split, heads_from, buckets, micro
):
    """The model (its heads from ``heads_from`` when given, sharded in a sharded run) and its
    runner, in the order that draws the same random numbers every time."""
    set_seed(seed)
    device, autocast = device_and_autocast(settings.precision)
    encoder, tokenizer = modeling.load_encoder(encoder_dir, device)
    log.info("starting from the encoder in %s", encoder_dir)
    names = sorted({*features, *(train_sets or {})})
    model = modeling.MultiTaskModel(encoder, names).to(device)
    if heads_from is not None:
        modeling.load_heads(model, heads_from, device)
    # a sharded run: every process draws the same batches and trains on its share of each;
    # parameters, gradients and optimizer states are split across processes
    if sharding.world()[1] > 1:
        sharding.shard(model)
        log.info(
            "sharded across %d processes (FSDP, one unit per encoder layer)", sharding.world()[1]
        )
    tasks = {n: task_registry.get(n) for n in names}
    data = _training_data(names, features, train_sets or {}, train_split)
    pad_id = tokenizer.pad_token_id
    limit = micro_batch_limit(micro, sharding.gpu_memory_gib(device))
    runner = Runner(
        model,
        tasks,
        data,
        settings,
        seed,
        device,
        autocast,
        pad_id,
        buckets=buckets,
        micro_limit=limit,
    )
    return runner, tokenizer


def selection_of(runner: Runner, features: dict, settings: Training):
    """Model selection (None without best_checkpoint) and the validation rows it reads."""
    selection = Selection.from_settings(settings)
    sets = validation_sets(runner.tasks, features, selection.examples) if selection else {}
    if selection is not None and not sets:
        raise UserError(
            f"best_checkpoint selects on English validation data, and {', '.join(runner.tasks)} "
            "has none: remove best_checkpoint from its settings in the config"
        )
    return selection, sets


def resume(runner: Runner, checkpoint_dir: Path, run_id: str, selection) -> None:
    path = checkpoint_dir / "checkpoint.pt"
    where = "cpu" if runner.world > 1 else runner.device  # sharded: load whole, then split
    state = load_checkpoint(checkpoint_dir, where)  # None: none, or one set aside unreadable
    if state is None:
        return
    if state["fingerprint"] == run_id and state.get("world", 1) == runner.world:
        runner.resume(state, selection)
        log.info("resumed from %s at step %d/%d", path, runner.step, runner.total)
    else:
        log.info("ignoring checkpoint %s: it belongs to other settings", path)


def log_start(runner: Runner, train_split: str) -> None:
    log.info(
        "training %s%s on %s: %d steps (warm-up %d), batch %d = %d x %d, p(task)=%s",
        "+".join(runner.tasks),
        "" if train_split == "train" else f" (features split {train_split})",
        runner.device,
        runner.total,
        runner.warmup,
        runner.micro * runner.accum,
        runner.micro,
        runner.accum,
        {n: round(p, 3) for n, p in runner.probs.items()},
    )
