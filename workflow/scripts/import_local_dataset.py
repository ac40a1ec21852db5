"""Import one split of a local (not on the Hub) dataset from the user's files into parquet."""

from xstilts.job import run


def main(smk):
    from xstilts.data.build import import_local

    w = smk.wildcards
    import_local(f"local/{w.name}/{w.subset}/{w.split}", smk.input.directory, smk.output.data)


run(snakemake, main)  # noqa: F821
