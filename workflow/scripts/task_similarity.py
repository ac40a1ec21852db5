"""Embed every task with the pretrained encoder; write the similarity of every pair."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.analyses.similarity import embed_tasks

    cell = json.loads(smk.params.cell)
    embed_tasks(smk.input.encoder, cell["features"], cell, smk.output.similarity)


run(snakemake, main)  # noqa: F821
