"""Train one cell: an intermediate arm (its tasks, one head each) or a target task."""

import json
from pathlib import Path

from xstilts.job import run


def main(smk):
    from xstilts import tasks
    from xstilts.train import train_in_stages

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
    # a task fine-tuned in stages (XCOPA: Social IQa, then COPA) trains through each in turn
    train_in_stages(
        splits=tasks.train_splits(cell["tasks"]),
        encoder_dir=smk.input.encoder,
        features=features,
        settings=cell["training"] | {"precision": cell["precision"]},
        seed=cell["seed"],
        out_dir=smk.output.model,
        checkpoint_dir=smk.params.checkpoint_dir,
        checkpoint_minutes=float(smk.resources.get("checkpoint_minutes", 15)),
        # a speed option read from the config, not the cell's params: switching it does not
        # rerun finished cells
        compile=bool(smk.config.get("compile", False)),
        curve=cell.get("curve"),
        train_sets=train_sets or None,
    )


run(snakemake, main)  # noqa: F821
