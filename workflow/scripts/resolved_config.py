"""The config as validated (every default filled in), for the report's configuration section."""

from xstilts.job import run

run(snakemake, "xstilts.summary.aggregate:resolved_config_job")  # noqa: F821
