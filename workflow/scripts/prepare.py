"""Tokenize one task's data for one model (reused by every cell)."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.features import prepare

    spec = json.loads(smk.params.spec)
    prepare(
        spec["task"],
        smk.input.model,
        spec["data"],
        spec["max_seq_length"],
        smk.output.features,
        language=spec.get("language"),
        more_languages=spec.get("more_languages", ()),
    )


run(snakemake, main)  # noqa: F821
