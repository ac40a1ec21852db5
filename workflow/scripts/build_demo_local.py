"""Write the demo copy of a local dataset in the file format a user's copy has."""

from xstilts.job import run

run(snakemake, "xstilts.tasks.build:demo_local_job", name=snakemake.wildcards.name)  # noqa: F821
