"""The training engine, one for both phases (intermediate and target).

AdamW with linear warm-up and decay; bf16 autocast on CUDA; dynamic padding with length-grouped
batches; several tasks at once, sampled in proportion to their size (optionally capped, as
jiant's capped-proportional sampler), each with its own head; periodic checkpoints in a
directory outside the job's declared outputs, so a restarted job resumes where it stopped;
deterministic under a seed (the batch plan is a pure function of seed, task and epoch, and every
random state is checkpointed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import datasets
import numpy as np
import torch

from xstilts import sharding
from xstilts import tasks as task_registry
from xstilts.errors import UserError
from xstilts.evaluate import device_and_autocast, score_split
from xstilts.features import load_split
from xstilts.modeling import model as modeling
from xstilts.selection import Selection, load_best, save_best, validation_sets

log = logging.getLogger("xstilts")

MEGABATCH = 50  # length grouping: sort within windows of 50 batches, as HF's length sampler


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _task_seed(seed: int, task: str, epoch: int) -> int:
    digest = hashlib.sha256(f"{seed}|{task}|{epoch}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, sort by length inside mega-batches, cut into batches, shuffle the batches."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(lengths))
    window = batch_size * MEGABATCH
    batches: list[list[int]] = []
    for start in range(0, len(perm), window):
        chunk = sorted(perm[start : start + window].tolist(), key=lambda i: -lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


@dataclass
class BatchStream:
    """Endless length-grouped batches of one task; its position is (epoch, index)."""

    task: str
    lengths: list[int]
    batch_size: int
    seed: int
    epoch: int = 0
    index: int = 0

    def __post_init__(self):
        self._plan = self._make_plan()

    def _make_plan(self):
        return length_grouped_batches(
            self.lengths, self.batch_size, _task_seed(self.seed, self.task, self.epoch)
        )

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def next(self) -> list[int]:
        if self.index >= len(self._plan):
            self.epoch, self.index = self.epoch + 1, 0
            self._plan = self._make_plan()
        batch = self._plan[self.index]
        self.index += 1
        return batch

    def state(self) -> dict:
        return {"epoch": self.epoch, "index": self.index}

    def restore(self, state: dict) -> None:
        self.epoch, self.index = state["epoch"], state["index"]
        self._plan = self._make_plan()


def sampling_probabilities(
    sizes: dict[str, int], cap: int | None = None, fixed: dict[str, float] | None = None
) -> dict[str, float]:
    """p(task) ∝ min(size, cap): proportional sampling, capped-proportional with a cap; the
    tasks in ``fixed`` get their probability, the others share the rest in that proportion."""
    fixed = {t: p for t, p in (fixed or {}).items() if t in sizes}
    weights = {t: min(n, cap) if cap else n for t, n in sizes.items() if t not in fixed}
    total, rest = sum(weights.values()), 1.0 - sum(fixed.values())
    return {t: fixed[t] if t in fixed else rest * weights[t] / total for t in sizes}


def linear_schedule(warmup: int, total: int):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def _param_groups(model: modeling.MultiTaskModel, lr: float, weight_decay: float):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "LayerNorm" in name or name.endswith("bias") else decay).append(
            p
        )
    return [
        {"params": decay, "weight_decay": weight_decay, "lr": lr},
        {"params": no_decay, "weight_decay": 0.0, "lr": lr},
    ]


class _StopSignals:
    """Note SIGTERM / SIGUSR1 (what SLURM sends before preemption or a time limit, the latter
    when asked with ``--signal=USR1@<seconds>``); the loop checkpoints and exits at the next
    step boundary, so the job's rerun resumes there."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self):
        self.received: int | None = None
        self._previous: dict = {}

    def __enter__(self):
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._note)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _note(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _save_checkpoint(path: Path, state: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / "checkpoint.pt.tmp"
    torch.save(state, tmp)
    tmp.replace(path / "checkpoint.pt")  # atomic: a job killed mid-write keeps the old one


def _curve_sets(task_objs: dict, features: dict, curve: dict) -> dict[str, tuple]:
    """language → (task, split, feature rows) a learning curve evaluates."""
    if len(task_objs) != 1:
        raise ValueError("a learning curve follows a run of one task")
    [(name, task)] = task_objs.items()
    root = Path(features[name])
    out = {}
    for lang in curve["languages"]:
        split = task.curve_split(lang)
        if not (root / split).exists():
            raise UserError(
                f"features {root / split} are missing, which the learning curve of {name} "
                f"reads for language {lang}; delete {root} and run again"
            )
        rows = load_split(root / split)
        if split != "validation":
            rows = task.with_pool(rows, root)
        rows = task.first_examples(rows, curve["max_examples"])
        out[lang] = (name, split, rows)
    return out


def validation_score(model, sets: dict, pad_id: int, precision: str) -> float:
    """The mean of the tasks' summary scores on their validation rows (jiant's aggregate of
    the tasks' major metrics)."""
    scores = [
        task.summary_score(score_split(model, task, rows, pad_id, precision)[1])
        for task, rows in sets.values()
    ]
    return float(sum(scores) / len(scores))


def train(
    *,
    encoder_dir: str | Path,
    features: dict[str, str | Path],
    settings: dict,
    seed: int,
    out_dir: str | Path,
    checkpoint_dir: str | Path,
    checkpoint_minutes: float = 15.0,
    checkpoint_every_steps: int | None = None,
    log_seconds: float = 20.0,
    stop_at_step: int | None = None,
    on_step: Callable[[int, torch.nn.Module], None] | None = None,
    compile: bool = False,
    curve: dict | None = None,
    train_sets: dict[str, list[str | Path]] | None = None,
    train_split: str = "train",
    heads_from: str | Path | None = None,
) -> dict | None:
    """Train the encoder plus one head per task in ``features`` (task → prepared features dir).

    ``settings``: learning_rate, batch_size, epochs or max_steps, warmup_ratio, weight_decay,
    adam_epsilon, max_grad_norm, gradient_accumulation_steps, precision, examples_cap.
    Returns the training summary, or None when ``stop_at_step`` interrupted it (as a preemption
    would: the checkpoint stays and the next call resumes from it). ``on_step(step, model)`` is
    called after every optimizer step (benchmarks time the loop with it). ``compile=True``
    compiles the encoder with ``torch.compile(mode="reduce-overhead")`` on CUDA. XLM-R Large at
    XNLI lengths is bound by kernel launches, which CUDA graphs remove: at one fixed shape a
    step took 23-32 ms instead of 68-76 ms on an H100, but with the varying lengths of real
    batches a graph is recorded per shape, and it did not pay (docs/performance.md), hence off
    by default. It changes the arithmetic only within bf16 rounding: a speed option, not part
    of a cell's settings.

    ``curve`` ({every, languages, max_examples}) logs a learning curve of a one-task run: the
    task's metrics on each language at step 0, every ``every`` steps and the last step, on the
    first ``max_examples`` of English validation (English test without one) and of the other
    languages' test splits, into the summary's "curve". Evaluation draws no random numbers, so
    the trained weights are the same with and without it.

    ``train_sets`` (task → prepared features dirs) replaces a task's training data by the
    concatenated ``train`` splits of those dirs (a translated arm: English and machine-
    translated copies, sampled in proportion to size), or adds a task trained only on them (an
    mlm arm's masked-LM text); validation still comes from ``features``.
    ``settings["fixed_probabilities"]`` (task → p) samples those tasks' batches with a fixed
    probability and the others in proportion to size in the rest; ``epochs`` then count the
    others' data, the fixed tasks' batches coming on top.

    The loop never waits for the GPU inside a step: batches are collated and counted on the
    CPU, copied from pinned memory without blocking, and the loss is summed on the device and
    read only when a log line is due.

    ``train_split`` names the features split trained on (a staged task's "first_stage", see
    ``train_in_stages``); ``heads_from`` (a saved model directory) starts each task's head from
    that model's head of the same task instead of a fresh one. A finished run whose
    ``train_summary.json`` is in ``out_dir`` with this run's fingerprint is not run again.
    """
    out_dir, checkpoint_dir = Path(out_dir), Path(checkpoint_dir)
    # a checkpoint resumes only the same run: same settings, data and encoder weights (a
    # retrained intermediate encoder keeps its path, so its files' identity counts too)
    weights = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in Path(encoder_dir).glob("*.safetensors")
    )
    identity = [str(encoder_dir), weights, {n: str(p) for n, p in features.items()}, settings]
    identity.append(seed)
    if train_split != "train" or heads_from is not None:  # (the default keeps old fingerprints)
        identity += [train_split, str(heads_from)]
    if curve:  # the points logged so far belong to this curve (no curve: identity as before)
        identity.append(curve)
    fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    done = out_dir / "train_summary.json"
    if done.exists() and json.loads(done.read_text()).get("fingerprint") == fingerprint:
        log.info("%s holds this run, finished: not run again", out_dir)
        return json.loads(done.read_text())
    set_seed(seed)
    device, autocast = device_and_autocast(settings.get("precision", "bf16"))
    encoder, tokenizer = modeling.load_encoder(encoder_dir, device)
    log.info("starting from the encoder in %s", encoder_dir)
    names = sorted({*features, *(train_sets or {})})
    model = modeling.MultiTaskModel(encoder, names).to(device)
    if heads_from is not None:
        modeling.load_heads(model, heads_from, device)
    # a sharded run (xstilts.sharding): every process draws the same batches and trains on its
    # share of each; parameters, gradients and optimizer states are split across processes
    rank, world = sharding.world()
    if world > 1:
        sharding.shard(model)
        log.info("sharded across %d processes (FSDP, one unit per encoder layer)", world)
    task_objs = {n: task_registry.get(n) for n in names}
    train_sets = train_sets or {}
    sources = {n: train_sets[n] if n in train_sets else [features[n]] for n in names}
    data = {}
    for n in names:
        parts = [load_split(Path(d) / train_split) for d in sources[n]]
        data[n] = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
        if len(data[n]) == 0:
            raise UserError(
                f"task {n} has no training examples in {', '.join(map(str, sources[n]))}: "
                "check its data files under resources/, delete the features directory and "
                "run again"
            )

    micro = int(settings["batch_size"]) // int(settings.get("gradient_accumulation_steps", 1))
    accum = int(settings.get("gradient_accumulation_steps", 1))
    if micro < world:
        raise UserError(
            f"a micro-batch of {micro} cannot be split across {world} GPUs: raise batch_size "
            "or lower gradient_accumulation_steps (or the job's gpu resource)"
        )
    streams = {n: BatchStream(n, data[n]["length"], micro, seed) for n in names}
    probs = sampling_probabilities(
        {n: len(d) for n, d in data.items()},
        settings.get("examples_cap"),
        settings.get("fixed_probabilities"),
    )
    if settings.get("max_steps"):
        total = int(settings["max_steps"])
    else:  # epochs of the tasks sampled by size; those with a fixed share come on top
        fixed = settings.get("fixed_probabilities") or {}
        per_epoch = sum(s.batches_per_epoch for n, s in streams.items() if n not in fixed)
        share = 1.0 - sum(p for n, p in fixed.items() if n in streams)
        total = math.ceil(settings["epochs"] * per_epoch / share / accum)
    warmup = int(settings.get("warmup_ratio", 0.1) * total)
    selection = Selection.from_settings(settings)
    selection_sets = validation_sets(task_objs, features, selection.examples) if selection else {}
    if selection is not None and not selection_sets:
        raise UserError(
            f"best_checkpoint selects on English validation data, and {', '.join(names)} has "
            "none: remove best_checkpoint from its settings in the config"
        )

    opt = torch.optim.AdamW(
        _param_groups(model, settings["learning_rate"], settings.get("weight_decay", 0.01)),
        lr=settings["learning_rate"],
        eps=settings.get("adam_epsilon", 1e-8),
        fused=device.type == "cuda" and world == 1,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule(warmup, total))
    sampler = np.random.default_rng(seed)

    step, tokens_done, loss_n = 0, 0, 0
    steps_by_task = dict.fromkeys(names, 0)  # the realised share of each task
    loss_sum = torch.zeros((), device=device)
    curve_sets = _curve_sets(task_objs, features, curve) if curve else {}
    points: list[dict] = []
    ckpt_file = checkpoint_dir / "checkpoint.pt"
    if ckpt_file.exists():
        where = "cpu" if world > 1 else device  # a sharded run loads the full state, then splits
        state = torch.load(ckpt_file, map_location=where, weights_only=False)
        if state["fingerprint"] == fingerprint and state.get("world", 1) == world:
            if world > 1:
                sharding.load_full_state(model, opt, state["model"], state["optimizer"])
            else:
                model.load_state_dict(state["model"])
                opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            sampler.bit_generator.state = state["sampler"]
            for n, s in streams.items():
                s.restore(state["streams"][n])
            # each process its own random state (a sharded run keeps one per process)
            rng = state["torch_rng"][rank] if world > 1 else state["torch_rng"]
            torch.set_rng_state(rng)
            cuda_rng = state.get("cuda_rng")
            if device.type == "cuda" and cuda_rng is not None:
                torch.cuda.set_rng_state(cuda_rng[rank] if world > 1 else cuda_rng)
            step, tokens_done = state["step"], state["tokens"]
            points = state.get("curve", [])
            steps_by_task = state.get("steps_by_task", steps_by_task)
            if selection is not None:
                selection.restore(state["selection"])
            log.info("resumed from %s at step %d/%d", ckpt_file, step, total)
        else:
            log.info("ignoring checkpoint %s: it belongs to other settings", ckpt_file)

    def checkpoint() -> None:
        torch_rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state() if device.type == "cuda" else None
        if world > 1:  # every process takes part; the first writes the gathered state
            model_state, optim_state = sharding.full_state(model, opt)
            torch_rng, cuda_rng = sharding.gather(torch_rng), sharding.gather(cuda_rng)
            if rank != 0:
                return
        else:
            model_state, optim_state = model.state_dict(), opt.state_dict()
        _save_checkpoint(
            checkpoint_dir,
            {
                "fingerprint": fingerprint,
                "world": world,
                "model": model_state,
                "optimizer": optim_state,
                "scheduler": sched.state_dict(),
                "sampler": sampler.bit_generator.state,
                "streams": {n: s.state() for n, s in streams.items()},
                "torch_rng": torch_rng,
                "cuda_rng": cuda_rng,
                "step": step,
                "tokens": tokens_done,
                "curve": points,
                "steps_by_task": steps_by_task,
                "selection": selection.state() if selection else None,
            },
        )

    def evaluate_curve() -> None:
        # eagerly: evaluation shapes would record CUDA graphs of their own in a compiled
        # encoder (and could exhaust its recompile limit, leaving training uncompiled)
        compiled_call = getattr(model.encoder, "_compiled_call_impl", None)
        model.encoder._compiled_call_impl = None
        cache: dict = {}  # rows the languages share (LAReQA's pool): embedded once per point
        for lang, (name, split, rows) in curve_sets.items():
            _, scores = score_split(
                model, task_objs[name], rows, tokenizer.pad_token_id, precision, lang, cache
            )
            points.append(
                {"step": step, "language": lang, "split": split, "examples": len(rows)}
                | {"metrics": scores, "score": task_objs[name].summary_score(scores)}
            )
        model.encoder._compiled_call_impl = compiled_call
        model.train()

    log.info(
        "training %s%s on %s: %d steps (warm-up %d), batch %d = %d x %d, p(task)=%s",
        "+".join(names),
        "" if train_split == "train" else f" (features split {train_split})",
        device,
        total,
        warmup,
        micro * accum,
        micro,
        accum,
        {n: round(p, 3) for n, p in probs.items()},
    )
    pad_id = tokenizer.pad_token_id
    pin = device.type == "cuda"
    compiled = device.type == "cuda" and bool(compile) and world == 1
    if compiled:
        # in place (state_dict keys unchanged); shapes after the first are compiled dynamic
        model.encoder.compile(mode="reduce-overhead")
        log.info("encoder compiled (torch.compile, reduce-overhead)")
    task_list, p_list = list(probs), list(probs.values())
    precision = settings.get("precision", "bf16")
    if curve_sets and step == 0:
        evaluate_curve()
    model.train()
    t_start = t_log = t_ckpt = time.time()
    start_step, tokens_at_start = step, tokens_done
    with _StopSignals() as stop:
        while step < total:
            # one task per optimizer step, all its micro-batches from that task (jiant's
            # runner); with one micro-batch a step this draws exactly what a draw per
            # micro-batch did
            name = task_list[int(sampler.choice(len(task_list), p=p_list))]
            task = task_objs[name]
            steps_by_task[name] += 1
            for _ in range(accum):
                rows = data[name][sharding.share(streams[name].next())]
                cpu_batch = task.collate(rows, pad_id)
                tokens_done += int(cpu_batch["attention_mask"].sum())
                batch = {
                    k: (v.pin_memory() if pin else v).to(device, non_blocking=True)
                    for k, v in cpu_batch.items()
                }
                with autocast():
                    logits = model(name, batch)
                loss = task.loss(logits, batch)
                (loss / accum).backward()
                loss_sum += loss.detach()
                loss_n += 1
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.get("max_grad_norm", 1.0))
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if on_step is not None:
                on_step(step, model)
            if curve_sets and (step % curve["every"] == 0 or step == total):
                evaluate_curve()
            if selection is not None and selection.due(step, total):
                score = validation_score(model, selection_sets, pad_id, precision)
                if selection.record(step, score):
                    save_best(model, checkpoint_dir)
                log.info(
                    "validation at step %d: %.3f (best %.3f at step %d)",
                    step, score, selection.best_score, selection.best_step,
                )  # fmt: skip
                model.train()
                if selection.exhausted and step < total:
                    log.info(
                        "no gain in %d validations: stopped at step %d of %d",
                        selection.patience, step, total,
                    )  # fmt: skip
                    break
            now = time.time()
            if now - t_log >= log_seconds or step == total:
                rate = (tokens_done - tokens_at_start) / max(now - t_start, 1e-9)
                left = (now - t_start) / (step - start_step) * (total - step)
                log.info(
                    "step %d/%d loss %.4f lr %.2e %.0f tokens/s, %s left",
                    step,
                    total,
                    float(loss_sum) / max(1, loss_n),
                    sched.get_last_lr()[0],
                    rate,
                    time.strftime("%H:%M:%S", time.gmtime(left)),
                )
                t_log, loss_n = now, 0
                loss_sum.zero_()
            due = (checkpoint_every_steps and step % checkpoint_every_steps == 0) or (
                now - t_ckpt >= checkpoint_minutes * 60
            )
            if world > 1:  # the processes checkpoint together, and stop together
                due = sharding.any_rank(bool(due))
                if sharding.any_rank(stop.received is not None) and stop.received is None:
                    stop.received = signal.SIGTERM
            if due and step < total:
                checkpoint()
                t_ckpt = now
            if stop_at_step is not None and step >= stop_at_step and step < total:
                checkpoint()
                log.info(
                    "stopped at step %d; the checkpoint in %s resumes it", step, checkpoint_dir
                )
                return None
            if stop.received is not None and step < total:
                checkpoint()
                log.warning(
                    "signal %d at step %d/%d: checkpoint written to %s; rerun the job to resume",
                    stop.received,
                    step,
                    total,
                    checkpoint_dir,
                )
                raise SystemExit(128 + stop.received)

    if compiled:  # validation below runs eagerly: one more graph would not pay for itself
        model.encoder._compiled_call_impl = None
    if selection is not None and selection.best_step != step:
        load_best(model, checkpoint_dir, device)
        log.info("kept the best state: step %d (score %.3f)", selection.best_step,
                 selection.best_score)  # fmt: skip
    if world > 1:  # every process counted the tokens of its share
        tokens_done = sum(sharding.gather(tokens_done))
    summary = {
        "fingerprint": fingerprint,
        "train_split": train_split,
        "tasks": names,
        "compiled": compiled,
        "steps": step,  # total, unless the validation stopped the run early
        "tokens": tokens_done,
        "seed": seed,
        "sampling_probabilities": probs,
        # the share of optimizer steps each task got, as drawn
        "realised_shares": {
            n: k / max(1, sum(steps_by_task.values())) for n, k in steps_by_task.items()
        },  # fmt: skip
        "seconds": round(time.time() - t_start, 2),
        "validation": {},
    }
    if curve_sets:
        summary["curve"] = points
    if selection is not None:
        summary["selection"] = selection.summary(step, total)
    if len(names) > 1:
        log.info(
            "steps per task: %s (shares %s)", steps_by_task,
            {n: round(p, 3) for n, p in summary["realised_shares"].items()},
        )  # fmt: skip
    for n in names:  # English validation score of each task, for the log and model selection
        val = Path(features[n]) / "validation" if n in features else None
        if val is not None and val.exists():
            _, scores = score_split(
                model,
                task_objs[n],
                load_split(val),
                pad_id,
                precision,
            )
            summary["validation"][n] = scores
            log.info("validation %s: %s", n, scores)
    if world > 1:  # the first process saves the gathered weights in the usual layout
        state, _ = sharding.full_state(model)
        if rank == 0:
            plain, _ = modeling.load_encoder(encoder_dir, "cpu")
            model = modeling.MultiTaskModel(plain, names)
            model.load_state_dict(state)
    if rank == 0:
        modeling.save(model, tokenizer, out_dir)
        (out_dir / "train_summary.json").write_text(
            json.dumps(summary, indent=1, sort_keys=True) + "\n"
        )
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    if world > 1:
        torch.distributed.barrier()
    return summary


def train_in_stages(
    *,
    splits: tuple[str, ...] | list[str],
    encoder_dir: str | Path,
    out_dir: str | Path,
    checkpoint_dir: str | Path,
    curve: dict | None = None,
    **kwargs,
) -> dict | None:
    """``train`` through the feature ``splits`` in order (a task's ``train_splits``: XCOPA trains
    on Social IQa's "first_stage", then on COPA's "train"), each stage starting from the encoder
    and heads the one before left. An earlier stage's model stays in ``checkpoint_dir`` until
    the last stage finishes (which removes that directory), so a restarted job skips finished
    stages. A learning curve follows the last stage. Returns the last stage's summary with the
    earlier ones under "stages", or None when ``stop_at_step`` interrupted a stage."""
    heads_from, earlier = None, []
    for split in splits[:-1]:
        stage = Path(checkpoint_dir) / f"stage.{split}"
        summary = train(
            encoder_dir=encoder_dir,
            out_dir=stage / "model",
            checkpoint_dir=stage / "checkpoint",
            train_split=split,
            heads_from=heads_from,
            **kwargs,
        )
        if summary is None:
            return None
        earlier.append(summary)
        encoder_dir = heads_from = stage / "model"
    summary = train(
        encoder_dir=encoder_dir,
        out_dir=out_dir,
        checkpoint_dir=checkpoint_dir,
        curve=curve,
        train_split=splits[-1],
        heads_from=heads_from,
        **kwargs,
    )
    if summary is not None and earlier and sharding.world()[0] == 0:
        summary["stages"] = earlier
        Path(out_dir, "train_summary.json").write_text(
            json.dumps(summary, indent=1, sort_keys=True) + "\n"
        )
    return summary
