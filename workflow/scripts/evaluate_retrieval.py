"""Score one arm's encoder on a retrieval task (BUCC, Tatoeba), every language."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.evaluation.encoder import evaluate_retrieval

    evaluate_retrieval(
        smk.input.encoder,
        smk.input.features,
        smk.output.predictions,
        smk.output.scores,
        json.loads(smk.params.cell),
        smk.output.examples,
    )


run(snakemake, main)  # noqa: F821
