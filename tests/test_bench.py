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
