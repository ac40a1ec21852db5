"""One research analysis's summary (the analysis whose summary rule runs this: its
``summarize``, called with its inputs, its spec and its outputs)."""

from xstilts.job import run

run(snakemake, "xstilts.analyses:run_summary", rule=snakemake.rule)  # noqa: F821
