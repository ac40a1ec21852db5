"""Run the workflow through Snakemake's Python API and collect the jobs it runs or would run
(the same code as ``xstilts plan``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from xstilts.plan import snakemake_jobs

REPO = Path(__file__).resolve().parents[1]  # the checkout these tests are in

__all__ = ["REPO", "extend", "job_set", "run", "run_shipped"]


def run(
    workdir: Path, configfile: Path, dryrun: bool, cores: int = 2, targets: list[str] | None = None
) -> list[tuple[str, dict]]:
    """Jobs (rule, wildcards) that the run executed, or that a dry run would execute."""
    jobs = snakemake_jobs(
        workdir,
        configfile,
        dryrun=dryrun,
        cores=cores,
        targets=targets,
        snakefile=REPO / "Snakefile",
    )
    return [(j["rule"], j["wildcards"]) for j in jobs]


def job_set(jobs) -> set[tuple[str, tuple]]:
    return {(rule, tuple(sorted(wc.items()))) for rule, wc in jobs}


def run_shipped(workdir: Path, name: str) -> tuple[dict, list[tuple[str, dict]]]:
    """Run the shipped config ``config/<name>`` to completion in ``workdir`` (from a copy written
    there): the config and the jobs run."""
    config = yaml.safe_load((REPO / "config" / name).read_text())
    (workdir / name).write_text(yaml.safe_dump(config))
    return config, run(workdir, workdir / name, dryrun=False)


def extend(base: Path, workdir: Path, changes: dict) -> tuple[dict, list[tuple[str, dict]]]:
    """A copy of the finished quick-start grid ``base`` in ``workdir``, run again with the top-level
    keys of ``changes`` added to config/quickstart.yaml: the config and the jobs that ran (only
    what the changes add, when the rerun contract holds)."""
    shutil.copytree(base, workdir, symlinks=True, dirs_exist_ok=True)
    config = yaml.safe_load((REPO / "config" / "quickstart.yaml").read_text()) | changes
    (workdir / "grid.yaml").write_text(yaml.safe_dump(config))
    return config, run(workdir, workdir / "grid.yaml", dryrun=False)
