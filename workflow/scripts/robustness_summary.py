"""Robustness tables (per language, per family) and figures from the per-cell results."""

from xstilts.job import run


def main(smk):
    from xstilts.robustness import summarize

    summarize(list(smk.input.results), dict(smk.output.items()))


run(snakemake, main)  # noqa: F821
