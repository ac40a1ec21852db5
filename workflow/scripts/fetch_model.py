"""Fetch a pretrained encoder and its tokenizer from the Hugging Face Hub (login node, online)."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.modeling.fetch import fetch_model

    spec = json.loads(smk.params.spec)
    fetch_model(spec["hub_id"], smk.output.model, revision=spec.get("revision"))


run(snakemake, main, offline=False)  # noqa: F821
