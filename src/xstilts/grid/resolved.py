"""Resolving a validated config into a ``Grid``, once: its axes, the arms with an intermediate
job, every target cell and which of them share a training job."""

from __future__ import annotations

import dataclasses
import itertools

from xstilts import tasks as task_registry
from xstilts.grid import axes, cells
from xstilts.grid.arms import (
    BASELINE,
    MULTITASK,
    STAGE_SEP,
    budget_arm,
    budget_value,
    stages,
)
from xstilts.grid.grid import Grid


def trained_arms(config: dict) -> list[str]:
    """The main grid's trained arms: each intermediate task's, then multitask."""
    arms = list(config["intermediate"])
    if config["multitask"]["enabled"]:
        arms.append(MULTITASK)
    return arms


def main_arms(config: dict) -> list[str]:
    """The main grid's arms: the baseline (when asked for), then the trained arms."""
    return ([BASELINE] if config["baseline"] else []) + trained_arms(config)


def sequence_arms(config: dict) -> list[str]:
    """Every listed order, then every order of each permuted set, without repeats."""
    section = config["sequences"]
    orders = [list(o) for o in section["orders"]]
    orders += [list(p) for s in section["permute"] for p in itertools.permutations(s)]
    return list(dict.fromkeys(STAGE_SEP.join(o) for o in orders))


def budget_axis(config: dict) -> list[dict]:
    """One entry per (task, budget): the arm, its budget label, and the budget as a number
    (steps, or epochs) with its unit, for ordering and plotting (0 takes the unit of the
    task's other budgets)."""
    out = []
    for task, budgets in config["training_length"]["budgets"].items():
        units = ["epochs" if isinstance(b, str) else "steps" for b in budgets]
        nonzero = [u for b, u in zip(budgets, units, strict=True) if budget_value(b) != 0]
        for budget, unit in zip(budgets, units, strict=True):
            out.append(
                {
                    "task": task,
                    "arm": budget_arm(task, budget),
                    "budget": str(budget),
                    "value": budget_value(budget),
                    "unit": unit if budget_value(budget) or not nonzero else nonzero[0],
                }
            )
    return out


def _intermediate_arms(config: dict, trained: list[str], research: list[str]) -> list[str]:
    """Every arm with an intermediate job: the trained arms, the research arms with an
    encoder of their own and the first stages of each sequence (trained, not tested,
    unless an arm themselves)."""
    out = list(trained)
    for arm in [a for a in research if axes.encoder_arm_of(config, a) == a]:
        parts = stages(arm)
        out += [STAGE_SEP.join(parts[:i]) for i in range(1, len(parts))] + [arm]
    return list(dict.fromkeys(a for a in out if a != BASELINE))


def _training_targets(grid: Grid) -> dict[tuple[str, str, str], str]:
    """(model, arm, target) of every target cell → the first of the arm's targets, in the
    task registry's order, whose cell trains the same model (``axes.training_target``)."""
    seed = grid.seeds[0] if grid.seeds else 0  # no part of what a model is trained from
    out = {}
    for model in grid.models:
        by_arm: dict[str, list[str]] = {}
        for arm, target in grid.target_cells:
            by_arm.setdefault(arm, []).append(target)
        for arm, targets in by_arm.items():
            keys = {t: cells.training_key(grid, model, arm, seed, t) for t in targets}
            ordered = [t for t in task_registry.REGISTRY if t in keys]
            for target in targets:
                same = [t for t in ordered if keys[t] == keys[target]]
                out[(model, arm, target)] = same[0] if same else target
    return out


def resolve(config: dict) -> Grid:
    """The grid of a validated config (``xstilts.grid.validate``'s), its axes resolved once."""
    trained, arms = trained_arms(config), main_arms(config)
    targets, retrieval = tuple(config["targets"]), tuple(config["retrieval"])
    sequences, budgets = sequence_arms(config), budget_axis(config)
    translated, mlm = list(config["translated"]), list(config["mlm"])
    research = list(dict.fromkeys(sequences + [b["arm"] for b in budgets] + translated + mlm))
    intermediate = _intermediate_arms(config, trained, research)
    grid = Grid(
        config=config,
        models=tuple(config["models"]),
        seeds=tuple(config["seeds"]),
        trained_arms=tuple(trained),
        arms=tuple(arms),
        targets=targets,
        retrieval_targets=retrieval,
        evaluated_targets=targets + retrieval,
        data_kind=config["data"]["source"],
        sequence_arms=tuple(sequences),
        budget_axis=tuple(budgets),
        translated_arms=tuple(translated),
        mlm_arms=tuple(mlm),
        research_arms=tuple(research),
        intermediate_arms=tuple(intermediate),
        all_arms=tuple(dict.fromkeys(arms + research + intermediate)),
        target_cells=(),  # below: the research arms' targets are a query on the axes above
        training_targets={},
    )
    main = [(a, t) for a in arms for t in targets]
    research_cells = [(a, t) for a in research for t in axes.research_targets(grid, a)]
    grid = dataclasses.replace(grid, target_cells=tuple(main + research_cells))
    return dataclasses.replace(grid, training_targets=_training_targets(grid))
