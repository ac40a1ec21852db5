"""Fetch a pretrained encoder and its tokenizer from the Hugging Face Hub (login node, online)."""

from xstilts.job import run

run(snakemake, "xstilts.modeling.fetch:fetch_model_job", offline=False)  # noqa: F821
