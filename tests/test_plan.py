"""xstilts plan: Snakemake's reasons summarised per rule, and the GPU-hours of what will run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xstilts import plan as plan_module
from xstilts.errors import UserError
from xstilts.plan import WORKFLOW_VARIABLE, find_snakefile, plan, reason_kinds


def test_reason_kinds_are_snakemakes_reasons_without_their_files():
    reason = (
        "Missing output files: results/a, results/b; Params have changed since last "
        "execution: results/c; Input files updated by another job: results/d"
    )
    assert reason_kinds(reason) == [
        "missing output files",
        "params have changed",
        "input files updated by another job",
    ]
    assert reason_kinds("") == []


def _job(rule, arm=None, target=None, reason=""):
    wildcards = {"model": "m", "arm": arm, "seed": "1", "target": target}
    return {
        "rule": rule,
        "wildcards": {k: v for k, v in wildcards.items() if v is not None} if arm else {},
        "reason": reason,
    }


def test_plan_counts_done_and_to_run_and_sums_the_hours_of_what_runs():
    every = [
        _job("train_intermediate", "mnli"),
        _job("train_intermediate", "qqp"),
        _job("train_target", "mnli", "xnli"),
        _job("train_target", "qqp", "xnli"),
        _job("aggregate"),
    ]
    to_run = [
        _job("train_intermediate", "mnli", reason="Params have changed since last execution: x"),
        _job("train_target", "mnli", "xnli", reason="Input files updated by another job: y"),
        _job("aggregate", reason="Input files updated by another job: z"),
    ]
    costs = pd.DataFrame(
        [
            ("train_intermediate", "m", "mnli", 1, "", 2.5),
            ("train_intermediate", "m", "qqp", 1, "", 4.0),
            ("train_target", "m", "mnli", 1, "xnli", 0.75),
            ("train_target", "m", "qqp", 1, "xnli", 0.5),
        ],
        columns=["rule", "model", "arm", "seed", "target", "hours"],
    )
    table = plan(every, to_run, costs).set_index("rule")
    # hand-counted: 1 of 2 intermediate jobs (2.5 h), 1 of 2 target jobs (0.75 h), aggregate
    assert table.loc["train_intermediate", ["jobs", "done", "to run"]].tolist() == [2, 1, 1]
    assert table.loc["train_intermediate", "why"] == "params have changed (1)"
    assert table.loc["train_intermediate", "GPU-hours"] == 2.5
    assert table.loc["train_target", "GPU-hours"] == 0.75
    assert table.loc["aggregate", ["jobs", "done", "to run", "GPU-hours"]].tolist() == [1, 0, 1, 0]
    assert table.loc["total", ["jobs", "done", "to run", "GPU-hours"]].tolist() == [5, 2, 3, 3.25]


def _checkout(folder: Path) -> Path:
    """A folder laid out as a checkout of the repository: a Snakefile and its rules."""
    (folder / "workflow/rules").mkdir(parents=True)
    (folder / "workflow/rules/common.smk").write_text("")
    (folder / "Snakefile").write_text("")
    return folder / "Snakefile"


def test_the_workflow_is_the_checkout_the_command_runs_in(tmp_path, monkeypatch):
    monkeypatch.delenv(WORKFLOW_VARIABLE, raising=False)
    snakefile = _checkout(tmp_path / "checkout")
    (tmp_path / "checkout/config").mkdir()
    assert find_snakefile(cwd=tmp_path / "checkout") == snakefile
    assert find_snakefile(cwd=tmp_path / "checkout/config") == snakefile  # a folder above
    # a Snakefile alone is another project's, not a checkout of this one
    (tmp_path / "other").mkdir()
    (tmp_path / "other/Snakefile").write_text("")
    monkeypatch.setattr(plan_module, "_SOURCE_CHECKOUT", tmp_path / "site-packages")
    with pytest.raises(UserError, match=r"no xstilts workflow .* in \S+/other or a folder above"):
        find_snakefile(cwd=tmp_path / "other")
    # the checkout an editable install's source lies in, when the user is in none
    monkeypatch.setattr(plan_module, "_SOURCE_CHECKOUT", tmp_path / "checkout")
    assert find_snakefile(cwd=tmp_path / "other") == snakefile


def test_snakefile_option_then_variable_name_the_workflow(tmp_path, monkeypatch):
    mine, theirs = _checkout(tmp_path / "mine"), _checkout(tmp_path / "theirs")
    monkeypatch.setenv(WORKFLOW_VARIABLE, str(tmp_path / "theirs"))  # a checkout
    assert find_snakefile(cwd=tmp_path / "mine") == theirs
    assert find_snakefile(mine, cwd=tmp_path / "theirs") == mine  # the option first
    monkeypatch.setenv(WORKFLOW_VARIABLE, str(mine))  # or its Snakefile
    assert find_snakefile(cwd=tmp_path) == mine
    with pytest.raises(UserError, match="--snakefile nowhere is not a Snakefile nor a folder"):
        find_snakefile("nowhere")
    monkeypatch.setenv(WORKFLOW_VARIABLE, str(tmp_path))  # a folder without a Snakefile
    with pytest.raises(UserError, match=f"XSTILTS_WORKFLOW {tmp_path} is not a Snakefile"):
        find_snakefile(cwd=tmp_path / "mine")
