"""Tokenize one task's data for one model (reused by every cell)."""

from xstilts.job import run

run(snakemake, "xstilts.features:prepare_job")  # noqa: F821
