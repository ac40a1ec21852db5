"""Run the workflow through Snakemake's Python API and collect the jobs it runs or would run."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.logging import logger as smk_logger
from snakemake.settings.types import (
    ConfigSettings,
    DAGSettings,
    OutputSettings,
    ResourceSettings,
)
from snakemake_interface_logger_plugins.common import LogEvent

REPO = Path(__file__).resolve().parents[1]


class _JobCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.jobs: list[tuple[str, dict]] = []

    def emit(self, record):
        if getattr(record, "event", None) == LogEvent.JOB_INFO and record.rule_name != "all":
            self.jobs.append((record.rule_name, dict(record.wildcards or {})))


def run(
    workdir: Path, configfile: Path, dryrun: bool, cores: int = 2, targets: list[str] | None = None
) -> list[tuple[str, dict]]:
    """Jobs (rule, wildcards) that the run executed, or that a dry run would execute."""
    workdir, configfile = Path(workdir).resolve(), Path(configfile).resolve()
    cwd, collector = os.getcwd(), _JobCollector()
    try:
        with SnakemakeApi(OutputSettings(dryrun=dryrun)) as api:
            if dryrun:
                for h in list(smk_logger.handlers):
                    if h.name == "DefaultStreamHandler":
                        smk_logger.removeHandler(h)
            smk_logger.addHandler(collector)  # after SnakemakeApi(): it resets the handlers
            workflow = api.workflow(
                resource_settings=ResourceSettings(cores=cores),
                config_settings=ConfigSettings(configfiles=[configfile]),
                snakefile=REPO / "Snakefile",
                workdir=workdir,
            )
            workflow.dag(DAGSettings(targets=targets or [])).execute_workflow(
                executor="local", pseudo_executor="dryrun" if dryrun else None
            )
    finally:
        smk_logger.removeHandler(collector)
        os.chdir(cwd)
    return collector.jobs


def job_set(jobs) -> set[tuple[str, tuple]]:
    return {(rule, tuple(sorted(wc.items()))) for rule, wc in jobs}
