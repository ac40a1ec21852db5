"""The runner: one training run's state (model, optimizer, schedule, sampler, the task streams),
one optimizer step, and the checkpoint that holds all of it.

Several tasks train at once, each with its own head: every optimizer step draws one task, with
probability proportional to its size (optionally capped, as jiant's capped-proportional sampler,
or fixed for some tasks), and all of that step's micro-batches come from it, as in jiant's runner.
A step never waits for the GPU: batches are collated and counted on the CPU, copied from pinned
memory without blocking, and the loss is summed on the device and read only when a log line is
due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from xstilts.errors import UserError
from xstilts.settings import Training
from xstilts.tasks.base import padded_to
from xstilts.training import sharding
from xstilts.training.batches import (
    BatchStream,
    accumulation,
    bucket_lengths,
    sampling_probabilities,
    split_batch,
    total_steps,
)
from xstilts.training.checkpoints import save_checkpoint
from xstilts.training.optim import linear_schedule, param_groups

LOSS_POINTS = 100  # points of the training curve a run records (train_summary.json "losses")


@dataclass
class Runner:
    model: torch.nn.Module
    tasks: dict  # task name → Task
    data: dict  # task name → its training rows
    settings: Training
    seed: int
    device: torch.device
    autocast: object
    pad_id: int
    step: int = 0
    tokens: int = 0
    points: list = field(default_factory=list)  # the learning curve's, when there is one
    # the training curve: [step, mean loss since the previous point, learning rate], about
    # LOSS_POINTS points a run (the report's training-curve figure)
    losses: list = field(default_factory=list)
    # pad every batch to one of this many lengths per task, chosen from its length distribution
    # (fixed shapes for a compiled encoder); 0: to each batch's longest
    buckets: int = 0
    # the most examples one forward and backward pass takes on this device (the model's
    # micro_batch_size, a machine setting): a larger batch is split into micro-batches
    micro_limit: int | None = None

    def __post_init__(self):
        self.rank, self.world = sharding.world()
        batch = int(self.settings.batch_size)
        least = int(self.settings.gradient_accumulation_steps)
        self.accum = accumulation(batch, least, self.micro_limit, self.world)
        micro = batch // self.accum
        if micro < self.world:
            raise UserError(
                f"a micro-batch of {micro} cannot be split across {self.world} GPUs: raise "
                "batch_size or lower gradient_accumulation_steps (or the job's gpu resource)"
            )
        self.micro = micro
        # the batch plan is of whole batches, whatever the micro-batch: the same examples
        # make each optimizer step on any device
        self.streams = {
            n: BatchStream(n, d["length"], batch, self.seed) for n, d in self.data.items()
        }
        self.probs = sampling_probabilities(
            {n: len(d) for n, d in self.data.items()},
            self.settings.examples_cap,
            self.settings.fixed_probabilities,
        )
        # one set of lengths for all the run's tasks: the encoder they share then sees at most
        # ``buckets`` lengths, however many tasks an arm trains (a multi-task arm does not add
        # shapes, so a compiled encoder does not recompile for it)
        shared = bucket_lengths(
            [n for name, d in self.data.items() for n in self.tasks[name].padded_lengths(d)],
            self.buckets,
        )
        self.shapes = dict.fromkeys(self.data, shared)
        self.compiled: CompiledEncoder | None = None
        self.total = total_steps(self.settings, {n: len(d) for n, d in self.data.items()})
        self.warmup = int(self.settings.warmup_ratio * self.total)
        lr = self.settings.learning_rate
        self.optimizer = torch.optim.AdamW(
            param_groups(self.model, lr, self.settings.weight_decay),
            lr=lr,
            eps=self.settings.adam_epsilon,
            fused=self.device.type == "cuda" and self.world == 1,
        )
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, linear_schedule(self.warmup, self.total)
        )
        self.sampler = np.random.default_rng(self.seed)
        self.steps_by_task = dict.fromkeys(self.data, 0)  # the realised share of each task
        self.loss_sum = torch.zeros((), device=self.device)
        self.loss_n = 0
        self.window_sum = torch.zeros((), device=self.device)  # since the last curve point
        self.window_n = 0
        self.loss_every = max(1, self.total // LOSS_POINTS)

    # ---- one optimizer step ----
    def train_step(self) -> None:
        """One task drawn, one batch of it split into ``accum`` micro-batches, one optimizer
        step."""
        self.accumulate()
        self.update()

    def accumulate(self) -> str:
        """The gradients of one step: a task drawn, one batch of it split into ``accum``
        micro-batches, forward and backward, each loss weighted by its share of the batch;
        returns the task."""
        names = list(self.probs)
        name = names[int(self.sampler.choice(len(names), p=list(self.probs.values())))]
        task = self.tasks[name]
        self.steps_by_task[name] += 1
        pin = self.device.type == "cuda"
        drawn = self.streams[name].next()
        for part in split_batch(drawn, self.streams[name].lengths, self.accum):
            index = sharding.share(part)
            rows = self.data[name][index]
            with padded_to(self.shapes[name]):
                cpu_batch = task.collate(rows, self.pad_id)
            if self.compiled is not None:  # a partial batch is filled up to the full one
                self.compiled.next_micro_batch(len(index), self.micro)
            self.tokens += int(cpu_batch["attention_mask"].sum())
            batch = {
                k: (v.pin_memory() if pin else v).to(self.device, non_blocking=True)
                for k, v in cpu_batch.items()
            }
            with self.autocast():
                logits = self.model(name, batch)
            loss = task.loss(logits, batch)
            # each micro-batch weighs its share of the batch's examples: a task's per-example
            # mean loss gives the whole batch's gradient, however the batch is split
            (loss * (len(part) / len(drawn))).backward()
            self.loss_sum += loss.detach()
            self.loss_n += 1
            self.window_sum += loss.detach()
            self.window_n += 1
        return name

    def update(self) -> None:
        """Clip, the optimizer and schedule steps, gradients to none: the step is done (and,
        every ``loss_every`` steps, a point of the training curve)."""
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.settings.max_grad_norm)
        self.optimizer.step()
        self.schedule.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        if self.step % self.loss_every == 0 or self.step == self.total:
            lr = float(self.schedule.get_last_lr()[0])
            mean = float(self.window_sum) / max(1, self.window_n)  # reads the device
            self.losses.append([self.step, round(mean, 5), lr])
            self.window_sum.zero_()
            self.window_n = 0

    def mean_loss(self) -> float:
        """The mean loss since the last call (reads the device once)."""
        value = float(self.loss_sum) / max(1, self.loss_n)
        self.loss_sum.zero_()
        self.loss_n = 0
        return value

    def shares(self) -> dict[str, float]:
        return {
            n: k / max(1, sum(self.steps_by_task.values())) for n, k in self.steps_by_task.items()
        }

    # ---- checkpoints ----
    def state(self, fingerprint: str, selection) -> dict | None:
        """The whole state to resume from (every process of a sharded run takes part; the
        first gets the gathered state, the others None)."""
        torch_rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state() if self.device.type == "cuda" else None
        if self.world > 1:
            model_state, optim_state = sharding.full_state(self.model, self.optimizer)
            torch_rng, cuda_rng = sharding.gather(torch_rng), sharding.gather(cuda_rng)
            if self.rank != 0:
                return None
        else:
            model_state, optim_state = self.model.state_dict(), self.optimizer.state_dict()
        return {
            "fingerprint": fingerprint,
            "world": self.world,
            "model": model_state,
            "optimizer": optim_state,
            "scheduler": self.schedule.state_dict(),
            "sampler": self.sampler.bit_generator.state,
            "streams": {n: s.state() for n, s in self.streams.items()},
            "torch_rng": torch_rng,
            "cuda_rng": cuda_rng,
            "step": self.step,
            "tokens": self.tokens,
            "curve": self.points,
            "losses": self.losses,
            "steps_by_task": self.steps_by_task,
            "selection": selection.state() if selection else None,
        }

    def checkpoint(self, directory: Path, fingerprint: str, selection) -> None:
        state = self.state(fingerprint, selection)
        if state is not None:
            save_checkpoint(directory, state)

    def resume(self, state: dict, selection) -> None:
        """Continue from a checkpoint of this run."""
        if self.world > 1:
            sharding.load_full_state(self.model, self.optimizer, state["model"], state["optimizer"])
        else:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["scheduler"])
        self.sampler.bit_generator.state = state["sampler"]
        for n, s in self.streams.items():
            s.restore(state["streams"][n])
        # each process its own random state (a sharded run keeps one per process)
        torch.set_rng_state(state["torch_rng"][self.rank] if self.world > 1 else state["torch_rng"])
        cuda_rng = state.get("cuda_rng")
        if self.device.type == "cuda" and cuda_rng is not None:
            torch.cuda.set_rng_state(cuda_rng[self.rank] if self.world > 1 else cuda_rng)
        self.step, self.tokens = state["step"], state["tokens"]
        self.points = state.get("curve", [])
        self.losses = state.get("losses", [])
        self.steps_by_task = state.get("steps_by_task", self.steps_by_task)
        if selection is not None:
            selection.restore(state["selection"])


# ---- a compiled encoder ----
log = logging.getLogger("xstilts")


def compile_mode(device: torch.device, accum: int, world: int) -> tuple[str | None, str]:
    """How a run with ``compile: true`` compiles its encoder: (torch.compile mode or None, why).

    One micro-batch per step: ``reduce-overhead`` (CUDA graphs, the launch-bound step's gain,
    docs/performance.md). More than one: ``default`` (Inductor's fused kernels, no CUDA graphs).
    CUDA graphs with gradient accumulation are unsafe in torch: the parameter gradients the
    backward graph hands over are its static output buffers, which the next micro-batch's replay
    overwrites, so all but the last micro-batch's gradients are lost (silently: an accumulated
    bias gradient of 0.25 instead of 1.0 over 4 micro-batches, with no error, and correct
    without CUDA graphs: pytorch/pytorch#96693), or the backward fails with "accessing tensor
    output of CUDAGraphs that has been overwritten by a subsequent run" even after
    ``torch.compiler.cudagraph_mark_step_begin()`` and cloning the outputs
    (pytorch/pytorch#169545, open). tests/test_gpu.py checks that compiled gradients with
    accumulation equal eager ones."""
    if device.type != "cuda":
        return None, "no CUDA device (the CPU never compiles)"
    if world > 1:
        return None, "a sharded run is not compiled"
    if accum > 1:
        return "default", f"{accum} micro-batches a step: CUDA graphs would lose gradients"
    return "reduce-overhead", "one micro-batch a step: CUDA graphs"


class _DynamoFallback(logging.Handler):
    """Catches torch._dynamo's warning that it hit its recompile limit, after which the frames
    it would have compiled run eagerly (the run would otherwise report itself compiled)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.message: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if self.message is None and "hit config." in text:
            self.message = text.splitlines()[0]


class CompiledEncoder:
    """The encoder's call, compiled: rows are filled up to the full micro-batch (copies of the
    first row, whose outputs are cut off again, so they add exactly zero to every gradient)
    outside the compiled region, so that the last, partial batch of an epoch has the shape of
    the others and records no new graph; with CUDA graphs, each micro-batch starts a new step
    (``torch.compiler.cudagraph_mark_step_begin``, as the error of pytorch/pytorch#169545
    advises). Installed as the module's ``_compiled_call_impl``, which ``inference.eager``
    switches off for validation."""

    def __init__(self, encoder: torch.nn.Module, mode: str):
        import torch._dynamo.utils as dynamo_utils

        self.mode = mode
        self.call = torch.compile(encoder._call_impl, mode=mode)
        self.rows: tuple[int, int] | None = None  # (rows of the batch, rows of a full one)
        self.shapes: set[tuple[int, ...]] = set()
        self.calls = 0
        self.counters = dynamo_utils.counters
        self.graphs_before = self.counters["stats"]["unique_graphs"]
        self.skips_before = self.counters["inductor"]["cudagraph_skips"]
        self.fallback = _DynamoFallback()
        logging.getLogger("torch._dynamo").addHandler(self.fallback)

    def __call__(self, *args, **kwargs):
        ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        n = full = ids.shape[0] if ids is not None else 0
        if self.rows and ids is not None and mask is not None:
            rows, rows_full = self.rows
            if rows and n % rows == 0:  # e.g. a multiple-choice batch: rows x choices
                full = n // rows * rows_full
        if full > n:
            fill = full - n
            kwargs["input_ids"] = torch.cat([ids, ids[:1].expand(fill, -1)])
            kwargs["attention_mask"] = torch.cat([mask, mask[:1].expand(fill, -1)])
        self.shapes.add(tuple(kwargs["input_ids"].shape) if ids is not None else ())
        self.calls += 1
        out = self.call(*args, **kwargs)
        if full > n:
            out = type(out)(**{k: _first_rows(v, n) for k, v in out.items()})
        return out

    def next_micro_batch(self, rows: int, rows_full: int) -> None:
        """A micro-batch of ``rows`` examples of ``rows_full`` begins: with CUDA graphs, a new
        step of them (the earlier outputs may be overwritten from here on)."""
        self.rows = (rows, rows_full)
        if self.mode == "reduce-overhead":
            torch.compiler.cudagraph_mark_step_begin()

    def report(self) -> dict:
        """Whether the run really ran compiled, and how."""
        logging.getLogger("torch._dynamo").removeHandler(self.fallback)
        skips = self.counters["inductor"]["cudagraph_skips"] - self.skips_before
        report = {
            "mode": self.mode,
            "graphs": self.counters["stats"]["unique_graphs"] - self.graphs_before,
            "shapes": sorted(list(s) for s in self.shapes),
            "calls": self.calls,
        }
        fallback = self.fallback.message
        if fallback is None and self.mode == "reduce-overhead" and skips:
            fallback = f"CUDA graphs skipped {skips} time(s) (TORCH_LOGS=perf_hints says why)"
        if fallback is not None:
            report["fallback"] = fallback
        return report


def _first_rows(value, n: int):
    if isinstance(value, torch.Tensor):
        return value[:n]
    if isinstance(value, tuple):
        return tuple(_first_rows(v, n) for v in value)
    return value


def compile_encoder(runner: Runner, asked: bool, mode: str | None = None) -> dict:
    """Compile the runner's encoder when ``asked`` (``mode`` forces one: a test on the CPU);
    the start of the summary's record of it (``compile_report``)."""
    if not asked:
        return {"compiled": False}
    reason = "forced"
    if mode is None:
        mode, reason = compile_mode(runner.device, runner.accum, runner.world)
    if mode is None:
        log.info("not compiled: %s", reason)
        return {"compiled": False, "compile": {"fallback": reason}}
    runner.compiled = CompiledEncoder(runner.model.encoder, mode)
    runner.model.encoder._compiled_call_impl = runner.compiled
    log.info("encoder compiled (torch.compile, %s): %s", mode, reason)
    return {"compiled": True, "compile": {"mode": mode, "why": reason}}


def compile_report(runner: Runner, start: dict) -> dict:
    """``compiled`` (true only if training ran compiled to its end) and ``compile`` (the mode,
    the graphs compiled, the encoder's input shapes, and a fallback's reason) for
    train_summary.json; the encoder runs eagerly from here on."""
    if runner.compiled is None:
        return start
    report = start["compile"] | runner.compiled.report()
    runner.model.encoder._compiled_call_impl = None
    runner.compiled = None
    return {"compiled": "fallback" not in report, "compile": report}
