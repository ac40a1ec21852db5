"""Sequence arms against their references, and each order pair compared on every target."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.sequences import summarize

    summarize(json.loads(smk.params.spec), dict(smk.output.items()))


run(snakemake, main)  # noqa: F821
