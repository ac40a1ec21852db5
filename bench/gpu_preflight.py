"""The GPU suite's first phase: what the machine provides, and one compiled training step.

Writes ``--json`` twice: first the versions (Python, torch, CUDA, transformers, the device,
nvidia-smi's view of it, which of the workflow's packages are missing: the bench needs none of
them), then the same with the result of a compiled training step of a tiny XLM-R-shaped model
(``xstilts.training.runner``'s compile, as a run with ``compile: true`` does it), so that a
failing compile shows here in seconds instead of in every later phase.

    python3 bench/gpu_preflight.py --json gpu_suite/preflight.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).parent))
import train_throughput as bench  # noqa: E402

from xstilts.settings import Training  # noqa: E402
from xstilts.training.runner import compile_encoder, compile_report  # noqa: E402

# packages of the workflow (not of the bench) a bare GPU machine may lack
WORKFLOW_PACKAGES = ("datasets", "snakemake", "pandas", "pyarrow", "jsonschema", "yaml", "pytest")


def versions(device: torch.device) -> dict:
    out = {
        "python": platform.python_version(),
        "executable": sys.executable,
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "transformers": transformers.__version__,
        "cuda_available": torch.cuda.is_available(),
        "missing": [p for p in WORKFLOW_PACKAGES if importlib.util.find_spec(p) is None],
    }
    try:
        import triton

        out["triton"] = triton.__version__
    except ImportError:
        out["triton"] = None
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        out |= {
            "device": props.name,
            "capability": list(torch.cuda.get_device_capability(device)),
            "memory_mb": round(props.total_memory / 2**20),
            "multiprocessors": props.multi_processor_count,
        }
    if shutil.which("nvidia-smi"):
        smi = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
        out["nvidia_smi"] = smi.stdout.strip()
    return out


def compiled_step(device: torch.device) -> dict:
    """Two training steps of a tiny model, its encoder compiled (on the CPU: not compiled,
    and the reason why)."""
    cfg = bench.config_for("tiny")
    lengths = bench.sample_lengths("xnli", 64, 13, None)
    rows = bench.examples(lengths, cfg.vocab_size, 13)
    settings = Training.from_schema(
        learning_rate=1e-5, batch_size=8, max_steps=2, warmup_ratio=0.1, precision="bf16"
    )
    runner = bench.build_runner(cfg, rows, settings, device, 13, buckets=2)
    started = time.perf_counter()
    report = compile_encoder(runner, True)
    runner.model.train()
    for _ in range(2):
        runner.train_step()
    loss = runner.mean_loss()
    report = compile_report(runner, report)
    return report | {"seconds": round(time.perf_counter() - started, 1), "loss": loss}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    out = {"versions": versions(device)}
    Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    try:
        out["compiled_step"] = compiled_step(device)
    except Exception as e:  # the versions above stay; the suite goes on
        out["compiled_step"] = {
            "error": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc()[-3000:],
        }
    Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    if "error" in out["compiled_step"]:
        raise SystemExit(1)
    return out


if __name__ == "__main__":
    main()
