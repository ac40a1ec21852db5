"""What the workflow spends before useful work: building the DAG, and the cheapest job.

For this tree and a baseline commit (checked out in a temporary git worktree), in the same run:

- ``snakemake -n`` on config/demo.yaml (the full demo grid): wall seconds, median of repeats;
- the cheapest job of the grid, one demo data split (``build_demo_dataset``): the wall seconds of
  its script as Snakemake generates it (run again directly, so Snakemake's scheduling does not
  count), median of repeats, and the seconds its imports take before its first useful step
  (``python -X importtime``, the top-level imports of the script).

    python bench/job_overhead.py --baseline c62c2e7 --repeats 5

Prints a Markdown table with the ratio baseline / this tree; --json writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPLIT = "resources/demo/datasets/facebook/xnli/de/test.parquet"  # one demo data split


def _env(tree: Path) -> dict[str, str]:
    """Run a tree's code: its src/ before the installed package."""
    return os.environ | {"PYTHONPATH": str(tree / "src")}


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return elapsed


def _snakemake(tree: Path) -> list[str]:
    snakefile, config = tree / "Snakefile", tree / "config/demo.yaml"
    return [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--configfile", str(config)]


def dag_seconds(tree: Path, work: Path, repeats: int) -> float:
    times = [_timed([*_snakemake(tree), "-n", "-q"], work, _env(tree)) for _ in range(repeats)]
    return statistics.median(times)


def import_seconds(script: Path, work: Path, env: dict[str, str]) -> float:
    """The top-level imports' cumulative microseconds, as -X importtime reports them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    total = 0
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if found and not found.group(2).startswith(" "):  # a top-level import
            total += int(found.group(1))
    return total / 1e6


def cheapest_job(tree: Path, work: Path, repeats: int) -> dict[str, float]:
    """Build one demo split through Snakemake, keep its generated script, and time it."""
    scripts = work / ".snakemake/scripts"
    shutil.rmtree(scripts, ignore_errors=True)
    cmd = [*_snakemake(tree), "--cores", "1", "--skip-script-cleanup", "--force", SPLIT]
    _timed(cmd, work, _env(tree))
    (script,) = scripts.glob("*.build_demo_dataset.py")
    times = [_timed([sys.executable, str(script)], work, _env(tree)) for _ in range(repeats)]
    return {
        "seconds": statistics.median(times),
        "imports": import_seconds(script, work, _env(tree)),
    }


def measure(tree: Path, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        return {"dag_seconds": dag_seconds(tree, work, repeats)} | {
            f"job_{k}": v for k, v in cheapest_job(tree, work, repeats).items()
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="c62c2e7", help="the commit to compare against")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            results = {
                "baseline": measure(baseline, args.repeats),
                "this tree": measure(REPO, args.repeats),
            }
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)],
                capture_output=True,
            )
    rows = [
        ("snakemake -n, config/demo.yaml (s)", "dag_seconds"),
        ("cheapest job (one demo split), wall (s)", "job_seconds"),
        ("its imports before the first useful step (s)", "job_imports"),
    ]
    print(f"| measure (median of {args.repeats}) | {args.baseline} | this tree | ratio |")
    print("|---|---|---|---|")
    for label, key in rows:
        before, after = results["baseline"][key], results["this tree"][key]
        print(f"| {label} | {before:.2f} | {after:.2f} | {before / after:.1f}x |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
