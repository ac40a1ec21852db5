"""Queries on a grid's axes: the tasks and languages of an arm, a target's settings, the
models' specs (``Grid``'s resolved fields hold the axes themselves)."""

from __future__ import annotations

from xstilts import tasks as task_registry
from xstilts.grid.arms import (
    BASELINE,
    BASELINE_AT_0,
    LANGUAGE_SECTIONS,
    MLM_TASK,
    MULTITASK,
    STAGE_SEP,
    budget_override,
    last_stage,
)
from xstilts.grid.grid import Grid


def encoder_arm(grid: Grid, arm: str) -> str:
    """The arm whose encoder ``arm`` uses: the baseline for ``baseline@0``, the task's own
    arm for a budget equal to its settings (no second intermediate job), else itself."""
    return encoder_arm_of(grid.config, arm)


def encoder_arm_of(config: dict, arm: str) -> str:
    """``encoder_arm`` from the validated config alone (what resolving the grid uses)."""
    if arm == BASELINE_AT_0:
        return BASELINE
    task, budget = last_stage(arm)
    if budget and STAGE_SEP not in arm and task in config["intermediate"]:
        own = config["intermediate"][task]
        if all(own[key] == value for key, value in budget_override(budget).items()):
            return task
    return arm


def language_spec(grid: Grid, arm: str) -> dict | None:
    """A translated or mlm arm's entry (task, languages, targets; mlm: ratio), else None."""
    for section in LANGUAGE_SECTIONS:
        if arm in grid.config[section]:
            return grid.config[section][arm]
    return None


def language_data(grid: Grid, arm: str) -> dict[str, list[str]]:
    """Task → the languages whose training data the arm reads by language (a translated
    arm: its task, English meaning the task's own set; an mlm arm: the masked-LM text)."""
    if arm in grid.translated_arms:
        spec = grid.config["translated"][arm]
        return {spec["task"]: list(spec["languages"])}
    if arm in grid.mlm_arms:
        return {MLM_TASK: list(grid.config["mlm"][arm]["languages"])}
    return {}


def seen_languages(grid: Grid, arm: str) -> list[str]:
    """The languages of an arm's intermediate training data (none for the baseline)."""
    if arm in grid.translated_arms:
        return list(grid.config["translated"][arm]["languages"])
    if arm in grid.mlm_arms:  # the task's English and the text's languages
        return list(dict.fromkeys(["en", *grid.config["mlm"][arm]["languages"]]))
    return [] if encoder_arm(grid, arm) == BASELINE else ["en"]


def language_sets(grid: Grid, arm: str) -> list[tuple[str, str]]:
    """(task, language) of each training set by language the arm reads (not the task's
    own English set, which its features hold)."""
    return [
        (task, lang)
        for task, langs in language_data(grid, arm).items()
        for lang in langs
        if lang in task_registry.get(task).source_languages
    ]


def language_data_used(grid: Grid) -> list[tuple[str, str]]:
    """(task, language) of every training set by language an arm reads."""
    arms = grid.translated_arms + grid.mlm_arms
    return sorted({pair for arm in arms for pair in language_sets(grid, arm)})


def research_targets(grid: Grid, arm: str) -> list[str]:
    """The targets a research arm is tested on, in the grid's order."""
    targets = set()
    spec = language_spec(grid, arm)
    if spec is not None:
        targets |= set(spec["targets"])
    if arm in grid.sequence_arms:
        targets |= set(grid.config["sequences"]["targets"])
    if arm in [b["arm"] for b in grid.budget_axis]:
        targets |= set(grid.config["training_length"]["targets"])
    return [t for t in grid.targets if t in targets]


def training_target(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> str:
    """The target whose ``train_target`` job trains this cell's model: the first of the
    arm's targets, in the task registry's order (not the config's, so reordering a config
    moves nothing), that trains the same model — the same task identity
    (``Task.training_identity``), length and settings. XQuAD and MLQA share SQuAD 1.1's
    fine-tuning: one job, XQuAD's when the grid has both."""
    return grid.training_targets.get((model, arm, target), target)


def local_dir(grid: Grid, name: str) -> str:
    """The user's directory of a local dataset (checked by the validation when used)."""
    return grid.config["data"]["local"][name]


# ---- models ----
def model_spec(grid: Grid, model: str) -> dict:
    return grid.config["models"][model]


def is_demo_model(grid: Grid, model: str) -> bool:
    return "demo" in model_spec(grid, model)


# ---- tasks used and their features ----
def arm_tasks(grid: Grid, arm: str) -> list[str]:
    """The tasks of the arm's (last) intermediate stage."""
    if arm == MULTITASK:
        return sorted(grid.config["multitask"]["tasks"])
    if arm == BASELINE:
        return []
    spec = language_spec(grid, arm)
    if spec is not None:
        return [spec["task"]]
    return [last_stage(arm)[0]]


def max_seq_length(grid: Grid, task: str) -> int:
    for section in ("targets", "intermediate", "retrieval"):
        if task in grid.config[section]:
            return grid.config[section][task]["max_seq_length"]
    return task_registry.get(task).default_max_seq_length  # multitask-only task


def tasks_used(grid: Grid) -> list[str]:
    used = {t for arm in grid.intermediate_arms for t in arm_tasks(grid, arm)}
    used |= set(grid.targets)
    return sorted(used | set(grid.retrieval_targets))


def test_languages(grid: Grid, task: str) -> list[str]:
    """The languages whose test data the task's prepared features hold."""
    return [*task_registry.get(task).languages, *more_languages(grid, task)]


def more_languages(grid: Grid, task: str) -> list[str]:
    """The languages beyond the task's own set (its ``more_languages``, e.g. XTREME-R's)
    that this grid evaluates it on: their test data is fetched and prepared too."""
    if task not in grid.evaluated_targets:
        return []
    own = task_registry.get(task).languages
    return [lang for lang in languages(grid, task) if lang not in own]


def languages(grid: Grid, target: str) -> list[str]:
    """The languages an evaluated target is scored on (canonical order)."""
    section = "retrieval" if target in grid.config["retrieval"] else "targets"
    return grid.config[section][target]["languages"]


def similarity_tasks(grid: Grid) -> list[str]:
    """The tasks embedded: every single-task arm's and every fine-tuned target."""
    return sorted(set(grid.config["intermediate"]) | set(grid.targets))
