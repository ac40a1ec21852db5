"""Build the demo model: tokenizer trained on the demo corpus + tiny XLM-R encoder."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.modeling import demo_model

    spec = json.loads(smk.params.spec)
    demo_model.build(smk.output.model, spec["demo"])


run(snakemake, main)  # noqa: F821
