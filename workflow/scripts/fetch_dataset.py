"""Fetch one split of a Hugging Face dataset into parquet (login node, online)."""

from xstilts.job import run


def main(smk):
    from xstilts import tasks
    from xstilts.data.sources import fetch

    w = smk.wildcards
    known = tasks.all_sources().get(f"{w.repo}/{w.subset}/{w.split}")
    revision = known[1].revision if known else None
    fetch(w.repo, w.subset, w.split, smk.output.data, revision=revision)


run(snakemake, main, offline=False)  # noqa: F821
