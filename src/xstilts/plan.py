"""What a run of the workflow will do, before it is launched: jobs per rule, how many are
already done, which will run and why (Snakemake's own reasons, from a dry run through its
Python API), and the projected GPU-hours of those that will run (xstilts.cost).

    xstilts plan --configfile config/config.yaml

The workflow is the checkout the command runs in: :func:`find_snakefile`.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from xstilts.errors import UserError

WORKFLOW_VARIABLE = "XSTILTS_WORKFLOW"  # a checkout of the repository, or its Snakefile
# where the package's source lies in a checkout (pip install -e, or PYTHONPATH=src): its own
# workflow; a package installed into site-packages has none beside it
_SOURCE_CHECKOUT = Path(__file__).resolve().parents[2]


def _is_workflow(folder: Path) -> bool:
    """A checkout of the repository: its Snakefile and the rules that file includes."""
    return (folder / "Snakefile").is_file() and (folder / "workflow/rules/common.smk").is_file()


def find_snakefile(given: str | Path | None = None, cwd: str | Path | None = None) -> Path:
    """The Snakefile a plan runs: ``given`` (``--snakefile``), else $XSTILTS_WORKFLOW, each a
    Snakefile or the folder holding one; else the workflow of the checkout the user is in (the
    current directory or its nearest parent holding the Snakefile and workflow/rules/); else
    that of the checkout this package's source lies in (an editable install)."""
    named = [(given, "--snakefile"), (os.environ.get(WORKFLOW_VARIABLE), WORKFLOW_VARIABLE)]
    for value, name in named:
        if value:
            path = Path(value).expanduser().resolve()
            snakefile = path / "Snakefile" if path.is_dir() else path
            if not snakefile.is_file():
                raise UserError(
                    f"{name} {value} is not a Snakefile nor a folder holding one: give the "
                    "Snakefile of your checkout of the xstilts repository, or the checkout"
                )
            return snakefile
    here = Path(cwd or os.getcwd()).resolve()
    for folder in (here, *here.parents, _SOURCE_CHECKOUT):
        if _is_workflow(folder):
            return folder / "Snakefile"
    raise UserError(
        f"no xstilts workflow (a Snakefile beside workflow/rules/) in {here} or a folder above "
        f"it: run xstilts plan in your checkout of the repository, or give --snakefile PATH or "
        f"set {WORKFLOW_VARIABLE} to the checkout"
    )


class _JobCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.jobs: list[dict] = []

    def emit(self, record):
        from snakemake_interface_logger_plugins.common import LogEvent

        if getattr(record, "event", None) == LogEvent.JOB_INFO and record.rule_name != "all":
            self.jobs.append(
                {
                    "rule": record.rule_name,
                    "wildcards": dict(record.wildcards or {}),
                    "reason": str(getattr(record, "reason", "")),
                }
            )


def snakemake_jobs(
    workdir: str | Path,
    configfile: str | Path,
    *,
    dryrun: bool = True,
    forceall: bool = False,
    cores: int = 2,
    targets: list[str] | None = None,
    snakefile: str | Path | None = None,
    quiet: bool = True,
) -> list[dict]:
    """The jobs (rule, wildcards, reason) a run executes, or a dry run would execute.

    ``forceall`` lists every job of the grid, done or not."""
    from snakemake.api import SnakemakeApi
    from snakemake.logging import logger as smk_logger
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
    )

    workdir, configfile = Path(workdir).resolve(), Path(configfile).resolve()
    snakefile = find_snakefile(snakefile)
    cwd, collector = os.getcwd(), _JobCollector()
    try:
        with SnakemakeApi(OutputSettings(dryrun=dryrun)) as api:
            if dryrun and quiet:
                for h in list(smk_logger.handlers):
                    if h.name == "DefaultStreamHandler":
                        smk_logger.removeHandler(h)
            smk_logger.addHandler(collector)  # after SnakemakeApi(): it resets the handlers
            workflow = api.workflow(
                resource_settings=ResourceSettings(cores=cores),
                config_settings=ConfigSettings(configfiles=[configfile]),
                snakefile=snakefile,
                workdir=workdir,
            )
            workflow.dag(DAGSettings(targets=targets or [], forceall=forceall)).execute_workflow(
                executor="local", pseudo_executor="dryrun" if dryrun else None
            )
    finally:
        smk_logger.removeHandler(collector)
        os.chdir(cwd)
    return collector.jobs


def reason_kinds(reason: str) -> list[str]:
    """Snakemake's reason, "Missing output files: a, b; Params have changed since last
    execution: c", as its kinds: ["missing output files", "params have changed"]."""
    kinds = []
    for part in reason.split("; "):
        head = part.split(":", 1)[0].strip()
        head = head.removesuffix(" since last execution")
        if head:
            kinds.append(head[0].lower() + head[1:])
    return kinds


def _job_key(rule: str, wildcards: dict) -> tuple:
    return (
        rule,
        wildcards.get("model", ""),
        wildcards.get("arm", ""),
        str(wildcards.get("seed", "")),
        wildcards.get("target", wildcards.get("rtarget", "")),  # rtarget: retrieval
    )


def plan(all_jobs: list[dict], to_run: list[dict], costs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per rule: jobs, done, to run, why (reason kinds with counts), and the projected
    GPU-hours of the jobs to run (rows of xstilts.cost.project, matched by rule and cell)."""
    hours: dict[tuple, float] = {}
    if costs is not None:
        for row in costs.itertuples():
            if row.hours == row.hours:  # NaN: a demo model's job, no GPU-hours
                key = (row.rule, row.model, row.arm, str(row.seed), row.target)
                hours[key] = row.hours
    total = Counter(j["rule"] for j in all_jobs)
    rows = []
    for rule in list(dict.fromkeys([j["rule"] for j in all_jobs] + [j["rule"] for j in to_run])):
        running = [j for j in to_run if j["rule"] == rule]
        why = Counter(kind for j in running for kind in reason_kinds(j["reason"]))
        gpu_hours = sum(hours.get(_job_key(rule, j["wildcards"]), 0.0) for j in running)
        rows.append(
            {
                "rule": rule,
                "jobs": max(total[rule], len(running)),
                "done": max(total[rule] - len(running), 0),
                "to run": len(running),
                "why": "; ".join(f"{kind} ({n})" for kind, n in why.most_common()),
                "GPU-hours": gpu_hours,
            }
        )
    table = pd.DataFrame(rows, columns=["rule", "jobs", "done", "to run", "why", "GPU-hours"])
    total_row = table[["jobs", "done", "to run", "GPU-hours"]].sum()
    table.loc[len(table)] = {"rule": "total", "why": ""} | total_row.to_dict()
    return table
