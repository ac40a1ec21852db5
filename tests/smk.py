"""Run the workflow through Snakemake's Python API and collect the jobs it runs or would run
(the same code as ``xstilts plan``)."""

from __future__ import annotations

from pathlib import Path

from xstilts.plan import REPO, snakemake_jobs

__all__ = ["REPO", "job_set", "run"]


def run(
    workdir: Path, configfile: Path, dryrun: bool, cores: int = 2, targets: list[str] | None = None
) -> list[tuple[str, dict]]:
    """Jobs (rule, wildcards) that the run executed, or that a dry run would execute."""
    jobs = snakemake_jobs(workdir, configfile, dryrun=dryrun, cores=cores, targets=targets)
    return [(j["rule"], j["wildcards"]) for j in jobs]


def job_set(jobs) -> set[tuple[str, tuple]]:
    return {(rule, tuple(sorted(wc.items()))) for rule, wc in jobs}
