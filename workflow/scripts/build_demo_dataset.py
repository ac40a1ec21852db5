"""Build one demo split in the exact schema of the real one."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.tasks.build import build_demo_split

    w = smk.wildcards
    build_demo_split(
        f"{w.repo}/{w.subset}/{w.split}", smk.output.data, json.loads(smk.params.spec)["demo_scale"]
    )


run(snakemake, main)  # noqa: F821
