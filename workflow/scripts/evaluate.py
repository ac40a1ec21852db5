"""Evaluate one trained target model on every language of its task."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.evaluation.target import evaluate_target

    cell = json.loads(smk.params.cell)
    evaluate_target(
        smk.input.model,
        cell["target"],
        smk.input.features,
        cell["languages"],
        smk.output.predictions,
        smk.output.scores,
        cell,
        cell["precision"],
        smk.output.examples,
    )


run(snakemake, main)  # noqa: F821
