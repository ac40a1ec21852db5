"""Score one trained target model on clean and perturbed test inputs of every language."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.analyses.robustness import evaluate_robustness

    cell = json.loads(smk.params.cell)
    evaluate_robustness(smk.input.model, cell, cell["data"], smk.output.scores)


run(snakemake, main)  # noqa: F821
