"""Write the demo copy of a local dataset in the file format a user's copy has."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.tasks.build import build_demo_local

    scale = json.loads(smk.params.spec)["demo_scale"]
    build_demo_local(smk.wildcards.name, smk.output.directory, scale)


run(snakemake, main)  # noqa: F821
