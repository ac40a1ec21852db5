"""Summary tables and figures from the per-cell score files."""

from pathlib import Path

from xstilts.job import run


def main(smk):
    from xstilts.aggregate import summarize

    summarize(list(smk.input.scores), Path(smk.output.long_parquet).parent)


run(snakemake, main)  # noqa: F821
