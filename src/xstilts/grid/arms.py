"""The arm-name grammar, as pure functions of a name.

An arm is what happens between the pretrained model and a target: ``baseline`` (nothing), an
intermediate task (``mnli``), ``multitask``, or a research arm: a sequence joins its stages with
"-" (``mnli-qqp``: QQP trained from MNLI's encoder; task names have no "-"), and a stage trained
for a budget other than its task's own setting is ``task@budget`` (steps, or epochs ``0.5ep``);
``baseline@0`` is budget 0, the pretrained encoder.
"""

from __future__ import annotations

BASELINE, MULTITASK = "baseline", "multitask"
# arms whose training data are read by language: a task's translated copies, or masked-LM text
LANGUAGE_SECTIONS = ("translated", "mlm")
MLM_TASK = "mlm"
STAGE_SEP, BUDGET_SEP = "-", "@"
BASELINE_AT_0 = f"{BASELINE}{BUDGET_SEP}0"  # budget 0 on the budget axis: the pretrained encoder


def budget_value(budget: int | str) -> float:
    """A budget as a number: steps, or epochs for "<x>ep"."""
    return float(str(budget).removesuffix("ep"))


def stages(arm: str) -> list[str]:
    """The stages of an arm, in training order."""
    return arm.split(STAGE_SEP)


def last_stage(arm: str) -> tuple[str, str]:
    """The task of the arm's last stage and its budget ("" for the task's own setting)."""
    task, _, budget = stages(arm)[-1].partition(BUDGET_SEP)
    return task, budget


def parent_arm(arm: str) -> str | None:
    """The arm whose encoder a sequence's last stage starts from (None: the pretrained)."""
    parts = stages(arm)
    return STAGE_SEP.join(parts[:-1]) if len(parts) > 1 else None


def budget_arm(task: str, budget: int | str) -> str:
    """The arm of ``task`` trained for ``budget``: ``task@budget``, or ``baseline@0`` for 0 (the
    pretrained encoder, the same for every task). Budget arms are always research arms, so
    editing the axis never changes a main-grid cell."""
    if budget_value(budget) == 0:
        return BASELINE_AT_0
    return f"{task}{BUDGET_SEP}{budget}"


def budget_override(budget: str) -> dict:
    """The training settings a budget sets: ``max_steps`` for steps, ``epochs`` (and no step
    limit) for "<x>ep"."""
    if budget.endswith("ep"):
        return {"epochs": budget_value(budget), "max_steps": 0}
    return {"max_steps": int(budget)}
