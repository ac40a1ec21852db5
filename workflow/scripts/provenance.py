"""provenance.json: the sources' commits, the model's and the code's version of every score."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.summary.aggregate import provenance

    provenance(json.loads(smk.params.cells), smk.output.provenance)


run(snakemake, main)  # noqa: F821
