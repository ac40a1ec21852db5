"""XTREME-R's targets end to end: XCOPA (Social IQa, then COPA), LAReQA and Mewsli-X (dual
encoders, scored by mAP@20), and the languages XTREME-R adds to UD-POS (from the UD v2.7
release files) and Tatoeba (from mteb's copy), on the baseline and MNLI arms of the quick-start
grid; the XTREME-R table, and `xstilts score --benchmark xtreme-r` on a submission. Second
tier: `pytest -m grids`."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from xstilts import cli, tasks

from smk import REPO, extend

pytestmark = pytest.mark.grids
ARMS = ["baseline", "mnli"]
ADDED = {"udpos": "lt pl uk wo ro", "tatoeba": "az lt pl uk ro"}  # XTREME-R's languages


@pytest.fixture(scope="module")
def grid(quickstart_base, tmp_path_factory):
    work = tmp_path_factory.mktemp("xtreme_r")
    quick = yaml.safe_load((REPO / "config/quickstart.yaml").read_text())
    demo = yaml.safe_load((REPO / "config/demo.yaml").read_text())["targets"]
    changes = {
        "intermediate": {"mnli": quick["intermediate"]["mnli"]},
        "multitask": {"enabled": False},
        "targets": {"udpos": quick["targets"]["udpos"]}
        | {t: demo[t] for t in ("xcopa", "lareqa", "mewslix")},  # demo.yaml's settings
        "retrieval": {"tatoeba": quick["retrieval"]["tatoeba"]},
        "benchmarks": ["xtreme", "xtreme-r"],
        "submission": {"arms": ["best", "baseline"]},
    }
    return work, *extend(quickstart_base, work, changes)


def test_the_new_targets_and_languages_run_and_the_rest_is_reused(grid):
    _, _, jobs = grid
    trained = {(w["arm"], w["target"]) for r, w in jobs if r == "train_target"}
    # UD-POS is prepared again with its 5 added languages, so both arms fine-tune it again
    assert trained == {(a, t) for a in ARMS for t in ("xcopa", "lareqa", "mewslix", "udpos")}
    assert not [w for r, w in jobs if r == "train_intermediate"]  # mnli's encoder is reused
    prepared = sorted(w["task"] for r, w in jobs if r == "prepare")
    assert prepared == ["lareqa", "mewslix", "tatoeba", "udpos", "xcopa"]


def test_xtreme_r_languages_are_tested_and_counted_only_in_xtreme_r(grid):
    work = grid[0]
    long = pd.read_parquet(work / "results/summary/scores_long.parquet")
    base = long[long.arm == "baseline"]
    bench = pd.read_csv(work / "results/summary/benchmarks.csv")
    rows = bench[(bench.arm == "baseline") & (bench.kind == "task")].set_index(
        ["benchmark", "name"]
    )
    for target, langs in ADDED.items():
        tested = set(base[base.target == target].language)
        assert set(langs.split()) <= tested, target
        assert tested - set(langs.split()) <= set(tasks.get(target).languages)
    f1 = base[(base.target == "udpos") & (base.metric == "f1")].set_index("language").value
    assert len(f1) == 33 + 5
    assert rows.loc[("xtreme", "udpos"), "score"] == pytest.approx(
        f1[list(tasks.get("udpos").languages)].mean()
    )
    assert rows.loc[("xtreme-r", "udpos"), "score"] == pytest.approx(f1.mean())
    log = (work / "logs/prepare/demo_tiny/udpos.log").read_text()
    assert "udpos test.wo: 200 features from local/ud_v27/wo/test" in log
    log = (work / "logs/prepare/demo_tiny/tatoeba.log").read_text()
    assert "mteb/tatoeba-bitext-mining/pol-eng/test" in log


def test_the_xtreme_r_table_covers_the_tasks_of_the_grid(grid):
    work = grid[0]
    md = (work / "results/summary/arm_target.md").read_text()
    assert "## XTREME-R (evaluate.py --xtreme_version xtreme-r)" in md
    bench = pd.read_csv(work / "results/summary/benchmarks.csv")
    r = bench[(bench.benchmark == "xtreme-r") & bench.arm.isin(ARMS)]
    assert {"xcopa", "lareqa", "mewslix", "udpos", "tatoeba"} <= set(r.name)
    average = r[r.kind == "average"]
    assert set(average.tasks) == {"5/10"} and not average.complete.any()


def test_predictions_of_the_xtreme_r_targets_are_in_evaluate_pys_layout(grid):
    work = grid[0]
    cell = work / "results/eval/demo_tiny/mnli/seed1/predictions"
    labels = [json.loads(line)["label"] for line in (cell / "xcopa/test-qu.jsonl").open()]
    assert len(labels) > 0 and set(labels) <= {0, 1}
    # LAReQA: a line per question of the language, its id, then its 20 best candidates from
    # the pool of all 11 languages
    ranked = [line.rstrip("\n").split("\t") for line in (cell / "lareqa/test-hi.tsv").open()]
    assert len(ranked) == 200 and {len(r) for r in ranked} == {21}
    assert all(r[0].endswith("_hi") for r in ranked)
    pool = {c.split("_")[0] for r in ranked for c in r[1:]}
    assert pool <= set(tasks.get("lareqa").languages) and len(pool) > 1
    # Mewsli-X: {mention id: its 20 best entity ids}
    entities = json.loads((cell / "mewslix/test-ja.json").read_text())
    assert len(entities) == 200 and {len(e) for e in entities.values()} == {20}


def test_xstilts_score_xtreme_r_reproduces_the_summary(grid, tmp_path, capsys):
    work = grid[0]
    folder = work / "results/submission/demo_tiny/seed1/baseline"
    out = tmp_path / "scores.json"
    argv = ["score", "--predictions", str(folder), "--labels", str(work / "results/labels")]
    assert cli.main([*argv, "--benchmark", "xtreme-r", "--output_file", str(out)]) == 0
    capsys.readouterr()
    doc = json.loads(out.read_text())
    bench = pd.read_csv(work / "results/summary/benchmarks.csv")
    base = bench[(bench.benchmark == "xtreme-r") & (bench.arm == "baseline")].set_index("name")
    for task in ("xcopa", "lareqa", "mewslix", "udpos", "tatoeba"):
        assert doc[task]["avg_metric"] == pytest.approx(base.score[task], rel=1e-12), task
    assert doc["multi_choice"] == pytest.approx(base.score["xcopa"], rel=1e-12)
    assert len(doc["lareqa"]["map@20"]) == 11
