"""Learning curves, steps to 95 % of the final score and test scores per intermediate budget."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.training_length import summarize

    summarize(json.loads(smk.params.spec), dict(smk.output.items()))


run(snakemake, main)  # noqa: F821
