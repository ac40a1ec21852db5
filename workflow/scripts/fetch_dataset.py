"""Fetch one split of a Hugging Face dataset into parquet (login node, online)."""

from xstilts.job import run

w = snakemake.wildcards  # noqa: F821
run(
    snakemake,  # noqa: F821
    "xstilts.tasks.build:fetch_job",
    offline=False,
    repo=w.repo,
    subset=w.subset,
    split=w.split,
)
