"""provenance.json: the sources' commits, the model's and the code's version of every score."""

from xstilts.job import run

run(snakemake, "xstilts.summary.aggregate:provenance_job")  # noqa: F821
