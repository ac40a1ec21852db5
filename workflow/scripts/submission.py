"""Assemble one leaderboard submission: an arm's predictions, or the best arm per task."""

from xstilts.job import run

run(snakemake, "xstilts.summary.submission:submission_job")  # noqa: F821
