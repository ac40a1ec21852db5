"""Build the demo model: tokenizer trained on the demo corpus + tiny XLM-R encoder."""

from xstilts.job import run

run(snakemake, "xstilts.modeling.demo_model:build_job")  # noqa: F821
