"""Summary tables and figures from the per-cell score files."""

from xstilts.job import run


def main(smk):
    from xstilts.summary.aggregate import summarize

    summarize(
        list(smk.input.scores),
        dict(smk.output.items()),
        list(smk.input.examples),
        tuple(smk.params.benchmarks),
        tuple(smk.params.published),
        list(smk.input.models),
    )


run(snakemake, main)  # noqa: F821
