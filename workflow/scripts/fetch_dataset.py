"""Fetch one split of a Hugging Face dataset into parquet (login node, online)."""

from xstilts.job import run


def main(smk):
    from xstilts.data.sources import fetch

    w = smk.wildcards
    fetch(w.repo, w.subset, w.split, smk.output.data)


run(snakemake, main, offline=False)  # noqa: F821
