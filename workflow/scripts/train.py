"""Train one cell: an intermediate arm (its tasks, one head each) or a target task."""

import json
from pathlib import Path

from xstilts.job import run


def tensorboard_dir(out_dir: str) -> str:
    """results/<phase>/<cell>/model → results/tensorboard/<phase>/<cell>."""
    out = Path(out_dir)
    if out.name == "model":
        out = out.parent
    if out.parts and out.parts[0] == "results":
        return str(Path("results", "tensorboard", *out.parts[1:]))
    return str(out.parent / "tensorboard" / out.name)


def main(smk):
    from xstilts import tasks
    from xstilts.training import sharding, train_in_stages

    cell = json.loads(smk.params.cell)
    features = dict(zip(cell["tasks"], smk.input.features, strict=True))
    # training data by language (results/features/<model>/by_language/<task>.<lang>)
    by_language = list(getattr(smk.input, "by_language", []))
    train_sets = {}
    for d in by_language:
        train_sets.setdefault(Path(d).name.rsplit(".", 1)[0], []).append(d)
    if "languages" in cell:  # a translated arm: English and/or machine-translated copies
        (task,) = cell["tasks"]
        english = [features[task]] if "en" in cell["languages"] else []
        train_sets[task] = english + train_sets.get(task, [])
    arguments = dict(
        # a task fine-tuned in stages (XCOPA: Social IQa, then COPA) trains through each in turn
        splits=list(tasks.train_splits(cell["tasks"])),
        encoder_dir=str(smk.input.encoder),
        features={name: str(path) for name, path in features.items()},
        settings=cell["training"] | {"precision": cell["precision"]},
        seed=cell["seed"],
        out_dir=str(smk.output.model),
        checkpoint_dir=smk.params.checkpoint_dir,
        checkpoint_minutes=float(smk.resources.get("checkpoint_minutes", 15)),
        # a speed option read from the config, not the cell's params: switching it does not
        # rerun finished cells
        compile=bool(smk.config.get("compile", False)),
        buckets=smk.config.get("buckets"),
        # how many examples one pass takes on this machine: a machine setting too
        micro_batch_size=smk.config["models"][cell["model"]].get("micro_batch_size"),
        curve=cell.get("curve"),
        # TensorBoard event files beside the grid's results (results/tensorboard/<phase>/...):
        # a logging option read from the config, not the cell's params, and not a declared
        # output, so switching it reruns nothing
        tensorboard=tensorboard_dir(str(smk.output.model))
        if smk.config.get("tensorboard", True)
        else None,
        train_sets={name: [str(d) for d in dirs] for name, dirs in train_sets.items()} or None,
    )
    gpus = int(smk.resources.get("gpu", 1) or 1)
    if gpus > 1:  # the profile gives this job several GPUs: one process each, sharded (FSDP)
        sharding.launch(gpus, arguments, Path(smk.params.checkpoint_dir) / "launch.json")
    else:
        train_in_stages(**arguments)


run(snakemake, main)  # noqa: F821
