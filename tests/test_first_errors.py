"""The errors of a researcher's first hour: each is one sentence naming the file or key and the
fix, before any job runs where it can."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xstilts import cli, features, grid, tasks
from xstilts.data import disk
from xstilts.errors import UserError
from xstilts.summary import score

from conftest import REPO

SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def quickstart() -> dict:
    return yaml.safe_load((REPO / "config/quickstart.yaml").read_text())


def _cli(argv, capsys) -> str:
    """Run xstilts; it must exit 2 with one line on stderr and nothing on stdout."""
    assert cli.main(argv) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("xstilts: ") and out.err.count("\n") == 1, out
    return out.err


def _snakemake_dry_run(workdir: Path, configfile: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(REPO / "Snakefile")]
    return subprocess.run(
        [*cmd, "--configfile", configfile], cwd=workdir, capture_output=True, text=True, timeout=300
    )


BROKEN_YAML = """data:
  source: demo
models:
  demo_tiny: {demo: {hidden_size: 64}
targets:
  xnli: {}
"""


@pytest.mark.parametrize("command", ["check", "plan", "cost"])
def test_a_yaml_syntax_error_names_the_file_and_the_line(command, tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN_YAML)
    err = _cli([command, "--config", str(path)], capsys)
    # the flow mapping opened on line 4 is still open when line 5 starts a new key
    assert f"config file {path} is not valid YAML at line 5, column 1" in err
    assert "Traceback" not in err


def test_an_exponent_without_a_dot_is_read_as_the_number_it_is(tmp_path):
    """YAML 1.1 (PyYAML, and so Snakemake) reads 1e-3 as a string; the grid takes the number."""
    text = (REPO / "config/quickstart.yaml").read_text()
    text = text.replace("mnli: {learning_rate: 1.0e-3,", "mnli: {learning_rate: 1e-3,", 1)
    raw = yaml.safe_load(text)
    assert raw["intermediate"]["mnli"]["learning_rate"] == "1e-3"  # what PyYAML gives
    config = grid.validate(raw, SCHEMA)
    assert config["intermediate"]["mnli"]["learning_rate"] == 0.001
    # the same cell as 1.0e-3: nothing reruns for the spelling
    g, ref = grid.resolve(config), grid.resolve(grid.validate(quickstart(), SCHEMA))
    assert grid.canonical(
        grid.cells.intermediate_cell(g, "demo_tiny", "mnli", 1)
    ) == grid.canonical(grid.cells.intermediate_cell(ref, "demo_tiny", "mnli", 1))
    (tmp_path / "exp.yaml").write_text(text)
    done = _snakemake_dry_run(tmp_path, "exp.yaml")
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_config_file_with_only_some_keys_is_told_it_replaces_the_default(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text("intermediate:\n  mnli: {learning_rate: 2.0e-5}\n")
    with pytest.raises(grid.ConfigError, match="replaces config/config.yaml instead of adding"):
        grid.load(path, SCHEMA)
    err = _cli(["check", "--config", str(path)], capsys)
    assert "the config has no 'models' and no 'targets'" in err
    done = _snakemake_dry_run(tmp_path, "mine.yaml")
    lines = [line for line in done.stderr.splitlines() if line.startswith("xstilts:")]
    assert done.returncode == 1 and len(lines) == 1 and "replaces config/config.yaml" in lines[0]
    assert "Traceback" not in done.stderr


def test_a_demo_model_whose_hidden_size_does_not_split_into_its_heads():
    config = quickstart()
    config["models"]["demo_tiny"]["demo"]["hidden_size"] = 100
    config["models"]["demo_tiny"]["demo"]["num_attention_heads"] = 3
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, SCHEMA)
    assert str(err.value).startswith(
        "config key 'models.demo_tiny.demo.hidden_size': 100 is not a multiple of "
        "num_attention_heads (3)"
    )


def test_a_max_seq_length_beyond_the_models_positions():
    config = quickstart()
    config["models"]["demo_tiny"]["demo"]["max_position_embeddings"] = 130
    grid.validate(config, SCHEMA)  # 130 positions hold 128 tokens: every length here fits
    config["targets"]["xnli"]["max_seq_length"] = 129
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, SCHEMA)
    assert str(err.value).startswith(
        "config key 'targets.xnli.max_seq_length': 129 tokens do not fit model demo_tiny, whose "
        "130 positions hold 128"
    )


def test_a_hub_models_positions_are_checked_when_its_features_are_prepared(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 514}))
    features.check_length(tmp_path, "xnli", 512)  # XLM-R: 514 positions, 512 tokens
    with pytest.raises(UserError, match="max_seq_length 513 of xnli does not fit the model"):
        features.check_length(tmp_path, "xnli", 513)


def test_a_damaged_features_file_names_the_folder_to_delete(demo_workdir):
    source = demo_workdir / "features/xnli/test.de"
    damaged = demo_workdir / "damaged/xnli"
    damaged.mkdir(parents=True)
    shutil.copytree(source, damaged / "test.de")
    arrow = next((damaged / "test.de").glob("*.arrow"))
    arrow.write_bytes(arrow.read_bytes()[:5000])  # truncated
    with pytest.raises(UserError) as err:
        disk.load_split(damaged / "test.de")
    message = str(err.value)
    assert message.startswith(f"the prepared features in {damaged / 'test.de'} cannot be read")
    assert f"delete the folder {damaged} and run the workflow again" in message
    (damaged / "test.de/state.json").write_text("{not json")
    with pytest.raises(UserError, match="cannot be read"):
        disk.load_split(damaged / "test.de")


def _submission(tmp_path: Path) -> tuple[Path, Path]:
    """An XTREME folder with one task (XNLI, every language) and its labels."""
    predictions, labels = tmp_path / "predictions", tmp_path / "labels"
    for folder in (predictions, labels):
        (folder / "xnli").mkdir(parents=True)
        for lang in tasks.get("xnli").languages:
            (folder / f"xnli/test-{lang}.tsv").write_text("entailment\nneutral\n")
    return predictions, labels


def test_score_names_a_folder_it_does_not_know(tmp_path, capsys):
    predictions, labels = _submission(tmp_path)
    (predictions / "xnli_old").mkdir()
    with pytest.raises(UserError, match="has a folder xnli_old, which is no task of XTREME"):
        score.score_folder(predictions, labels, "xtreme")
    argv = ["score", "--predictions", str(predictions), "--labels", str(labels)]
    err = _cli([*argv, "--benchmark", "xtreme"], capsys)
    assert "rename or remove it" in err


def test_score_with_nothing_to_score_says_so(tmp_path, capsys):
    predictions, labels = tmp_path / "empty", tmp_path / "labels"
    predictions.mkdir()
    labels.mkdir()
    argv = ["score", "--predictions", str(predictions), "--labels", str(labels)]
    err = _cli([*argv, "--benchmark", "xtreme"], capsys)
    assert "holds no task folder of xtreme" in err and "nothing to score" in err


def test_score_says_which_folders_another_benchmark_scores(tmp_path, capsys):
    predictions, labels = _submission(tmp_path)
    for folder in (predictions, labels):
        (folder / "xcopa").mkdir()
        (folder / "xcopa/test-et.jsonl").write_text('{"label": 0}\n')
    result = score.score_folder(predictions, labels, "xtreme")
    assert set(result) == {"xnli"}
    assert "xcopa is not scored: no task of xtreme (score with --benchmark xtreme-r)" in (
        capsys.readouterr().err
    )
    (tmp_path / "other_labels").mkdir()
    with pytest.raises(UserError, match="labels folder .* has no xnli folder for the predictions"):
        score.score_folder(predictions, tmp_path / "other_labels", "xtreme")


def test_a_local_model_folder_is_accepted_as_hub_id(demo_model, tmp_path):
    config = quickstart()
    config["models"] = {"mine": {"hub_id": str(demo_model)}}
    g = grid.resolve(grid.validate(config, SCHEMA))
    assert not grid.axes.is_demo_model(g, "mine")
    # fetched offline, as a Hub download is: saved into resources/models/<name>
    from xstilts.modeling.fetch import fetch_model
    from xstilts.modeling.model import load_encoder

    fetch_model(str(demo_model), tmp_path / "resources/models/mine")
    encoder, tokenizer = load_encoder(tmp_path / "resources/models/mine")
    assert encoder.config.hidden_size == 64 and tokenizer.pad_token_id is not None
    config["models"] = {"mine": {"hub_id": str(tmp_path / "nothing_here")}}
    with pytest.raises(grid.ConfigError, match="has no config.json"):
        grid.validate(config, SCHEMA)
    config["models"] = {"mine": {"hub_id": "xlm-roberta-large"}}
    with pytest.raises(grid.ConfigError, match="is neither a Hub id .* nor a model folder"):
        grid.validate(config, SCHEMA)


def test_plan_and_cost_on_a_demo_config_show_no_gpu_hours(tmp_path, capsys):
    config = REPO / "config/quickstart.yaml"
    assert cli.main(["cost", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "no GPU-hours are projected" in out and "hours" not in out.split("\n", 1)[1]
    assert cli.main(["plan", "--config", str(config), "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no GPU-hours are projected" in out and "GPU-hours |" not in out
    assert "| train_target" in out


def test_plan_finds_relative_local_folders_in_the_runs_directory(tmp_path, capsys, monkeypatch):
    """data.local's relative folders are the run's (Snakemake's working directory): `plan
    --directory run` from another folder checks them there, as the run will read them."""
    from xstilts.tasks.build import build_demo_local

    run = tmp_path / "run"
    build_demo_local("ccgbank", run / "local/ccg", 100)  # stand-ins in the release formats
    build_demo_local("bucc2018", run / "local/bucc", 100)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["data"]["local"] = {"ccgbank": "local/ccg", "bucc2018": "local/bucc"}
    (tmp_path / "paper.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    argv = ["plan", "--config", "../paper.yaml", "--directory", "../run"]
    assert cli.main([*argv, "--snakefile", str(REPO / "Snakefile")]) == 0
    out = capsys.readouterr().out
    assert "| import_local" in out and "| total" in out
    # a folder that is not there is named before anything is planned
    assert cli.main([*argv[:3], "--directory", "../nowhere"]) == 2
    assert "--directory ../nowhere is not a folder" in capsys.readouterr().err
