"""The grid through a real SLURM scheduler (tests/slurm/slurm_local.sh: slurmctld + slurmd on
this machine, fake GPUs) with the project's profile, profiles/slurm, against a local run of the
same config: every cluster job goes through sbatch, a training job cancelled mid-run with
scancel is resubmitted and resumes from its checkpoint, and the results equal the local ones.

Needs the cluster: `tests/slurm/slurm_local.sh start` (root, Debian). Skipped without it, unless
XSTILTS_REQUIRE_SLURM=1 (CI sets it after starting the cluster), where its absence fails."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from smk import REPO, run

pytestmark = [pytest.mark.grids, pytest.mark.slurm]

# rules that run as SLURM jobs (the others are local rules, run on the submitting host: fetching
# and the demo's stand-ins for it, importing local datasets, aggregate, labels, submission)
CLUSTER_RULES = {
    "prepare",
    "train_intermediate",
    "train_target",
    "evaluate_target",
    "evaluate_retrieval",
}
GPU_RULES = {"train_intermediate", "train_target", "evaluate_target", "evaluate_retrieval"}
TRAIN_LOG = "logs/train_intermediate/demo_tiny/mnli/seed1.log"


def _cluster_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=20
        ).stdout
    except (subprocess.TimeoutExpired, OSError):
        return False
    return any(s in out for s in ("idle", "mixed", "allocated"))


@pytest.fixture(scope="module")
def cluster():
    if not _cluster_up():
        if os.environ.get("XSTILTS_REQUIRE_SLURM") == "1":
            pytest.fail("no SLURM cluster answers sinfo: start it with tests/slurm/slurm_local.sh")
        pytest.skip("no SLURM cluster (start one with tests/slurm/slurm_local.sh start)")
    return Path(os.environ.get("SLURM_LOCAL_DIR", "/tmp/xstilts-slurm"))


def reduced_demo() -> dict:
    """The demo grid cut to one intermediate task, one target, one retrieval task and the best
    submission: every rule of the main grid, a few dozen jobs."""
    config = yaml.safe_load((REPO / "config/demo.yaml").read_text())
    # long enough that the cancel below lands while it trains
    config["intermediate"] = {"mnli": config["intermediate"]["mnli"] | {"max_steps": 300}}
    config["multitask"] = {"enabled": False}
    config["targets"] = {"xnli": config["targets"]["xnli"] | {"languages": ["en", "de", "sw"]}}
    config["retrieval"] = {"bucc2018": config["retrieval"]["bucc2018"] | {"languages": ["de"]}}
    config["submission"] = {"arms": ["best"]}
    config["robustness"], config["similarity"] = {}, {"enabled": False}  # tested locally
    # so are these research arms
    for key in ("sequences", "training_length", "translated", "mlm"):
        config[key] = {}
    return config


def _jobcomp(cluster: Path, workdir: Path, since: float) -> list[dict]:
    """Finished SLURM jobs of this working directory submitted from ``since`` (a time.time()) on,
    from the scheduler's job completion log (which outlives a restart of the test cluster, and
    an earlier test session may have used the same temporary directory)."""
    start = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(int(since)))
    rows = []
    for line in (cluster / "log/jobcomp.log").read_text().splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        if fields.get("WorkDir") == str(workdir) and fields.get("SubmitTime", "") >= start:
            rows.append(fields)
    return rows


def _cancel_training_when_under_way(workdir: Path, deadline: float) -> str:
    """scancel the intermediate training job once its loop runs; returns the job id."""
    log = workdir / TRAIN_LOG
    while time.time() < deadline:
        if log.exists() and "training mnli on" in log.read_text():
            time.sleep(3)  # a few optimizer steps
            jobs = subprocess.run(
                ["squeue", "-h", "-o", "%i %k"], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            ids = [j.split()[0] for j in jobs if "rule_train_intermediate" in j]
            assert ids, f"no running train_intermediate job in squeue: {jobs}"
            subprocess.run(["scancel", ids[0]], check=True)
            return ids[0]
        time.sleep(0.5)
    raise AssertionError(f"{log} never showed the training loop")


def _scores(workdir: Path) -> pd.DataFrame:
    df = pd.read_csv(workdir / "results/summary/scores_long.csv")
    return df.sort_values(list(df.columns.drop("value"))).reset_index(drop=True)


def _snakemake_on_slurm(remote: Path) -> list[str]:
    """The command that runs the grid of ``remote/config.yaml`` there, every job through sbatch
    (profiles/slurm), stopped after 25 minutes."""
    snakemake = Path(sys.executable).with_name("snakemake")
    return [
        *("timeout", "-s", "INT", "-k", "30", "1500"),  # SIGINT: snakemake scancels its jobs
        str(snakemake),
        *("--snakefile", str(REPO / "Snakefile"), "--directory", str(remote)),
        *("--configfile", str(remote / "config.yaml")),
        *("--workflow-profile", str(REPO / "profiles/slurm")),
        # the test cluster: no accounting database (job states from squeue), 2 real cores
        *("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2"),
        *("--jobs", "4", "--retries", "1", "--latency-wait", "5"),
        "--slurm-keep-successful-logs",
    ]


def test_the_grid_through_slurm_equals_the_local_run(cluster, tmp_path):
    config = reduced_demo()
    local, remote = tmp_path / "local", tmp_path / "slurm"
    for d in (local, remote):
        d.mkdir()
        (d / "config.yaml").write_text(yaml.safe_dump(config))
    command = _snakemake_on_slurm(remote)
    started = time.time()
    cancelled: list[str] = []
    with open(tmp_path / "snakemake.log", "w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=remote)
        watcher = threading.Thread(
            target=lambda: cancelled.append(_cancel_training_when_under_way(remote, started + 1200))
        )
        watcher.start()
        try:
            # the local run of the same config meanwhile (the cluster run mostly waits)
            local_jobs = run(local, local / "config.yaml", dryrun=False)
            rc = proc.wait(timeout=1500)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
            watcher.join(timeout=60)
    expected = Counter(rule for rule, _ in local_jobs if rule in CLUSTER_RULES)
    assert set(expected) == CLUSTER_RULES  # the reduced grid still has every cluster rule
    assert len(cancelled) == 1, "the training job was not cancelled"
    cancelled = cancelled[0]
    output = (tmp_path / "snakemake.log").read_text()
    assert rc == 0, output[-6000:]

    # every cluster job went through sbatch and finished; the cancelled one was resubmitted
    finished = _jobcomp(cluster, remote, started)
    states = Counter(row["JobState"] for row in finished)
    assert states == {"COMPLETED": sum(expected.values()), "CANCELLED": 1}, states
    assert [r["JobState"] for r in finished if r["JobId"] == cancelled] == ["CANCELLED"]
    logs = Counter(
        p.relative_to(remote / "logs/slurm").parts[0]
        for p in (remote / "logs/slurm").rglob("*.log")
    )
    assert logs == {f"rule_{r}": n for r, n in expected.items()} | {
        "rule_train_intermediate": expected["train_intermediate"] + 1
    }
    # GPU rules asked for a GPU and got a device of their own (SLURM set CUDA_VISIBLE_DEVICES;
    # the devices are fake, so training fell back to the CPU); CPU rules asked for none
    for rule in CLUSTER_RULES:
        logs = list((remote / "logs" / rule).rglob("*.log"))
        assert len(logs) == expected[rule], rule
        for log in logs:
            has_device = "CUDA_VISIBLE_DEVICES=" in log.read_text()
            assert has_device == (rule in GPU_RULES), (rule, log)
    train_log = (remote / TRAIN_LOG).read_text()
    assert "CUDA_VISIBLE_DEVICES=" in train_log and "training mnli on cpu" in train_log
    # the retry resumed the cancelled training from its checkpoint
    assert re.search(r"resumed from .*checkpoint\.pt at step [1-9]\d*/300", train_log), train_log

    # the same numbers as the local run (same seeds, deterministic CPU training)
    pd.testing.assert_frame_equal(_scores(remote), _scores(local))
    a = json.loads(
        (remote / "results/intermediate/demo_tiny/mnli/seed1/model/train_summary.json").read_text()
    )
    b = json.loads(
        (local / "results/intermediate/demo_tiny/mnli/seed1/model/train_summary.json").read_text()
    )
    assert a["validation"] == b["validation"]
