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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from xstilts.errors import UserError
from xstilts.tasks.base import padded_to
from xstilts.training import sharding
from xstilts.training.batches import (
    BatchStream,
    bucket_lengths,
    sampling_probabilities,
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
    settings: dict
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

    def __post_init__(self):
        self.rank, self.world = sharding.world()
        self.accum = int(self.settings.get("gradient_accumulation_steps", 1))
        micro = int(self.settings["batch_size"]) // self.accum
        if micro < self.world:
            raise UserError(
                f"a micro-batch of {micro} cannot be split across {self.world} GPUs: raise "
                "batch_size or lower gradient_accumulation_steps (or the job's gpu resource)"
            )
        self.micro = micro
        self.streams = {
            n: BatchStream(n, d["length"], micro, self.seed) for n, d in self.data.items()
        }
        self.probs = sampling_probabilities(
            {n: len(d) for n, d in self.data.items()},
            self.settings.get("examples_cap"),
            self.settings.get("fixed_probabilities"),
        )
        self.shapes = {
            n: bucket_lengths(self.tasks[n].padded_lengths(d), self.buckets)
            for n, d in self.data.items()
        }
        self.total = total_steps(self.settings, {n: len(d) for n, d in self.data.items()})
        self.warmup = int(self.settings.get("warmup_ratio", 0.1) * self.total)
        lr = self.settings["learning_rate"]
        self.optimizer = torch.optim.AdamW(
            param_groups(self.model, lr, self.settings.get("weight_decay", 0.01)),
            lr=lr,
            eps=self.settings.get("adam_epsilon", 1e-8),
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
        """One task drawn, ``accum`` micro-batches of it, one optimizer step. With one
        micro-batch a step this draws exactly what a draw per micro-batch did."""
        names = list(self.probs)
        name = names[int(self.sampler.choice(len(names), p=list(self.probs.values())))]
        task = self.tasks[name]
        self.steps_by_task[name] += 1
        pin = self.device.type == "cuda"
        for _ in range(self.accum):
            rows = self.data[name][sharding.share(self.streams[name].next())]
            with padded_to(self.shapes[name]):
                cpu_batch = task.collate(rows, self.pad_id)
            self.tokens += int(cpu_batch["attention_mask"].sum())
            batch = {
                k: (v.pin_memory() if pin else v).to(self.device, non_blocking=True)
                for k, v in cpu_batch.items()
            }
            with self.autocast():
                logits = self.model(name, batch)
            loss = task.loss(logits, batch)
            (loss / self.accum).backward()
            self.loss_sum += loss.detach()
            self.loss_n += 1
            self.window_sum += loss.detach()
            self.window_n += 1
        max_norm = self.settings.get("max_grad_norm", 1.0)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
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
