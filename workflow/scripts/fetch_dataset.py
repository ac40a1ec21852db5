"""Fetch one split of a Hugging Face dataset into parquet (login node, online)."""

from xstilts.job import run


def main(smk):
    from xstilts import tasks
    from xstilts.data.sources import fetch

    w = smk.wildcards
    known = tasks.all_sources().get(f"{w.repo}/{w.subset}/{w.split}")
    fetch(w.repo, w.subset, w.split, smk.output.data, source=known[1] if known else None)


run(snakemake, main, offline=False)  # noqa: F821
