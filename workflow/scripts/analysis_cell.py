"""One per-cell job of a research analysis (the analysis whose rule runs this: its
``CELLS.run`` function, called with the cell, the inputs and the outputs)."""

from xstilts.job import run

run(snakemake, "xstilts.analyses:run_cell", rule=snakemake.rule)  # noqa: F821
