"""One research analysis's summary (the analysis is the one whose rule runs this)."""

import json

from xstilts.job import run


def main(smk):
    from xstilts import analyses

    analysis = analyses.by_rule(smk.rule)
    spec = json.loads(smk.params.spec) if "spec" in smk.params.keys() else None
    inputs = {
        name: [files] if isinstance(files, str) else list(files)
        for name, files in smk.input.items()
    }
    analysis.summarize(inputs, spec, dict(smk.output.items()))


run(snakemake, main)  # noqa: F821
