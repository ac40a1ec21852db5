"""Batches: length-grouped batches of each task, and the probabilities tasks are drawn with.

The batch plan is a pure function of seed, task and epoch, so a resumed run draws the batches
it would have drawn (its position is (epoch, index) per task).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from xstilts.settings import Training

MEGABATCH = 50  # length grouping: sort within windows of 50 batches, as HF's length sampler


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


def total_steps(settings: Training, sizes: dict[str, int]) -> int:
    """Optimizer steps of a run over tasks of ``sizes`` examples: max_steps, or the epochs of
    the tasks sampled by size (those with a fixed share come on top), each step one batch of
    ``batch_size`` examples, the last of an epoch partial. How a batch is split into
    micro-batches (``accumulation``) does not change it. The trainer and the cost model
    (xstilts.cost) both count steps with this.

    With ``examples_cap`` (capped-proportional sampling) the count is jiant's: each task's
    examples capped, sum over tasks of epochs * ceil(min(n, cap) / batch), batch the effective
    batch (jiant/proj/main/scripts/configurator.py, SimpleAPIMultiTaskConfigurator:
    ``max_steps += self.epochs * math.ceil(capped_num_examples / effective_batch_size)`` with
    ``cap_examples`` = min(num_examples, cap), then ``int(max_steps)``)."""
    if settings.max_steps:
        return int(settings.max_steps)
    batch = int(settings.batch_size)
    fixed = settings.fixed_probabilities or {}
    share = 1.0 - sum(p for task, p in fixed.items() if task in sizes)
    cap = settings.examples_cap
    if cap:
        steps = sum(
            settings.epochs * math.ceil(min(n, int(cap)) / batch)
            for task, n in sizes.items()
            if task not in fixed
        )
        return math.ceil(int(steps) / share)
    per_epoch = sum(math.ceil(n / batch) for task, n in sizes.items() if task not in fixed)
    return math.ceil(settings.epochs * per_epoch / share)


def micro_batch_limit(spec: int | dict | None, gpu_gib: float | None) -> int | None:
    """The most examples one forward and backward pass takes: ``spec`` is a number, or a
    table {least GPU memory in GiB: examples} read for a device of ``gpu_gib`` (the entry of
    the largest memory it has; on a CPU, ``gpu_gib`` None, the smallest entry's); None: no
    limit."""
    if spec is None or isinstance(spec, int):
        return spec
    table = sorted((float(gib), int(n)) for gib, n in spec.items())
    if gpu_gib is None:
        return table[0][1]
    fits = [n for gib, n in table if gib <= gpu_gib]
    return fits[-1] if fits else table[0][1]


def accumulation(batch_size: int, least: int = 1, limit: int | None = None, world: int = 1) -> int:
    """Micro-batches per optimizer step: the fewest, at least ``least`` (the settings'
    gradient_accumulation_steps), that divide ``batch_size`` into micro-batches of at most
    ``limit`` examples per process of ``world`` (no limit: ``least``)."""
    if limit is None:
        return least
    steps = range(least, batch_size + 1)
    fit = [d for d in steps if batch_size % d == 0 and batch_size // d <= limit * world]
    return fit[0] if fit else batch_size


def split_batch(rows: list[int], lengths, parts: int) -> list[list[int]]:
    """One batch as ``parts`` micro-batches of near-equal size (the longest first, so each
    micro-batch pads to lengths close to its own); one part: the batch as drawn."""
    if parts == 1:
        return [rows]
    ordered = sorted(rows, key=lambda i: -lengths[i])
    size, extra = divmod(len(ordered), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (k < extra)
        out.append(ordered[start:end])
        start = end
    return [part for part in out if part]


def bucket_lengths(lengths: list[int], k: int, multiple: int = 8) -> tuple[int, ...]:
    """At most ``k`` padded lengths (multiples of ``multiple``, the longest among them) that
    pad the examples of ``lengths`` least in total, each example to the smallest that holds it:
    the fixed shapes of bucketed batches (exact, by dynamic programming over the distinct
    rounded lengths)."""
    counts: dict[int, int] = {}
    for n in lengths:
        rounded = -(-max(int(n), 1) // multiple) * multiple
        counts[rounded] = counts.get(rounded, 0) + 1
    values = sorted(counts)
    m = len(values)
    if m == 0 or k <= 0:
        return ()

    def waste(i: int, j: int) -> int:  # examples of values[i..j] padded to values[j]
        return sum(counts[values[t]] * (values[j] - values[t]) for t in range(i, j + 1))

    inf = float("inf")
    # best[b][j]: least padding of values[0..j] with b buckets, the last at values[j]
    best = [[inf] * m for _ in range(k + 1)]
    back = [[-1] * m for _ in range(k + 1)]
    for j in range(m):
        best[1][j] = waste(0, j)
    for b in range(2, k + 1):
        for j in range(m):
            for i in range(j):
                cost = best[b - 1][i] + waste(i + 1, j)
                if cost < best[b][j]:
                    best[b][j], back[b][j] = cost, i
    b = min(range(1, k + 1), key=lambda b: (best[b][m - 1], b))
    out, j = [], m - 1
    while j >= 0 and b >= 1:
        out.append(values[j])
        j, b = back[b][j], b - 1
    return tuple(sorted(out))
