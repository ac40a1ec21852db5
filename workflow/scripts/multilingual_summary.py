"""Translated and multilingual intermediate arms against the baseline and English-only."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.multilingual import summarize

    summarize(json.loads(smk.params.spec), dict(smk.output.items()))


run(snakemake, main)  # noqa: F821
