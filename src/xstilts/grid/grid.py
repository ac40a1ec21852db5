"""The Grid: a validated config and its axes, resolved once (``xstilts.grid.resolve``).

It is data only: the queries on it are plain functions that take it first, in modules that
depend one way: ``axes`` (tasks, languages, settings of an arm or a target) ← ``files`` (each
cell's paths and the file lists of the rules) ← ``cells`` (each rule's params).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    """A validated config (defaults filled; not to be edited) and what it sets out to run."""

    config: dict
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    trained_arms: tuple[str, ...]  # the intermediate tasks' arms, then multitask
    arms: tuple[str, ...]  # the main grid's: the baseline (when asked for) and trained_arms
    targets: tuple[str, ...]  # the fine-tuned targets
    retrieval_targets: tuple[str, ...]
    evaluated_targets: tuple[str, ...]  # targets, then retrieval_targets
    data_kind: str  # data.source: "hub" or "demo"
    # research arms: beyond the main grid, tested on their own targets only
    sequence_arms: tuple[str, ...]  # listed orders, then each permuted set's, without repeats
    budget_axis: tuple[dict, ...]  # per (task, budget): task, arm, budget, value, unit
    translated_arms: tuple[str, ...]
    mlm_arms: tuple[str, ...]
    research_arms: tuple[str, ...]
    # every arm with an intermediate job (sequences' first stages included), and every arm
    intermediate_arms: tuple[str, ...]
    all_arms: tuple[str, ...]
    target_cells: tuple[tuple[str, str], ...]  # (arm, target) of every target job
    # (model, arm, target) → the target whose train_target job trains the cell's model
    training_targets: dict[tuple[str, str, str], str]
