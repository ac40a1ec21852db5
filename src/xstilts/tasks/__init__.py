"""The task registry: task name → Task, and which tasks serve as intermediate tasks or targets."""

from __future__ import annotations

from xstilts.benchmarks import XTREME_TASKS
from xstilts.data.sources import Source
from xstilts.tasks import (
    answer_retrieval,
    entity_retrieval,
    masked_lm,
    multiple_choice,
    pair_classification,
    qa,
    retrieval,
    tagging,
)
from xstilts.tasks.base import Task

REGISTRY: dict[str, Task] = {
    t.name: t
    for t in (
        *pair_classification.TASKS,
        *qa.TASKS,
        *tagging.TASKS,
        *multiple_choice.TASKS,
        *retrieval.TASKS,
        *masked_lm.TASKS,
        *answer_retrieval.TASKS,
        *entity_retrieval.TASKS,
    )
}


def _with_role(role: str) -> tuple[str, ...]:
    return tuple(name for name, task in REGISTRY.items() if task.role == role)


# Tasks an arm can train on between the pretrained model and the target: the paper's nine
# (in the registry's order; the paper config lists them in the paper's).
INTERMEDIATE_TASKS: tuple[str, ...] = _with_role("intermediate")
# The seven XTREME target tasks fine-tuned on English and tested zero-shot on every language,
# in XTREME's order (evaluate.py), then the other targets: XTREME-R's XCOPA (Social IQa, then
# English COPA), and the dual encoders of LAReQA (trained on SQuAD, tested on the 11-language
# XQuAD-R pool) and Mewsli-X (trained on English Wikipedia mention-entity pairs, tested against
# ~1M entities).
TARGET_TASKS: tuple[str, ...] = tuple(t for t in XTREME_TASKS if t in _with_role("target"))
# Another reading of an XTREME target's data, a target of its own beside it: UD-POS with
# XTREME's words (udpos_fused: multiword tokens fused, from the UD release; udpos is the Hub's
# copy, whose words are split)
ALTERNATIVE_TARGETS: tuple[str, ...] = ("udpos_fused",)
XTREME_R_TARGETS: tuple[str, ...] = tuple(
    t for t in _with_role("target") if t not in TARGET_TASKS + ALTERNATIVE_TARGETS
)
# Scored straight on each arm's encoder, no training: Tatoeba and BUCC (from the release files,
# or from the Hub's copy, which has no dev set; a grid uses one of the two).
RETRIEVAL_TASKS: tuple[str, ...] = _with_role("retrieval")


def robustness_targets() -> list[str]:
    """The targets whose test inputs noise and attacks may change: a text field the gold
    answer does not point into (``Task.text_fields``)."""
    targets = [get(t) for t in TARGET_TASKS + XTREME_R_TARGETS]
    return [task.name for task in targets if task.test and task.text_fields(task.test[0])]


def role(name: str) -> str:
    """Where a config may name the task: "intermediate", "target" (XTREME's and XTREME-R's),
    "retrieval" (scored on the encoder) or "internal" (only read by an arm: masked-LM text)."""
    return get(name).role or "internal"


def get(name: str) -> Task:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown task {name!r}; known tasks: {', '.join(sorted(REGISTRY))}"
        ) from None


def train_splits(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The feature splits a training run of the tasks ``names`` trains on, stage by stage: a
    lone task's ``train_splits`` (XCOPA: Social IQa, then COPA), else "train"."""
    return get(names[0]).train_splits if len(names) == 1 else ("train",)


def all_sources() -> dict[str, tuple[Task, Source]]:
    """Every source any task reads, by key, with one task that can build its demo rows."""
    out: dict[str, tuple[Task, Source]] = {}
    for task in REGISTRY.values():
        for sources in [*task.splits(task.all_languages).values(), task.language_sources]:
            for src in sources:
                out.setdefault(src.key, (task, src))
    return out


__all__ = [
    "REGISTRY",
    "INTERMEDIATE_TASKS",
    "TARGET_TASKS",
    "ALTERNATIVE_TARGETS",
    "XTREME_R_TARGETS",
    "RETRIEVAL_TASKS",
    "Task",
    "get",
    "robustness_targets",
    "role",
    "train_splits",
    "all_sources",
]


def head_of(task: str, trained: list[str]) -> str | None:
    """The head among ``trained`` (a saved model's task names) that predicts ``task``: its own,
    else that of the one task trained as it is (a training job shared by targets that train
    alike, ``Task.training_identity``), else None."""
    if task in trained:
        return task
    own = get(task).training_identity()
    same = [n for n in trained if n in REGISTRY and get(n).training_identity() == own]
    return same[0] if len(same) == 1 else None
