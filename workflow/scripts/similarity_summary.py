"""Task similarity related to gain and robustness, per language family."""

from xstilts.job import run


def main(smk):
    from xstilts.similarity import summarize

    robustness = list(smk.input.robustness)
    summarize(
        list(smk.input.similarity),
        smk.input.gains,
        robustness[0] if robustness else None,
        dict(smk.output.items()),
    )


run(snakemake, main)  # noqa: F821
