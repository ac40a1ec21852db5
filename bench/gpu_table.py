"""The table of bench/gpu_suite.sh: its JSON results, as Markdown (``python bench/gpu_table.py
<out dir>``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(out: Path) -> str:
    throughput = json.loads((out / "throughput.json").read_text())
    sharing = json.loads((out / "sharing.json").read_text())
    modes = throughput["modes"]
    base = modes["xstilts"]["train_tokens_per_s"]
    lines = [
        f"Device: {throughput['device']}, torch {throughput['torch']}, shape "
        f"{throughput['shape']}, {throughput['task']} lengths, batch {throughput['batch']}",
        "",
        "| mode | train tokens/s | vs xstilts | MFU | infer tokens/s | first step s | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in modes.items():
        lines.append(
            f"| {name} | {row['train_tokens_per_s']:,.0f} | "
            f"{row['train_tokens_per_s'] / base:.2f}x | {100 * row['train_mfu']:.1f} % | "
            f"{row['infer_tokens_per_s']:,.0f} | {row.get('first_step_seconds', '–')} | "
            f"{row.get('peak_memory_mb', '–')} |"
        )
    lines += ["", "| jobs sharing the device | total train tokens/s | vs one job |"]
    lines += ["|---|---:|---:|"]
    for k, row in sharing["by_jobs"].items():
        lines.append(
            f"| {k} | {row['train_tokens_per_s_total']:,.0f} | "
            f"{row.get('ratio_over_one_job', '–')}x |"
        )
    gpu_tests = (out / "gpu_tests.txt").read_text().strip().splitlines()
    lines += ["", f"tests/test_gpu.py: {gpu_tests[-1] if gpu_tests else 'no output'}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(Path(sys.argv[1])), end="")
