"""Write the gold of every evaluated target in the XTREME layout (evaluate.py's labels)."""

from xstilts.job import run

run(snakemake, "xstilts.summary.submission:labels_job")  # noqa: F821
