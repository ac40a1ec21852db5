"""bench/train_throughput.py: its counting and FLOP arithmetic on worked numbers, and a smoke
run of all its modes on the CPU with a tiny shape (the GPU numbers are in
docs/performance.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    bench.main(
        [
            "--steps",
            "3",
            "--warmup",
            "1",
            "--eval-examples",
            "64",
            "--micro",
            "4",
            "--modes",
            "jiant,trainer,xstilts",
            "--json",
            str(out),
        ]
    )
    result = json.loads(out.read_text())
    # the micro-batch shapes: jiant's 4 x 8, the Trainer's whole batch, xstilts at --micro
    assert set(result["modes"]) == {"jiant_4x8", "trainer_32x1", "xstilts_4x8"}
    for mode in result["modes"].values():
        assert mode["train_tokens_per_s"] > 0 and mode["infer_tokens_per_s"] > 0
        assert 0 < mode["train_mfu"] < 1
    # xstilts runs the engine's step: it reports whether it ran compiled (here: not asked)
    assert result["modes"]["xstilts_4x8"]["compiled"] is False


def test_the_bench_needs_no_datasets():
    """The GPU machine has torch and transformers but no ``datasets``: the bench reads its
    rows as the engine reads a Dataset, from a table of its own."""
    table = bench.Table({"input_ids": [[0, 5, 2], [0, 6, 7, 2]], "length": [3, 4]})
    assert len(table) == 2 and table["length"] == [3, 4]
    assert table[[1]] == {"input_ids": [[0, 6, 7, 2]], "length": [4]}
    assert table[0:1] == {"input_ids": [[0, 5, 2]], "length": [3]}
    assert table[1] == {"input_ids": [0, 6, 7, 2], "length": 4}
    assert "datasets" not in bench.__dict__


def test_the_sharing_aggregate_counts_the_whole_window():
    """Worked example: two jobs of 1,000 tokens each, timed over 0-10 s and 5-15 s, ran side
    by side 5 s of the 15 s window: aggregate 2,000 / 15 = 133.3 tokens/s, not the sum of
    their rates (200); run one after the other they overlap 0."""
    import gpu_sharing

    def job(start, end):
        return {
            "wall_start": start,
            "wall_end": end,
            "timed_train_tokens": 1000,
            "train_tokens_per_s": 1000 / (end - start),
        }

    both = gpu_sharing.aggregate([job(0.0, 10.0), job(5.0, 15.0)])
    assert both["train_tokens_per_s_sum"] == 200.0
    assert both["train_tokens_per_s_total"] == 133.3 and both["overlap"] == 0.333
    apart = gpu_sharing.aggregate([job(0.0, 10.0), job(10.0, 20.0)])
    assert apart["overlap"] == 0.0 and apart["train_tokens_per_s_total"] == 100.0
    assert apart["peak_memory_mb"] is None  # no CUDA, no memory figure


def _no_datasets_python(tmp_path) -> str:
    """A python3 that sees the venv's packages but ``datasets`` and ``snakemake``, as the GPU
    machine's does (no site.py: a folder of links to the other packages on PYTHONPATH)."""
    import site
    import stat

    packages = Path(site.getsitepackages()[0])
    links = tmp_path / "site"
    links.mkdir()
    for entry in packages.iterdir():
        if not entry.name.startswith(("datasets", "snakemake")):
            (links / entry.name).symlink_to(entry)
    python = tmp_path / "python3"
    python.write_text(
        f'#!/bin/sh\nPYTHONPATH="$PYTHONPATH:{links}" exec {sys.executable} -S "$@"\n'
    )
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return str(python)


@pytest.mark.grids
def test_the_gpu_suite_rehearses_on_the_cpu(tmp_path):
    """bench/gpu_suite.sh, the one script a lent GPU runs, on the CPU at the tiny shape with a
    python3 that lacks ``datasets``: every phase writes its JSON as it ends, and a phase that
    fails (here: sharing, given a bad JOBS) loses only its own figures."""
    import os
    import subprocess

    results = tmp_path / "suite"
    env = os.environ | {
        "SHAPE": "tiny",
        "DEVICE": "cpu",
        "WARMUP": "1",
        "STEPS": "2",
        "EVAL": "32",
        "JOBS": "1,two",
        "SCALE": "4",
        "BUDGET": "1800",
        "RESULTS": str(results),
        "PYTHON": _no_datasets_python(tmp_path),
        "PHASES": "preflight,xstilts_4x8,compiled_32x1,sharing,tests",
    }
    env.pop("PYTHONPATH", None)  # the suite puts src/ there itself
    done = subprocess.run(
        ["bash", str(REPO / "bench/gpu_suite.sh")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    phases = {
        p["phase"]: p for p in map(json.loads, (results / "phases.jsonl").read_text().splitlines())
    }
    assert list(phases) == ["preflight", "xstilts_4x8", "compiled_32x1", "sharing", "tests"]
    assert phases["sharing"]["status"] == "failed" and not (results / "sharing.json").exists()
    for name in ("preflight", "xstilts_4x8", "compiled_32x1", "tests"):
        assert phases[name]["status"] == "ok", (name, (results / f"{name}.log").read_text())
    preflight = json.loads((results / "preflight.json").read_text())
    assert "datasets" in preflight["versions"]["missing"]
    assert preflight["compiled_step"]["compiled"] is False  # the CPU: not compiled, and why
    for name in ("xstilts_4x8", "compiled_32x1"):
        (row,) = json.loads((results / f"{name}.json").read_text())["modes"].values()
        assert row["train_tokens_per_s"] > 0
    tests = json.loads((results / "tests.json").read_text())
    assert tests["exit"] == 0 and "skipped" in tests["summary"]  # no CUDA here
    table = (results / "table.md").read_text()
    assert "| sharing | failed |" in table and "| xstilts_4x8 | " in table


def test_the_gpu_table_reads_what_the_phases_left(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    import gpu_table

    row = {
        "train_tokens_per_s": 20000.0,
        "train_mfu": 0.05,
        "infer_tokens_per_s": 1.0,
        "compiled": True,
        "compile": {"mode": "reduce-overhead"},
        "peak_reserved_mb": 9000,
        "context_mb": 600,
        "peak_memory_mb": 9600,
    }
    (tmp_path / "compiled_32x1.json").write_text(json.dumps({"modes": {"x": row}}))
    (tmp_path / "phases.jsonl").write_text(
        '{"phase": "compiled_32x1", "status": "ok", "rc": 0, "seconds": 80}\n'
        '{"phase": "sharing", "status": "timeout", "rc": 124, "seconds": 150}\n'
    )
    table = gpu_table.table(tmp_path)
    assert "| compiled_32x1 | 20,000 | 5.0 % | 1 | – | True | 9,000 | 600 | 9,600 |" in table
    assert "| sharing | timeout | 150 |" in table and "Jobs sharing" not in table
