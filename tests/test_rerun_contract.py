"""A grid finished before a change has nothing to rerun after it: every job of the shipped
configs keeps its rule, outputs, input files and params values (what Snakemake's rerun
triggers compare) as xstilts 60f9891 planned them, before issue 31 re-laid the grid, the rules
and the scripts (tests/rerun_contract.py)."""

from __future__ import annotations

import json

import pytest
from rerun_contract import CONFIGS, RECORD, jobs


@pytest.mark.parametrize("name", CONFIGS)
def test_every_job_of_a_shipped_config_is_as_a_finished_grid_recorded_it(name):
    recorded = json.loads(RECORD.read_text())[name]
    planned = jobs(name)
    missing = sorted(set(recorded) - set(planned))
    new = sorted(set(planned) - set(recorded))
    changed = sorted(k for k in set(recorded) & set(planned) if recorded[k] != planned[k])
    assert not (missing or new or changed), (
        f"{name}: a finished grid would rerun jobs: {len(changed)} changed params or inputs "
        f"(first {changed[:3]}), {len(new)} new (first {new[:3]}), {len(missing)} gone (first "
        f"{missing[:3]}); if the science changed on purpose, run python tests/rerun_contract.py "
        "--write and say so in the commit"
    )
    assert len(planned) > 50  # the record is of whole grids, not of an empty plan
