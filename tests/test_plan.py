"""xstilts plan: Snakemake's reasons summarised per rule, and the GPU-hours of what will run."""

from __future__ import annotations

import pandas as pd

from xstilts.plan import plan, reason_kinds


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
