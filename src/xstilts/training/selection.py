"""Model selection during training on English validation, as jiant's metarunner does it: every
``every`` optimizer steps (and at the last) the run is scored on the first ``examples`` English
validation examples of each of its tasks that has them (the mean of their summary scores);
the best state so far is kept on disk, the run stops after ``patience`` validations without a
gain (0: never early), and the weights saved at the end are the best ones.

jiant (nyu-mll/jiant, ``jiant/proj/main/metarunner.py``; the XTREME scripts' settings in
``jiant/scripts/benchmarks/xtreme/subscripts/e_run_models.sh``) validates every 1000 steps on
500 examples and stops after 30 validations without a gain; google-research/xtreme keeps the
checkpoint best on English dev. The setting travels in a cell's params
(``training.best_checkpoint``); a cell without it keeps its last step, as before.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.settings import Training

log = logging.getLogger("xstilts")


@dataclass
class Selection:
    """The selection's state during a run; its settings are ``settings.BestCheckpoint``'s."""

    every: int
    examples: int
    patience: int
    best_score: float = -math.inf
    best_step: int = -1
    since_best: int = 0
    history: list[list[float]] = field(default_factory=list)  # [step, score] per validation
    # the best step as the last checkpoint records it: its state stays on disk until the next
    # checkpoint, for a resume that rolls the run back to that checkpoint
    checkpointed: int = -1

    @classmethod
    def from_settings(cls, settings: Training) -> Selection | None:
        """The run's selection: None when its settings have no ``best_checkpoint``."""
        spec = settings.best_checkpoint
        if spec is None:
            return None
        return cls(spec.every, spec.examples, spec.patience)

    def due(self, step: int, total: int) -> bool:
        return step % self.every == 0 or step == total

    def record(self, step: int, score: float) -> bool:
        """Note a validation; True when it is the best so far (ties keep the earlier step)."""
        self.history.append([step, score])
        if score > self.best_score:
            self.best_score, self.best_step, self.since_best = score, step, 0
            return True
        self.since_best += 1
        return False

    @property
    def exhausted(self) -> bool:
        """``patience`` validations in a row without a gain."""
        return bool(self.patience) and self.since_best >= self.patience

    def state(self) -> dict:
        return {
            "best_score": self.best_score,
            "best_step": self.best_step,
            "since_best": self.since_best,
            "history": self.history,
        }

    def restore(self, state: dict) -> None:
        self.best_score, self.best_step = state["best_score"], state["best_step"]
        self.since_best, self.history = state["since_best"], state["history"]
        self.checkpointed = self.best_step

    def summary(self, stopped_at: int, total: int) -> dict:
        return {
            "every": self.every,
            "examples": self.examples,
            "patience": self.patience,
            "best_step": self.best_step,
            "best_score": self.best_score,
            "stopped_early_at": stopped_at if stopped_at < total else None,
            "validations": self.history,
        }


def validation_sets(task_objs: dict, features: dict, examples: int) -> dict:
    """Each validation set of the run → (its task, its first ``examples`` English rows; 0: all),
    for the tasks that have a validation split (a run's masked-LM text has none).

    A task's validation is one set, or, where it joins several sources whose rows name their
    source in a ``component`` column (ANLI+: ANLI R1, R2, R3, MNLI and SNLI dev), one set per
    source, keyed "<task>/<source>", each cut to its own first ``examples``: jiant validates
    each of its tasks on its first ``eval_subset_num`` examples and averages their major
    metrics with equal weights (``jiant/proj/main/metarunner.py`` ``eval_save``: ``run_val(...,
    use_subset=True)``, ``jiant/proj/main/runner.py`` ``subset_num=eval_subset_num``;
    ``EqualMetricAggregator`` in ``jiant/proj/main/components/task_sampler.py``), and it trains
    ANLI+ as five tasks. The run's score is the mean over all these sets."""
    from xstilts.data.disk import load_split

    out = {}
    for name, task in task_objs.items():
        path = Path(features[name]) / "validation" if name in features else None
        if path is None or not path.exists():
            continue
        rows = load_split(path)
        for key, part in components(rows, name).items():
            out[key] = (task, task.first_examples(part, examples) if examples else part)
    return out


def components(rows, name: str) -> dict:
    """A validation split's parts: "<name>/<source>" → its rows, in the order they come, when
    its rows name their source (a ``component`` column); else {name: rows}."""
    if "component" not in rows.column_names:
        return {name: rows}
    where: dict[str, list[int]] = {}
    for i, source in enumerate(rows["component"]):
        where.setdefault(source, []).append(i)
    return {f"{name}/{source}": rows.select(index) for source, index in where.items()}


def best_file(directory: Path, step: int) -> Path:
    return directory / f"best-{step}.pt"


def keep_best(directory: Path, steps: set[int]) -> None:
    """Delete the best states on disk other than those of ``steps`` (rank 0 of a sharded run)."""
    from xstilts.training import sharding

    if sharding.world()[0] == 0:
        for path in directory.glob("best-*.pt"):
            if int(path.stem.removeprefix("best-")) not in steps:
                path.unlink(missing_ok=True)


def save_best(model, directory: Path, selection: Selection) -> None:
    """The model's whole state (gathered across processes in a sharded run) at the selection's
    best step, to a file of that step, atomically; the checkpointed best's file stays (a run
    killed now resumes from the checkpoint, and may not find this best again)."""
    import torch

    from xstilts.training import sharding

    rank, world = sharding.world()
    state = sharding.full_state(model)[0] if world > 1 else model.state_dict()
    if rank == 0:
        directory.mkdir(parents=True, exist_ok=True)
        path = best_file(directory, selection.best_step)
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)
    keep_best(directory, {selection.best_step, selection.checkpointed})


def load_best(model, directory: Path, selection: Selection, device) -> None:
    """Put the best state back into the model (every process of a sharded run reads it)."""
    import torch

    from xstilts.training import sharding

    path = best_file(directory, selection.best_step)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if sharding.world()[1] > 1:
        sharding.load_model_state(model, state)
    else:
        model.load_state_dict(state)
        model.to(device)
