"""Summary tables and figures from the per-cell score files."""

from xstilts.job import run

run(
    snakemake,  # noqa: F821
    "xstilts.summary.aggregate:aggregate_job",
    benchmarks=snakemake.params.benchmarks,  # noqa: F821
    published=snakemake.params.published,  # noqa: F821
)
