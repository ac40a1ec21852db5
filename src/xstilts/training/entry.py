"""The entry point of the train_intermediate and train_target jobs (``xstilts.job.run``'s
convention): one cell, its inputs and outputs, and how this machine runs it."""

from __future__ import annotations

from pathlib import Path

from xstilts.grid import paths
from xstilts.settings import Curve, Machine, Training


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def train_sets(cell: dict, features: dict[str, str], by_language: list[str]) -> dict | None:
    """task → the features dirs it trains on, where that is not its own features: the
    training data by language (``paths.LANGUAGE_FEATURES``: translated copies, masked-LM text),
    and for a translated arm the English features too when its languages have English."""
    out: dict[str, list[str]] = {}
    for folder in by_language:
        task = paths.values(paths.LANGUAGE_FEATURES, folder)["task"]
        out.setdefault(task, []).append(folder)
    if "languages" in cell:  # a translated arm: English and/or machine-translated copies
        (task,) = cell["tasks"]
        english = [features[task]] if "en" in cell["languages"] else []
        out[task] = english + out.get(task, [])
    return out or None


def tensorboard_dir(cell: dict, model_dir: str) -> str:
    """results/tensorboard/<phase>/<the cell's folders>: the model's folder
    (``paths.INTERMEDIATE_MODEL`` or ``TARGET_MODEL``) under results/tensorboard/."""
    if cell["phase"] == "intermediate":
        model, folder = paths.INTERMEDIATE_MODEL, paths.INTERMEDIATE_TENSORBOARD
    else:
        model, folder = paths.TARGET_MODEL, paths.TARGET_TENSORBOARD
    return paths.fill(folder, **paths.values(model, model_dir))


def train_cell(
    cell: dict,
    inputs: dict,
    outputs: dict,
    *,
    checkpoint_dir: str,
    checkpoint_minutes: float | None,
    compile: bool,
    buckets: int | None,
    tensorboard: bool,
    micro_batch_size,
    gpus: int,
) -> None:
    """Train one cell: an intermediate arm (its tasks, one head each) or a target task, as
    the job's ``model`` output. The keywords are this machine's, no part of the cell's params
    (changing them reruns nothing): the checkpoint folder and cadence, the speed options, the
    TensorBoard switch, the model's micro-batch size, and the job's GPUs (more than one: one
    process each, sharded)."""
    from xstilts import tasks
    from xstilts.training import sharding
    from xstilts.training.stages import train_in_stages

    features = dict(zip(cell["tasks"], _listed(inputs["features"]), strict=True))
    model_dir = outputs["model"]
    machine = Machine(
        compile=bool(compile),
        buckets=buckets,
        micro_batch_size=micro_batch_size,
        # TensorBoard event files beside the grid's results: not a declared output
        tensorboard=tensorboard_dir(cell, model_dir) if tensorboard else None,
        # the job's checkpoint_minutes resource (profiles' set-resources), else Machine's
        **({} if checkpoint_minutes is None else {"checkpoint_minutes": float(checkpoint_minutes)}),
    )
    arguments = dict(
        # a task fine-tuned in stages (XCOPA: Social IQa, then COPA) trains through each in turn
        splits=list(tasks.train_splits(cell["tasks"])),
        encoder_dir=inputs["encoder"],
        features=features,
        settings=Training.from_cell(cell),
        seed=cell["seed"],
        out_dir=model_dir,
        checkpoint_dir=checkpoint_dir,
        machine=machine,
        curve=Curve.from_params(cell.get("curve")),
        train_sets=train_sets(cell, features, _listed(inputs.get("by_language", []))),
    )
    if gpus > 1:  # the profile gives this job several GPUs: one process each, sharded (FSDP)
        sharding.launch(gpus, arguments, Path(checkpoint_dir) / "launch.json")
    else:
        train_in_stages(**arguments)
