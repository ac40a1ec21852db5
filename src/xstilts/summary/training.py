"""What training left in each model directory of the main grid (``train_summary.json``): the
English validation score of every task a run trained, its steps and time, and its training
curve (``losses``: [step, mean loss since the previous point, learning rate])."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from xstilts.grid import paths

INTERMEDIATE = "intermediate"  # the phase of an intermediate run; a target run's is its target

TRAINING_COLUMNS = ["model", "arm", "seed", "phase", "task", "validation", "steps", "seconds"]
CURVE_COLUMNS = ["model", "arm", "seed", "phase", "step", "loss", "learning_rate"]


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile("(?:^|/)" + regex + "$")  # under a workdir or not


_INTERMEDIATE = _pattern(paths.INTERMEDIATE_MODEL)
_TARGET = _pattern(paths.TARGET_MODEL)


def cell_of(model_dir: str | Path) -> dict:
    """model, arm, seed and phase ("intermediate" or the target) of a model directory."""
    text = Path(model_dir).as_posix()
    for pattern in (_TARGET, _INTERMEDIATE):
        found = pattern.search(text)
        if found:
            cell = found.groupdict()
            return {
                "model": cell["model"],
                "arm": cell["arm"],
                "seed": int(cell["seed"]),
                "phase": cell.get("target", INTERMEDIATE),
            }
    raise ValueError(f"{model_dir} is not a model directory of the grid")


def read_training(model_dirs: list[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (model directory, task it trained): the task's English validation score
    (its summary metric after training; None without a validation set), the run's steps and
    seconds; and the training curves, one row per point (none for a run trained before the
    curve was recorded)."""
    from xstilts import tasks as task_registry

    rows, curves = [], []
    for model_dir in model_dirs:
        path = Path(model_dir) / "train_summary.json"
        if not path.exists():
            continue
        summary = json.loads(path.read_text())
        cell = cell_of(model_dir)
        validation = summary.get("validation", {})
        for task in summary.get("tasks", []):
            scores = validation.get(task)
            value = task_registry.get(task).summary_score(scores) if scores else None
            rows.append(
                cell
                | {"task": task, "validation": value}
                | {"steps": summary.get("steps"), "seconds": summary.get("seconds")}
            )
        for step, loss, lr in summary.get("losses", []):
            curves.append(cell | {"step": step, "loss": loss, "learning_rate": lr})
    return (
        pd.DataFrame(rows, columns=TRAINING_COLUMNS),
        pd.DataFrame(curves, columns=CURVE_COLUMNS),
    )
