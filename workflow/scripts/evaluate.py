"""Evaluate one trained target model on every language of its task."""

from xstilts.job import run

run(snakemake, "xstilts.evaluation.target:evaluate_target")  # noqa: F821
