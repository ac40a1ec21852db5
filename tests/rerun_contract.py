"""The rerun contract, recorded: every job of the shipped configs (a forced dry run through
Snakemake's API), keyed by rule and outputs, with a digest of what Snakemake's rerun triggers
compare (its input files, and its params' values, sorted: the params trigger compares values,
not names). ``tests/data/rerun_contract.json`` holds them as xstilts 60f9891 planned them, before
issue 31 re-laid the grid, the rules and the scripts; tests/test_rerun_contract.py compares.

A change that means to rerun finished cells (the science changed) rewrites the record, and says
so in its commit:  python tests/rerun_contract.py --write
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "tests/data/rerun_contract.json"
CONFIGS = ("quickstart", "demo", "demo_models", "paper")


def _stand_ins(folder: Path) -> dict:
    """The paper config's data.local pointed at stand-ins (the demo copies of CCGbank and the
    BUCC release, in their file formats), as .ci/run's lint does."""
    from xstilts.tasks.build import build_demo_local

    build_demo_local("ccgbank", str(folder / "ccg"), 100)
    build_demo_local("bucc2018", str(folder / "bucc"), 100)
    local = {"ccgbank": str(folder / "ccg"), "bucc2018": str(folder / "bucc")}
    return {"data": {"source": "hub", "local": local}}


def jobs(name: str) -> dict[str, str]:
    """Rule and outputs → digest of inputs and params values, for every job of a shipped
    config (``paper``: config/config.yaml with the stand-ins)."""
    from snakemake.api import SnakemakeApi
    from snakemake.logging import logger
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
    )

    work = Path(tempfile.mkdtemp())
    extra = _stand_ins(work / "stand-ins") if name == "paper" else {}
    configfile = REPO / "config" / ("config.yaml" if name == "paper" else f"{name}.yaml")
    cwd, out = os.getcwd(), {}
    try:
        with SnakemakeApi(OutputSettings(dryrun=True)) as api:
            for handler in list(logger.handlers):
                if handler.name == "DefaultStreamHandler":
                    logger.removeHandler(handler)
            workflow = api.workflow(
                resource_settings=ResourceSettings(cores=2),
                config_settings=ConfigSettings(configfiles=[configfile], config=extra),
                snakefile=REPO / "Snakefile",
                workdir=work,
            )
            dag = workflow.dag(DAGSettings(forceall=True))
            dag.execute_workflow(executor="local", pseudo_executor="dryrun")
            for job in workflow._workflow.dag.jobs:  # noqa: SLF001 (Snakemake's DAG, read only)
                if job.rule.name == "all":
                    continue
                values = [v for k, v in job.params._allitems() if k is not None]  # noqa: SLF001
                digest = {
                    "input": sorted(map(str, job.input)),
                    "params": sorted(json.dumps(v, sort_keys=True) for v in values),
                }
                key = f"{job.rule.name} {','.join(sorted(map(str, job.output)))}"
                text = json.dumps(digest, sort_keys=True).replace(str(work), "<workdir>")
                out[key] = hashlib.sha256(text.encode()).hexdigest()[:16]
    finally:
        os.chdir(cwd)
    return dict(sorted(out.items()))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/rerun_contract.py --write")
    RECORD.write_text(json.dumps({n: jobs(n) for n in CONFIGS}, indent=0) + "\n")
    print(f"wrote {RECORD}")
