"""Issue 30's errors: what used to be a traceback, a dead end or silence is one sentence naming
the file or key and the fix (before any job where it can be), and what evaluate.py scores
silently is said on stderr with the score kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_first_errors import _cli, quickstart

from xstilts import cli, grid, tasks
from xstilts.data.local import LOCAL_DATASETS
from xstilts.errors import UserError
from xstilts.grid.checks import command_line_error, target_path_error
from xstilts.summary import bootstrap, read, score

from conftest import REPO, hub_config

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "-s", str(REPO / "Snakefile")]
    return subprocess.run([*cmd, *args], cwd=workdir, capture_output=True, text=True, timeout=300)


def _one_sentence(done: subprocess.CompletedProcess) -> str:
    """Snakemake stopped by the workflow with one `xstilts:` line and no traceback."""
    lines = [line for line in done.stderr.splitlines() if line.startswith("xstilts:")]
    assert done.returncode == 1 and len(lines) == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr
    return lines[0]


# ---- dead ends: a documented key the schema refused -----------------------------------------


def test_every_local_dataset_has_its_data_local_key(tmp_path, capsys):
    """config/README.md documents data.local.<name> for each dataset read from a folder, and
    `xstilts check` asks for them: the schema takes every one (lareqa and mewslix were
    refused as 'Additional properties')."""
    for name in LOCAL_DATASETS:
        config = quickstart()
        config["data"]["local"] = {name: str(tmp_path / name)}
        assert grid.validate(config, SCHEMA, check_local=False)["data"]["local"] == {
            name: str(tmp_path / name)
        }
    # LAReQA on real data: the folder is asked for by name, and setting it is accepted
    config = hub_config(
        targets={"lareqa": {}},
        data={"source": "hub", "local": {"lareqa": str(tmp_path / "none")}},
    )
    path = tmp_path / "lareqa.yaml"
    path.write_text(yaml.safe_dump(config))
    assert cli.main(["check", "--config", str(path)]) == 2  # the list of missing datasets
    err = capsys.readouterr().err
    assert "data.local.lareqa (LAReQA's XQuAD-R with its sentence breaks" in err
    assert f"names {tmp_path / 'none'}, which has no xquad-r/" in err
    assert "Additional properties" not in err


# ---- the config: written twice, numbers from --config, a folder ------------------------------


def test_a_key_written_twice_names_the_file_line_and_key(tmp_path, capsys):
    text = (REPO / "config/quickstart.yaml").read_text()
    line = "  mnli: {learning_rate: 1.0e-3, batch_size: 32, max_steps: 100, max_seq_length: 128}\n"
    assert text.count(line) == 1
    text = text.replace(line, line + "  mnli: {learning_rate: 2.0e-3}\n")
    number = text.splitlines().index(line.rstrip("\n")) + 1  # the first mnli: line
    path = tmp_path / "twice.yaml"
    path.write_text(text)
    expected = (
        f"repeats key 'mnli' at line {number + 1} (first at line {number}), and YAML would "
        "silently keep only the second"
    )
    assert expected in _cli(["check", "--config", str(path)], capsys)
    assert expected in _one_sentence(_snakemake(tmp_path, "-n", "--configfile", "twice.yaml"))
    # a merge key may be overridden: that is no repeated key
    (tmp_path / "merge.yaml").write_text("a: &x {b: 1}\nc:\n  <<: *x\n  b: 2\n")
    assert grid.read_config(tmp_path / "merge.yaml")["c"] == {"b": 2}


def test_numbers_that_config_passes_as_strings_are_numbers(tmp_path):
    """Snakemake's --config reads a list or a mapping with YAML's BaseLoader: every number in
    it is a string ('seeds=[1,2]' gives ['1', '2'])."""
    from snakemake.cli import parse_config

    given = parse_config(["seeds=[1,2]", "multitask={enabled: true, learning_rate: 1e-3}"])
    assert given["seeds"] == ["1", "2"] and given["multitask"]["enabled"] == "true"
    config = quickstart() | given
    done = grid.validate(config, SCHEMA)
    assert done["seeds"] == [1, 2]
    assert done["multitask"]["enabled"] is True and done["multitask"]["learning_rate"] == 0.001
    # the same cells as the numbers written in a file: nothing reruns for the spelling
    written = grid.validate(quickstart() | {"seeds": [1, 2]}, SCHEMA)
    for seed in (1, 2):
        cells = [
            grid.cells.intermediate_cell(grid.resolve(c), "demo_tiny", "mnli", seed)
            for c in (done, written)
        ]
        assert grid.canonical(cells[0]) == grid.canonical(cells[1])
    # steps or epochs: "50" is the integer 50, "0.5ep" stays the string its pattern takes
    given = parse_config(["training_length={budgets: {mnli: [50, 0.5ep]}}"])
    assert given["training_length"]["budgets"]["mnli"] == ["50", "0.5ep"]
    done = grid.validate(quickstart() | given, SCHEMA)
    assert done["training_length"]["budgets"] == {"mnli": [50, "0.5ep"]}
    with pytest.raises(grid.ConfigError, match="config key 'seeds.0': 'one' is not of type"):
        grid.validate(quickstart() | {"seeds": ["one"]}, SCHEMA)
    (tmp_path / "qs.yaml").write_text((REPO / "config/quickstart.yaml").read_text())
    dry = _snakemake(tmp_path, "-n", "--configfile", "qs.yaml", "--config", "seeds=[1,2]")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "results/intermediate/demo_tiny/mnli/seed2/model" in dry.stdout


def test_a_folder_as_config_is_one_sentence(tmp_path, capsys):
    err = _cli(["check", "--config", str(tmp_path)], capsys)
    assert f"config file {tmp_path} is a folder; give the path of a YAML file in it" in err


# ---- the command line: unknown arm in a target, --report too early ----------------------------


def test_a_target_path_outside_the_grid_lists_the_grids_names(tmp_path):
    g = grid.resolve(grid.validate(quickstart(), SCHEMA))
    assert target_path_error(g, "results/eval/demo_tiny/mnli/seed1/scores/xnli.json") is None
    assert target_path_error(g, "results/summary/arm_target.md") is None
    unknown = {
        "results/eval/demo_tiny/nosucharm/seed1/scores/xnli.json": "arm 'nosucharm'",
        "results/checkpoints/intermediate/demo_tiny/xnli/seed1": "arm 'xnli'",
        "./results/features/xlmr/xnli": "model 'xlmr'",
        "results/target/demo_tiny/mnli/seed1/pawsx/model": "target 'pawsx'",
    }
    for path, named in unknown.items():
        assert f"names {named}, which is not in this grid" in target_path_error(g, path)
    (tmp_path / "qs.yaml").write_text((REPO / "config/quickstart.yaml").read_text())
    target = "results/eval/demo_tiny/nosucharm/seed1/scores/xnli.json"
    line = _one_sentence(_snakemake(tmp_path, "-n", target, "--configfile", "qs.yaml"))
    assert f"the target {target} names arm 'nosucharm'" in line
    assert "its arms are baseline, mnli, squad_v1, multitask" in line


def test_report_before_the_grid_has_finished_says_what_to_run(tmp_path):
    g = grid.resolve(grid.validate(quickstart(), SCHEMA))
    outputs = [str(tmp_path / "a"), str(tmp_path / "b")]
    (tmp_path / "a").write_text("")
    argv = ["--configfile", "qs.yaml", "--report", "r.html"]
    message = command_line_error(g, argv, "qs.yaml", lambda: outputs)
    assert f"1 of them are not there yet (the first: {tmp_path / 'b'})" in message
    assert "`snakemake --cores all --configfile qs.yaml`" in message
    assert command_line_error(g, [*argv, "--report-after-run"], "qs.yaml", lambda: outputs) is None
    (tmp_path / "b").write_text("")
    assert command_line_error(g, argv, "qs.yaml", lambda: outputs) is None
    (tmp_path / "qs.yaml").write_text((REPO / "config/quickstart.yaml").read_text())
    line = _one_sentence(_snakemake(tmp_path, "--configfile", "qs.yaml", "--report", "r.html"))
    assert "--report needs the grid's results" in line and "finish the grid first" in line
    assert not (tmp_path / "r.html").exists()


# ---- results under results/ and local files: a sentence instead of a traceback ----------------


def _score_doc(languages: dict) -> dict:
    return {
        "cell": {"model": "demo_tiny", "arm": "mnli", "seed": 1},
        "task": "xnli",
        "languages": languages,
        "avg_metrics": ["accuracy"],
        "expected_languages": list(languages),
    }


def test_damaged_or_incomplete_scores_name_the_file(tmp_path, caplog):
    good, lost = tmp_path / "good.json", tmp_path / "lost.json"
    good.write_text(json.dumps(_score_doc({"en": {"accuracy": 80.0}, "de": {"accuracy": 70.0}})))
    # the metric lost: this arm's row left the table without a word (numpy's mean of nothing)
    lost.write_text(json.dumps(_score_doc({"en": {"accuracy": 80.0}, "de": {"f1": 1.0}})))
    long, meta = read.read_scores([good])
    assert read.task_scores(long, meta).score.tolist() == [75.0]  # (80 + 70) / 2
    with pytest.raises(UserError) as err:
        read.read_scores([good, lost])
    assert str(err.value).startswith(
        f"scores file {lost} has no 'accuracy' for de, a summary metric of xnli"
    )
    assert "delete it and run the workflow again" in str(err.value)
    # a language without gold (BUCC's real test set) has no scores at all: left out, said
    unscored = tmp_path / "unscored.json"
    unscored.write_text(json.dumps(_score_doc({"en": {"accuracy": 80.0}, "de": {}})))
    with caplog.at_level("WARNING", logger="xstilts"):
        long, meta = read.read_scores([unscored])
    assert f"scores file {unscored} has no scores for de" in caplog.text
    assert read.task_scores(long, meta).n_languages.tolist() == [1]
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good.read_text()[:40])
    for reader in (read.read_scores, read.read_validation):
        with pytest.raises(UserError, match=f"scores file {truncated} is damaged"):
            reader([truncated])
    examples = tmp_path / "examples.parquet"
    pd.DataFrame({"correct": [1.0, 0.0]}).to_parquet(examples)
    assert read.read_examples_file(examples).correct.tolist() == [1.0, 0.0]
    examples.write_bytes(examples.read_bytes()[:100])
    with pytest.raises(UserError, match=f"examples file {examples} is damaged"):
        bootstrap._load_examples([good], [examples])


def test_damaged_local_files_name_the_file(tmp_path):
    from xstilts.tasks.build import build_demo_local
    from xstilts.tasks.retrieval import read_bucc_release
    from xstilts.tasks.tagging_formats import CCG_TAG_FILE, read_ccg_files

    build_demo_local("bucc2018", tmp_path / "bucc", 100)
    gold = tmp_path / "bucc/de-en.dev.gold"
    lines = gold.read_text().splitlines()
    assert read_bucc_release(tmp_path / "bucc", "de", "dev").num_rows > 0
    gold.write_text("\n".join([lines[0], lines[1].replace("\t", " "), *lines[2:]]) + "\n")
    with pytest.raises(UserError, match=f"{gold} line 2 is not '<id><TAB><English id>'"):
        read_bucc_release(tmp_path / "bucc", "de", "dev")
    build_demo_local("ccgbank", tmp_path / "ccg", 100)
    tags = tmp_path / "ccg" / CCG_TAG_FILE
    assert read_ccg_files(tmp_path / "ccg", "validation").num_rows > 0
    tags.write_text(tags.read_text()[:50])
    with pytest.raises(UserError, match=f"CCGbank file {tags} is damaged"):
        read_ccg_files(tmp_path / "ccg", "validation")


def test_cost_says_when_the_features_folder_is_missing(tmp_path, capsys, monkeypatch):
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(hub_config()))
    err = _cli(["cost", "--config", str(path), "--features", str(tmp_path / "none")], capsys)
    assert f"--features {tmp_path / 'none'} is not a folder" in err
    assert cli.main(["cost", "--config", str(path), "--features", str(tmp_path)]) == 0
    assert "holds no features of xlmr_large" in capsys.readouterr().err
    # --features without a folder: the run's own (results/features, in the directory run from)
    monkeypatch.chdir(tmp_path)
    err = _cli(["cost", "--config", str(path), "--features"], capsys)
    assert "--features results/features is not a folder" in err
    (tmp_path / "results/features").mkdir(parents=True)
    assert cli.main(["cost", "--config", str(path), "--features"]) == 0
    assert "--features results/features holds no features" in capsys.readouterr().err


# ---- xstilts score: evaluate.py's values, and a word on what it drops ------------------------


def test_score_says_what_evaluate_py_drops_and_keeps_its_scores(tmp_path, capsys):
    def scored(task, predictions, gold, suffix="tsv"):
        pred, label = tmp_path / f"{task}.pred.{suffix}", tmp_path / f"{task}.gold.{suffix}"
        pred.write_text("".join(f"{line}\n" for line in predictions))
        label.write_text("".join(f"{line}\n" for line in gold))
        return score.score_files(task, pred, label, "de"), capsys.readouterr().err, pred, label

    # 1 of 2 right: 50 %, the unknown label counted wrong
    result, err, pred, _ = scored("xnli", ["entailment", "maybe"], ["entailment", "neutral"])
    assert result == {"accuracy": 50.0}
    assert f"1 of 2 predictions in {pred} are none of the gold labels" in err and "'maybe'" in err
    result, err, pred, _ = scored("tatoeba", ["0", "one"], ["0", "1"])
    assert result == {"accuracy": 50.0}
    assert f"1 of 2 lines of {pred} are not an integer" in err
    # pairs {(de-1, en-1), ('de-2 en-2',)} against {(de-1, en-1), (de-2, en-2)}: P = R = F1 = 50
    pairs = ["de-1\ten-1", "de-2\ten-2"]
    result, err, pred, _ = scored("bucc2018", [pairs[0], "de-2 en-2"], pairs)
    assert result == {"f1": 50.0, "precision": 50.0, "recall": 50.0}
    assert f"1 of 2 lines of {pred} have no tab" in err
    # an extra language file in a task folder: named, the task scored in its languages
    predictions, labels = tmp_path / "predictions", tmp_path / "labels"
    for folder in (predictions, labels):
        (folder / "xnli").mkdir(parents=True)
        for lang in tasks.get("xnli").languages:
            (folder / f"xnli/test-{lang}.tsv").write_text("entailment\nneutral\n")
    (predictions / "xnli/test-xx.tsv").write_text("entailment\n")
    result = score.score_folder(predictions, labels, "xtreme")
    assert result["xnli"]["avg_metric"] == 100.0
    err = capsys.readouterr().err
    assert f"{predictions / 'xnli'} has 1 file(s) that are not scored, 'test-xx.tsv'" in err
