"""Build one demo split in the exact schema of the real one."""

from xstilts.job import run

w = snakemake.wildcards  # noqa: F821
run(
    snakemake,  # noqa: F821
    "xstilts.tasks.build:demo_split_job",
    repo=w.repo,
    subset=w.subset,
    split=w.split,
)
