"""Write the gold of every evaluated target in the XTREME layout (evaluate.py's labels)."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.summary.submission import write_labels

    for target, spec in json.loads(smk.params.spec).items():
        write_labels(target, spec["features"], spec["languages"], smk.output.labels)


run(snakemake, main)  # noqa: F821
