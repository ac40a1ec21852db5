"""Aggregate training throughput of k jobs sharing one device, for each k in ``--jobs``.

Each job is a process of ``train_throughput.py --modes xstilts`` (XLM-R-shaped, random weights,
XNLI-length pairs, the engine's optimizer step at ``--micro`` examples a micro-batch), as k
workflow jobs given one GPU slot each would run (``--resources gpu_slots=k --default-resources
jobs_per_gpu=k``). The k processes start together and meet at a file barrier after their
warm-up (model build, first steps), so their timed steps start together; each records the
wall-clock start and end of its timed steps. Printed per k: the sum of the k rates, the real
tokens of all k over the window from the first start to the last end (the aggregate, which a
job that ran alone in part of that window cannot inflate), the overlap (the window all k ran
in, over that whole window: 1.0 when they ran side by side throughout), the aggregate's ratio
to k = 1 measured in the same run, and the largest memory of one job (``peak_memory_mb``:
reserved peak plus CUDA context, from which ``gpu_mem_mb`` is set). The JSON is written after
every k.

    python bench/gpu_sharing.py                                   # CPU smoke test, tiny shape
    python bench/gpu_sharing.py --shape large --jobs 1,2,4 --warmup 10 --steps 30
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent


def run_jobs(k: int, args, workdir: Path) -> list[dict]:
    """Start k throughput processes at once, meeting at one barrier; their results."""
    procs, outs = [], []
    barrier = workdir / f"barrier_k{k}"
    for i in range(k):
        out = workdir / f"k{k}_job{i}.json"
        command = [
            sys.executable, str(HERE / "train_throughput.py"), "--modes", "xstilts",
            "--shape", args.shape, "--device", args.device, "--task", "xnli",
            "--batch", str(args.batch), "--micro", str(args.micro or args.batch),
            "--warmup", str(args.warmup), "--steps", str(args.steps),
            "--eval-examples", "64", "--seed", str(13 + i), "--json", str(out),
            "--barrier", str(barrier), "--barrier-n", str(k),
        ]  # fmt: skip
        procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        outs.append(out)
    failed = [proc.wait() for proc in procs]
    if any(failed):
        raise SystemExit(f"a job of k={k} failed (exit codes {failed})")
    return [next(iter(json.loads(out.read_text())["modes"].values())) for out in outs]


def aggregate(jobs: list[dict]) -> dict:
    """The k jobs' rates, their aggregate over the whole window and the overlap."""
    starts, ends = [j["wall_start"] for j in jobs], [j["wall_end"] for j in jobs]
    window = max(ends) - min(starts)
    together = max(0.0, min(ends) - max(starts))
    tokens = sum(j["timed_train_tokens"] for j in jobs)
    rates = [j["train_tokens_per_s"] for j in jobs]
    return {
        "train_tokens_per_s_each": rates,
        "train_tokens_per_s_sum": round(sum(rates), 1),
        "train_tokens_per_s_total": round(tokens / window, 1),
        "overlap": round(together / window, 3),
        "window_seconds": round(window, 2),
        "peak_memory_mb": max(
            (j["peak_memory_mb"] for j in jobs if "peak_memory_mb" in j), default=None
        ),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="tiny")
    ap.add_argument("--device", default="cuda" if _has_cuda() else "cpu")
    ap.add_argument("--jobs", default="1,2,4", help="numbers of concurrent jobs")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--micro", type=int, help="examples per micro-batch (default: the batch)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", help="also write the results here (after every k)")
    args = ap.parse_args(argv)
    micro = args.micro or args.batch
    results: dict = {
        "shape": args.shape,
        "device": args.device,
        "batch": args.batch,
        "micro": f"{micro}x{args.batch // micro}",
        "warmup": args.warmup,
        "steps": args.steps,
        "by_jobs": {},
    }
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory() as tmp:
        for k in [int(x) for x in args.jobs.split(",")]:
            results["by_jobs"][str(k)] = row = aggregate(run_jobs(k, args, Path(tmp)))
            one = results["by_jobs"].get("1")
            if one:
                row["ratio_over_one_job"] = round(
                    row["train_tokens_per_s_total"] / one["train_tokens_per_s_total"], 2
                )
            print(k, json.dumps(row), flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    return results


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    main()
