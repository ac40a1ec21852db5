"""Import one split of a local (not on the Hub) dataset from the user's files into parquet."""

from xstilts.job import run

w = snakemake.wildcards  # noqa: F821
run(
    snakemake,  # noqa: F821
    "xstilts.tasks.build:import_local_job",
    name=w.name,
    subset=w.subset,
    split=w.split,
)
