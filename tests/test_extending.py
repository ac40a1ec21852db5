"""docs/extending.md, followed: its code blocks applied to a copy of the package (each block's
first line says where it goes), then the new intermediate task and target checked through the
config, the grid, the cost model and demo data, and (tier 2) run as a grid end to end."""

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
BLOCK = re.compile(r"```(python|yaml)\n# (\S+): (append|add to \w+|add under \w+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str]]:
    """(where, how, code) of every block of the page that says where it goes."""
    return [(where, how, code) for _, where, how, code in BLOCK.findall(PAGE.read_text())]


def apply(root: Path) -> None:
    """The page's Python blocks, applied to the package copy under ``root``."""
    for where, how, code in blocks():
        if where == "config":
            continue
        path = root / where
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
        if where == "config":
            config[how.removeprefix("add under ")] |= yaml.safe_load(code)
    return config


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> Path:
    """A copy of the repository's package and workflow with the page applied."""
    root = tmp_path_factory.mktemp("extended")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src", root / "src", ignore=ignore)
    shutil.copytree(REPO / "workflow", root / "workflow", ignore=ignore)
    shutil.copytree(REPO / "envs", root / "envs")
    shutil.copy(REPO / "Snakefile", root / "Snakefile")
    apply(root)
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
