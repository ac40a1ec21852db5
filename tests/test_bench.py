"""bench/train_throughput.py: its counting and FLOP arithmetic on worked numbers, and a smoke
run of all its modes on the CPU with a tiny shape (the GPU numbers are in
docs/performance.md)."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import train_throughput as bench  # noqa: E402


def test_the_token_counter_counts_real_tokens_and_their_squares():
    counter = bench.TokenCounter(torch.device("cpu"))
    module = torch.nn.Identity()
    module.forward = lambda *args, **kwargs: None  # accepts the keyword batch
    counter.attach(module)
    counter.mark()
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])  # lengths 3 and 2
    module(input_ids=None, attention_mask=mask)
    module(input_ids=None, attention_mask=torch.ones(1, 4, dtype=torch.long))  # length 4
    counter.mark()
    counter.close("x")
    rate = counter.rates["x"]
    assert rate["tokens"] == 3 + 2 + 4
    # token-weighted mean length: (3^2 + 2^2 + 4^2) / 9
    assert rate["mean_length_weighted"] == pytest.approx(29 / 9)


def test_flops_per_token_of_xlmr_large():
    cfg = bench.config_for("large")
    n = bench.non_embedding_parameters(cfg)
    # 24 layers x (4 x 1024^2 + 4 x 1024 attention, 2 x 1024 x 4096 + 4096 + 1024 MLP,
    # 2 x 2 x 1024 LayerNorm) = 24 x 12,596,224 = 302,309,376
    assert n == 302_309_376
    # at a token-weighted length of 100: 6N + 12 x 24 x 1024 x 100
    assert bench.flops_per_token(cfg, n, 100.0) == 6 * 302_309_376 + 12 * 24 * 1024 * 100


def test_all_modes_run_on_the_cpu(tmp_path):
    out = tmp_path / "bench.json"
    bench.main(["--steps", "3", "--warmup", "1", "--eval-examples", "64", "--json", str(out)])
    result = json.loads(out.read_text())
    assert set(result["modes"]) == {"jiant", "trainer", "xstilts"}
    for mode in result["modes"].values():
        assert mode["train_tokens_per_s"] > 0 and mode["infer_tokens_per_s"] > 0
        assert 0 < mode["train_mfu"] < 1
    assert result["train_ratio_xstilts_over_jiant"] > 0


@pytest.mark.grids
def test_the_gpu_suite_rehearses_on_the_cpu(tmp_path):
    """bench/gpu_suite.sh, the one script a lent GPU runs, end to end on the CPU at the tiny
    shape: every part runs and the table has every mode and every sharing level."""
    import os
    import subprocess

    env = os.environ | {"SHAPE": "tiny", "DEVICE": "cpu", "WARMUP": "2", "STEPS": "2",
                        "JOBS": "1,2", "OUT": str(tmp_path)}  # fmt: skip
    done = subprocess.run(
        ["bash", str(REPO / "bench/gpu_suite.sh")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = (tmp_path / "table.md").read_text()
    for mode in ("jiant", "trainer", "xstilts", "xstilts_bucketed"):
        assert f"| {mode} |" in table
    assert "| 1 |" in table and "| 2 |" in table and "tests/test_gpu.py: 1 skipped" in table


def test_the_gpu_table_reads_the_suites_results(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    import gpu_table

    row = {"train_tokens_per_s": 20000.0, "train_mfu": 0.05, "infer_tokens_per_s": 1.0}
    (tmp_path / "throughput.json").write_text(json.dumps({
        "device": "H100", "torch": "2.11", "shape": "large", "task": "xnli", "batch": 32,
        "modes": {"xstilts": row, "xstilts_bucketed": row | {"train_tokens_per_s": 45000.0}},
    }))  # fmt: skip
    (tmp_path / "sharing.json").write_text(json.dumps({"by_jobs": {
        "1": {"train_tokens_per_s_total": 20000.0, "ratio_over_one_job": 1.0},
        "4": {"train_tokens_per_s_total": 62000.0, "ratio_over_one_job": 3.1},
    }}))  # fmt: skip
    (tmp_path / "gpu_tests.txt").write_text("1 passed in 30.0s\n")
    table = gpu_table.table(tmp_path)
    assert "| xstilts_bucketed | 45,000 | 2.25x | 5.0 % |" in table  # 45,000 / 20,000
    assert "| 4 | 62,000 | 3.1x |" in table and "1 passed" in table
