"""Train one cell: an intermediate arm (its tasks, one head each) or a target task."""

from xstilts import grid
from xstilts.job import run

smk = snakemake  # noqa: F821
config = grid.validate(smk.config, check_local=False)  # with the schema's defaults
run(
    smk,
    "xstilts.training.entry:train_cell",
    # what this machine decides, no part of the cell's params: switching any of it reruns nothing
    checkpoint_dir=smk.params.checkpoint_dir,
    checkpoint_minutes=smk.resources.get("checkpoint_minutes"),  # None: Machine's
    compile=config["compile"],  # speed options (docs/performance.md)
    buckets=config["buckets"],
    tensorboard=config["tensorboard"],  # event files under results/tensorboard/
    # how many examples one pass takes on this machine (None: no limit)
    micro_batch_size=config["models"][smk.wildcards.model].get("micro_batch_size"),
    gpus=int(smk.resources.get("gpu", 1) or 1),
)
