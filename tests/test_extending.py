"""docs/extending.md, followed: its code blocks applied to a copy of the package (each block's
first line says where it goes), then the new intermediate task and target checked through the
config, the grid, the cost model and demo data, and (tier 2) run as a grid end to end; the new
analysis applied alone, in the four files the page names, planned by a dry run of the quick
start's grid with its cell jobs and summary, and its code run on a worked example."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO

PAGE = REPO / "docs/extending.md"
BLOCK = re.compile(
    r"```(python|yaml|rst)\n# (\S+): (append|create|add to \w+|add under \w+|add)\n(.*?)```", re.S
)
ANALYSIS = "## A research analysis"  # the page's section on analyses (the others: tasks)


def blocks(section: str | None = None) -> list[tuple[str, str, str]]:
    """(where, how, code) of every block of the page that says where it goes; with
    ``section``, of the page's section whose heading starts so."""
    text = PAGE.read_text()
    if section is not None:
        start = text.index(section)
        end = text.find("\n## ", start + 1)
        text = text[start : end if end > 0 else None]
    return [(where, how, code) for _, where, how, code in BLOCK.findall(text)]


def apply(root: Path, section: str | None = None) -> None:
    """The page's code blocks (of one section), applied to the package copy under ``root``."""
    for where, how, code in blocks(section):
        if where == "config":
            continue
        path = root / where
        if how == "create":
            assert not path.exists(), f"{where} exists already"
            path.write_text(code)
            continue
        text = path.read_text()
        if how == "append":
            text = text.rstrip("\n") + "\n\n\n" + code
        else:  # "add to NAME": before the closing parenthesis of NAME's table
            name = how.removeprefix("add to ")
            start = re.search(rf"^{name}\b.*\($", text, re.M).end()
            end = text.index("\n)\n", start)
            text = text[:end] + "\n" + code.rstrip("\n") + text[end:]
        path.write_text(text)


def page_config() -> dict:
    """The quick start's config with the page's config blocks added: its keys under
    intermediate and targets."""
    config = yaml.safe_load((REPO / "config/quickstart.yaml").read_text())
    for where, how, code in blocks():
        if where == "config" and how.startswith("add under "):
            config[how.removeprefix("add under ")] |= yaml.safe_load(code)
    return config


def copy_repository(root: Path) -> Path:
    """A copy of the repository's package and workflow under ``root``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src", root / "src", ignore=ignore)
    shutil.copytree(REPO / "workflow", root / "workflow", ignore=ignore)
    shutil.copytree(REPO / "envs", root / "envs")
    shutil.copy(REPO / "Snakefile", root / "Snakefile")
    return root


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> Path:
    """A copy of the repository's package and workflow with the page applied."""
    root = copy_repository(tmp_path_factory.mktemp("extended"))
    apply(root)
    return root


@pytest.fixture(scope="module")
def with_analysis(tmp_path_factory) -> Path:
    """A copy of the repository's package and workflow with the page's analysis alone."""
    root = copy_repository(tmp_path_factory.mktemp("analysis"))
    apply(root, ANALYSIS)
    return root


def in_copy(root: Path, code: str, cwd: Path | None = None) -> dict:
    """Run ``code`` (which prints one JSON document) against the extended package."""
    env = os.environ | {"PYTHONPATH": str(root / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_page_has_the_blocks_the_test_follows():
    kinds = [(where, how) for where, how, _ in blocks()]
    assert kinds.count(("src/xstilts/tasks/pair_classification.py", "append")) == 2
    assert ("src/xstilts/languages.py", "add to LANGUAGES") in kinds
    assert ("config", "add under intermediate") in kinds
    assert ("config", "add under targets") in kinds
    analysis = [(where, how) for where, how, _ in blocks(ANALYSIS)]
    assert analysis == [
        ("src/xstilts/analyses/seed_spread.py", "create"),
        ("src/xstilts/analyses/__init__.py", "add to NAMES"),
        ("workflow/report/seed_spread.rst", "create"),
        ("config", "add"),
    ]


def test_the_new_tasks_reach_the_schema_the_grid_the_cost_model_and_the_demo(extended, tmp_path):
    config = page_config()
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(config))
    hub = config | {"data": {"source": "hub"}, "retrieval": {}, "submission": {}}
    hub["models"] = {"xlmr_large": {"hub_id": "FacebookAI/xlm-roberta-large"}}
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump(hub))
    found = in_copy(
        extended,
        """
import json
from xstilts import cost, grid, languages, tasks
from xstilts.tasks.build import build_demo_split
schema = grid.config.schema()
g = grid.resolve(grid.load("grid.yaml"))
jobs = cost.project(grid.resolve(grid.load("hub.yaml")), cost.Throughput(1.0, 1.0))
test = jobs[(jobs.rule == "evaluate_target") & (jobs.target == "americasnli")]
rows = build_demo_split("nala-cub/americas_nli/gn/test", "gn.parquet", 100)
print(json.dumps({
    "roles": [tasks.role("snli"), tasks.role("americasnli")],
    "enums": ["snli" in schema["$defs"]["task_name"]["enum"],
              "americasnli" in schema["$defs"]["target_name"]["enum"]],
    "arms": g.arms, "targets": g.targets,
    "families": [languages.family("aym"), languages.genus("gn")],
    "family_order": list(languages.FAMILY_ORDER),
    "test_tokens": sorted(set(test.infer_tokens)),
    "demo_rows": rows,
}))
""",
        cwd=tmp_path,
    )
    assert found["roles"] == ["intermediate", "target"]
    assert found["enums"] == [True, True]
    assert "snli" in found["arms"] and "americasnli" in found["targets"]
    assert found["families"] == ["Aymaran", "Tupi-Guarani"]
    order = found["family_order"]
    assert order.index("Austronesian") < order.index("Aymaran") < order.index("Basque")
    # two languages of 750 test pairs (the card), 64 tokens a pair (the pair estimate)
    assert found["test_tokens"] == [2 * 750 * 64]
    assert found["demo_rows"] > 0


@pytest.mark.grids
def test_a_grid_with_the_new_tasks_runs_end_to_end(extended, tmp_path):
    config = page_config()
    small = {"batch_size": 16, "max_steps": 40, "max_seq_length": 128, "learning_rate": 1.0e-3}
    config["intermediate"] = {"snli": config["intermediate"]["snli"] | small}
    config["targets"] = {"americasnli": config["targets"]["americasnli"] | small}
    config |= {"multitask": {"enabled": False}, "retrieval": {}, "submission": {}}
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(config))
    env = os.environ | {"PYTHONPATH": str(extended / "src")}
    command = ["snakemake", "-s", str(extended / "Snakefile"), "--configfile", "grid.yaml"]
    done = subprocess.run(
        [*command, "--cores", "2"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/summary/arm_target.csv")
    assert set(table.arm) == {"baseline", "snli"}
    assert table["americasnli"].notna().all()
    scores = json.loads(
        (tmp_path / "results/eval/demo_tiny/snli/seed1/scores/americasnli.json").read_text()
    )
    assert set(scores["languages"]) == {"aym", "gn"}


def _changed(root: Path) -> set[str]:
    """The files of the copy under ``root`` that differ from the repository's (or are new)."""
    out = set()
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            original = REPO / path.relative_to(root)
            if not original.exists() or original.read_bytes() != path.read_bytes():
                out.add(str(path.relative_to(root)))
    return out


def test_a_new_analysis_with_cell_jobs_is_four_files_and_the_grid_plans_it(with_analysis, tmp_path):
    # the module, its line in analyses.NAMES and its caption; the config is the fourth
    assert _changed(with_analysis) == {
        "src/xstilts/analyses/seed_spread.py",
        "src/xstilts/analyses/__init__.py",
        "workflow/report/seed_spread.rst",
    }
    config = yaml.safe_load((REPO / "config/quickstart.yaml").read_text())
    for where, _, code in blocks(ANALYSIS):
        if where == "config":
            config |= yaml.safe_load(code)
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(config))
    found = in_copy(
        with_analysis,
        f"""
import json
from xstilts import analyses, grid
from xstilts.plan import snakemake_jobs
g = grid.resolve(grid.load("grid.yaml"))
jobs = snakemake_jobs(".", "grid.yaml", dryrun=True, snakefile={str(with_analysis / "Snakefile")!r})
print(json.dumps({{
    "schema": "seed_spread" in grid.config.schema()["properties"],
    "cells": len(g.models) * len(g.arms) * len(g.seeds) * len(g.targets),
    "jobs": [[j["rule"], j["wildcards"]] for j in jobs],
    "sections": analyses.report_sections(g),
    "section": analyses.section(g, "Seed spread"),
}}))
""",
        cwd=tmp_path,
    )
    assert found["schema"]
    rules = [rule for rule, _ in found["jobs"]]
    # quickstart: 1 model, 4 arms (baseline, mnli, squad_v1, multitask), 1 seed, 3 targets
    assert found["cells"] == 12
    assert rules.count("seed_score") == 12 and rules.count("seed_spread_summary") == 1
    cells = {tuple(sorted(wc.items())) for rule, wc in found["jobs"] if rule == "seed_score"}
    assert (("arm", "mnli"), ("model", "demo_tiny"), ("seed", "1"), ("target", "xnli")) in cells
    # its report section: after training (the quick start enables no other analysis with
    # figures), numbered by its place among the seven sections
    assert found["sections"] == [
        "Main grid",
        "Per-language scores and gains",
        "Retrieval",
        "Training",
        "Seed spread",
        "Provenance",
        "Configuration",
    ]
    assert found["section"] == "5. Seed spread"


def test_the_new_analysis_on_a_worked_example(with_analysis, tmp_path):
    """Two seeds of one cell: XNLI accuracy 40 and 60 (seed 1), 50 and 58 (seed 2) on two
    languages; by hand: the seeds' scores 50 and 54, mean 52, sd sqrt(8) = 2.828 (n - 1)."""
    for seed, (de, en) in {1: (40.0, 60.0), 2: (50.0, 58.0)}.items():
        scores = {
            "avg_metrics": ["accuracy"],
            "languages": {"de": {"accuracy": de}, "en": {"accuracy": en}},
        }
        (tmp_path / f"scores{seed}.json").write_text(json.dumps(scores))
    found = in_copy(
        with_analysis,
        """
import json
from pathlib import Path
from xstilts.analyses import seed_spread
import pandas as pd
for seed in (1, 2):
    cell = {"model": "m", "arm": "mnli", "seed": seed, "target": "xnli"}
    seed_spread.seed_score(cell, {"scores": f"scores{seed}.json"}, {"score": f"cell{seed}.json"})
out = {"table_csv": "spread.csv", "figure": "spread.png"}
seed_spread.summarize({"scores": ["cell1.json", "cell2.json"]}, None, out)
print(json.dumps({
    "cell": json.loads(Path("cell1.json").read_text()),
    "table": pd.read_csv("spread.csv").to_dict("records"),
    "figure": Path("spread.png").stat().st_size,
}))
""",
        cwd=tmp_path,
    )
    assert found["cell"]["score"] == 50.0 and found["cell"]["languages"] == 2
    (row,) = found["table"]
    assert (row["arm"], row["target"], row["count"]) == ("mnli", "xnli", 2)
    assert (row["mean"], row["min"], row["max"]) == (52.0, 50.0, 54.0)
    assert row["std"] == pytest.approx(8**0.5)
    assert found["figure"] > 0
