"""The table of bench/gpu_suite.sh: whatever JSON its phases left, as Markdown (``python3
bench/gpu_table.py <results dir>``). A phase that failed, timed out or was skipped shows as such;
its figures are missing, the others' are there."""

from __future__ import annotations

import json
import sys
from pathlib import Path

THROUGHPUT = (
    "xstilts_4x8",
    "xstilts_32x1",
    "compiled_32x1",
    "compiled_4x8",
    "jiant_4x8",
    "trainer_32x1",
)


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _cell(value, fmt="{:,.0f}") -> str:
    return "–" if value is None else fmt.format(value)


def table(out: Path) -> str:
    lines = []
    pre = _read(out / "preflight.json")
    if pre:
        v = pre["versions"]
        lines.append(
            f"Device: {v.get('device', 'cpu')}, Python {v['python']}, torch {v['torch']} "
            f"(CUDA {v['torch_cuda']}), transformers {v['transformers']}; missing: "
            f"{', '.join(v['missing']) or 'none'}"
        )
        step = pre.get("compiled_step", {})
        lines.append(
            f"Compiled step (tiny shape): {step.get('error') or step.get('compile', {})}"
            f"{'' if 'error' in step else ', compiled: ' + str(step.get('compiled'))}"
        )
        lines.append("")
    phases = (
        [json.loads(x) for x in (out / "phases.jsonl").read_text().splitlines() if x.strip()]
        if (out / "phases.jsonl").exists()
        else []
    )
    if phases:
        lines += ["| phase | status | seconds |", "|---|---|---:|"]
        for p in phases:
            lines.append(f"| {p['phase']} | {p['status']} | {p.get('seconds', '–')} |")
        lines.append("")
    rows = {}
    for name in THROUGHPUT:
        result = _read(out / f"{name}.json")
        if result and result.get("modes"):
            rows[name] = next(iter(result["modes"].values()))
    if rows:
        lines += [
            "| mode | train tokens/s | MFU | infer tokens/s | first step s | compiled | "
            "peak reserved MB | context MB | peak MB |",
            "|---|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for name, row in rows.items():
            compiled = row.get("compiled", "–")
            if row.get("compile", {}).get("fallback"):
                compiled = f"{compiled} ({row['compile']['fallback']})"
            lines.append(
                f"| {name} | {row['train_tokens_per_s']:,.0f} | {100 * row['train_mfu']:.1f} % | "
                f"{row['infer_tokens_per_s']:,.0f} | {row.get('first_step_seconds', '–')} | "
                f"{compiled} | {_cell(row.get('peak_reserved_mb'))} | "
                f"{_cell(row.get('context_mb'))} | {_cell(row.get('peak_memory_mb'))} |"
            )
        lines.append("")
    sharing = _read(out / "sharing.json")
    if sharing and sharing.get("by_jobs"):
        lines += [
            f"Jobs sharing the device (micro-batch {sharing.get('micro', '?')}):",
            "",
            "| jobs | total train tokens/s | sum of rates | overlap | vs one job | peak MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for k, row in sharing["by_jobs"].items():
            lines.append(
                f"| {k} | {row['train_tokens_per_s_total']:,.0f} | "
                f"{_cell(row.get('train_tokens_per_s_sum'))} | {row.get('overlap', '–')} | "
                f"{row.get('ratio_over_one_job', '–')}x | {_cell(row.get('peak_memory_mb'))} |"
            )
        lines.append("")
    tests = _read(out / "tests.json")
    if tests:
        lines.append(f"tests/test_gpu.py: {tests['summary']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(Path(sys.argv[1])), end="")
