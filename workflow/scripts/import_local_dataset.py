"""Import one split of a local (not on the Hub) dataset from the user's files into parquet."""

import json

from xstilts.job import run


def main(smk):
    from xstilts.tasks.build import import_local

    w = smk.wildcards
    directory = json.loads(smk.params.source)["directory"]
    import_local(f"local/{w.name}/{w.subset}/{w.split}", directory, smk.output.data)


run(snakemake, main)  # noqa: F821
