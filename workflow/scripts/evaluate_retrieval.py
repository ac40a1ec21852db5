"""Score one arm's encoder on a retrieval task (BUCC, Tatoeba), every language."""

from xstilts.job import run

run(snakemake, "xstilts.evaluation.encoder:evaluate_retrieval")  # noqa: F821
