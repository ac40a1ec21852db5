"""Aggregate training throughput of k jobs sharing one device, for each k in ``--jobs``.

Each job is a process of ``train_throughput.py --modes xstilts`` (XLM-R-shaped, random weights,
XNLI-length pairs, ``xstilts.training.train`` on prepared features), as k workflow jobs given one
GPU slot each would run (``--resources gpu_slots=k --default-resources jobs_per_gpu=k``). The k
processes start together; each measures its own real tokens/s over its timed steps, which all
overlap once every process is past its warmup (``--warmup`` long enough for that). Printed per
k: the sum of the k rates, its ratio to k = 1 measured in the same run, and the peak GPU memory
of one job (``torch.cuda.max_memory_allocated``, so ``gpu_mem_mb`` can be set from it).

    python bench/gpu_sharing.py                                   # CPU smoke test, tiny shape
    python bench/gpu_sharing.py --shape large --jobs 1,2,4 --warmup 30 --steps 60
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent


def run_jobs(k: int, args, workdir: Path) -> list[dict]:
    """Start k throughput processes at once; their results once all have finished."""
    procs, outs = [], []
    for i in range(k):
        out = workdir / f"k{k}_job{i}.json"
        command = [
            sys.executable, str(HERE / "train_throughput.py"), "--modes", "xstilts",
            "--shape", args.shape, "--device", args.device, "--task", "xnli",
            "--batch", str(args.batch), "--warmup", str(args.warmup), "--steps", str(args.steps),
            "--eval-examples", "64", "--seed", str(13 + i), "--json", str(out),
        ]  # fmt: skip
        procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        outs.append(out)
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a job of k={k} failed (exit {proc.returncode})")
    return [json.loads(out.read_text()) for out in outs]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="tiny")
    ap.add_argument("--device", default="cuda" if _has_cuda() else "cpu")
    ap.add_argument("--jobs", default="1,2,4", help="numbers of concurrent jobs")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    results: dict = {"shape": args.shape, "device": args.device, "by_jobs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for k in [int(x) for x in args.jobs.split(",")]:
            jobs = run_jobs(k, args, Path(tmp))
            rates = [j["modes"]["xstilts"]["train_tokens_per_s"] for j in jobs]
            results["by_jobs"][k] = {
                "train_tokens_per_s_each": rates,
                "train_tokens_per_s_total": round(sum(rates), 1),
                "peak_memory_mb": max(j["modes"]["xstilts"].get("peak_memory_mb", 0) for j in jobs),
            }
            print(k, json.dumps(results["by_jobs"][k]), flush=True)
    one = results["by_jobs"].get(1)
    if one:
        for row in results["by_jobs"].values():
            row["ratio_over_one_job"] = round(
                row["train_tokens_per_s_total"] / one["train_tokens_per_s_total"], 2
            )
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return results


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    main()
