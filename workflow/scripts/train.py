"""Train one cell: an intermediate arm (its tasks, one head each) or a target task."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.train import train

    cell = json.loads(smk.params.cell)
    features = dict(zip(cell["tasks"], smk.input.features, strict=True))
    train_sets = None
    if "languages" in cell:  # a translated arm: English and/or machine-translated copies
        (task,) = cell["tasks"]
        english = [features[task]] if "en" in cell["languages"] else []
        train_sets = {task: english + list(smk.input.translations)}
    train(
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
        train_sets=train_sets,
    )


run(snakemake, main)  # noqa: F821
