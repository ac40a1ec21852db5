"""The config as validated (every default filled in), for the report's configuration section."""

import json

from xstilts.job import run


def main(smk):
    from pathlib import Path

    import yaml

    config = json.loads(smk.params.config)
    Path(smk.output[0]).parent.mkdir(parents=True, exist_ok=True)
    Path(smk.output[0]).write_text(yaml.safe_dump(config, sort_keys=False))


run(snakemake, main)  # noqa: F821
