"""A cell's training settings: one frozen, typed object built once from its params, with the
schema as the only place a default is written, and a run's identity unchanged by it."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json

import pytest
import yaml

from xstilts import grid
from xstilts.grid import paths
from xstilts.settings import (
    OPTIONAL_KEYS,
    SCHEMA,
    TRAINING_KEYS,
    BestCheckpoint,
    Curve,
    Machine,
    Training,
)

from conftest import REPO

# ---- the schema is the only place a default is written ----

# every name a training setting goes by, nested ones included
SETTING_NAMES = {
    f.name for cls in (Training, BestCheckpoint, Curve) for f in dataclasses.fields(cls)
} - {"source"}


def _defaults_supplied(source: str) -> list[str]:
    """The ``.get("<setting>", <default>)`` calls of ``source``: a default other than None
    supplied for a training setting."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "setdefault", "pop")
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in SETTING_NAMES
        ):
            continue
        default = node.args[1]
        if not (isinstance(default, ast.Constant) and default.value is None):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_the_scan_finds_a_default_supplied_in_code():
    code = 'lr = s.get("warmup_ratio", 0.1)\nn = s.get("examples", 500)\nx = s.get("examples_cap")'
    assert _defaults_supplied(code) == [
        "line 1: s.get('warmup_ratio', 0.1)",
        "line 2: s.get('examples', 500)",
    ]


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "src/xstilts/training").glob("*.py"))
    + [REPO / "src/xstilts/cost.py", REPO / "src/xstilts/settings.py"],
    ids=lambda p: p.name,
)
def test_no_code_supplies_a_training_default(path):
    assert _defaults_supplied(path.read_text(encoding="utf-8")) == []


def test_every_training_setting_has_its_default_in_the_schema():
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    training = schema["$defs"]["training"]["properties"]
    for key in TRAINING_KEYS:  # what every training cell carries
        assert "default" in training[key], key
    assert schema["properties"]["precision"]["default"] == "bf16"
    # model selection: ``every`` is required (0 = off), the rest have the schema's defaults
    nested = training["best_checkpoint"]
    assert nested["required"] == ["every"]
    for name in ("examples", "patience"):
        assert "default" in nested["properties"][name], name
    assert {f.name for f in dataclasses.fields(BestCheckpoint)} == {"every", "examples", "patience"}
    # every field is carried by a cell: always, when on, or beside ``training`` (precision)
    assert set(TRAINING_KEYS) | set(OPTIONAL_KEYS) | {"precision", "source"} == {
        f.name for f in dataclasses.fields(Training)
    }


def test_the_schema_helper_fills_the_schemas_defaults():
    settings = Training.from_schema(learning_rate=1e-3, best_checkpoint={"every": 10})
    # the values grid/schema.yaml writes: lr given, batch 32, warm-up 0.1, AdamW eps 1e-8, ...
    assert (settings.learning_rate, settings.batch_size, settings.warmup_ratio) == (1e-3, 32, 0.1)
    assert (settings.weight_decay, settings.adam_epsilon, settings.max_grad_norm) == (
        0.01,
        1e-8,
        1.0,
    )
    assert (settings.max_steps, settings.epochs, settings.precision) == (0, 3, "bf16")
    assert settings.best_checkpoint == BestCheckpoint(every=10, examples=500, patience=0)
    # an optional setting left out is off, never a number
    assert settings.examples_cap is settings.fixed_probabilities is settings.task_sampling is None
    assert Training.from_schema().best_checkpoint is None


def test_settings_need_every_key_a_cell_carries():
    params = Training.from_schema().params()
    del params["warmup_ratio"]
    with pytest.raises(ValueError, match="warmup_ratio"):
        Training.from_params(params)
    with pytest.raises(ValueError, match="unknown training settings"):
        Training.from_params(Training.from_schema().params() | {"warmpu_ratio": 0.1})


def test_settings_are_frozen_and_change_by_a_copy():
    settings = Training.from_schema(max_steps=6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_steps = 7
    changed = settings | {"max_steps": 7, "fixed_probabilities": {"mlm": 0.25}}
    assert (settings.max_steps, changed.max_steps) == (6, 7)
    assert dict(changed.fixed_probabilities) == {"mlm": 0.25}
    assert changed.params()["max_steps"] == 7 and "fixed_probabilities" not in settings.params()


# ---- every cell of the shipped configs, read back ----


def _grid(name: str) -> grid.Grid:
    config = yaml.safe_load((REPO / "config" / name).read_text())
    return grid.resolve(grid.validate(config, check_local=False))


def _training_cells(g: grid.Grid):
    for model in g.models:
        for seed in g.seeds:
            for arm in g.intermediate_arms:
                yield grid.cells.intermediate_cell(g, model, arm, seed)
            for arm, target in g.target_cells:
                yield grid.cells.target_cell(g, model, arm, seed, target)


@pytest.mark.parametrize("config", ["quickstart.yaml", "demo.yaml", "config.yaml"])
def test_every_training_cell_reads_as_typed_settings_and_back(config):
    cells = list(_training_cells(_grid(config)))
    assert cells
    for cell in cells:
        settings = Training.from_cell(cell)
        # the params as the cell gives them: the run's fingerprint is unchanged
        assert settings.params() == cell["training"] | {"precision": cell["precision"]}
        assert settings.learning_rate == cell["training"]["learning_rate"]
        select = cell["training"].get("best_checkpoint")
        if select is None:
            assert settings.best_checkpoint is None
        else:
            assert dataclasses.asdict(settings.best_checkpoint) == select
        if "curve" in cell:
            assert Curve.from_params(cell["curve"]).params() == cell["curve"]


# ---- a run's identity: the same for a cell as before the typed settings ----


def _old_fingerprint(encoder_dir, features, settings: dict, seed, curve=None) -> str:
    """training/checkpoints.py ``fingerprint`` before the typed settings (as of commit afadaeb),
    for an encoder folder without weights files, the "train" split and no heads_from."""
    identity = [str(encoder_dir), [], {n: str(p) for n, p in features.items()}, settings, seed]
    if curve:
        identity.append(curve)
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


# two cells of the paper grid's params as an older xstilts wrote them (the multi-task arm's
# examples_cap null, not left out) and a budget arm's target cell with a learning curve
OLD_CELLS = [
    {
        "arm": "multitask",
        "model": "xlmr_large",
        "phase": "intermediate",
        "precision": "bf16",
        "seed": 1,
        "tasks": ["anli_plus", "mnli"],
        "training": {
            "adam_epsilon": 1e-08,
            "batch_size": 32,
            "best_checkpoint": {"every": 1000, "examples": 500, "patience": 30},
            "epochs": 3,
            "examples_cap": None,
            "gradient_accumulation_steps": 1,
            "learning_rate": 1e-05,
            "max_grad_norm": 1.0,
            "max_steps": 0,
            "warmup_ratio": 0.1,
            "weight_decay": 0.01,
        },
    },
    {
        "arm": "mnli@1000",
        "model": "demo_tiny",
        "phase": "target",
        "precision": "fp32",
        "seed": 1,
        "target": "xnli",
        "tasks": ["xnli"],
        "curve": {"every": 5, "languages": ["en", "de"], "max_examples": 40},
        "training": {
            "adam_epsilon": 1e-08,
            "batch_size": 32,
            "epochs": 2,
            "gradient_accumulation_steps": 4,
            "learning_rate": 2e-05,
            "max_grad_norm": 1.0,
            "max_steps": 0,
            "task_sampling": "per_step",
            "warmup_ratio": 0.1,
            "weight_decay": 0.01,
            "fixed_probabilities": {"mlm": 0.25},
        },
    },
]


@pytest.mark.parametrize("cell", OLD_CELLS, ids=lambda c: c["arm"])
def test_a_cells_run_keeps_its_fingerprint(cell, tmp_path):
    pytest.importorskip("torch")
    from xstilts.training.checkpoints import fingerprint

    features = {t: f"results/features/m/{t}" for t in cell["tasks"]}
    old_settings = cell["training"] | {"precision": cell["precision"]}
    old = _old_fingerprint(tmp_path, features, old_settings, cell["seed"], cell.get("curve"))
    settings, curve = Training.from_cell(cell), Curve.from_params(cell.get("curve"))
    assert fingerprint(tmp_path, features, settings, cell["seed"], curve=curve) == old
    # and a setting that differs is another run
    other = settings | {"learning_rate": 3e-5}
    assert fingerprint(tmp_path, features, other, cell["seed"], curve=curve) != old


def test_a_sharded_jobs_arguments_survive_their_json_file():
    pytest.importorskip("torch")
    from xstilts.training import sharding

    arguments = {
        "settings": Training.from_cell(OLD_CELLS[1]),
        "machine": Machine(compile=True, buckets=4, micro_batch_size={"75": 32, "0": 4}),
        "curve": Curve.from_params(OLD_CELLS[1]["curve"]),
        "seed": 1,
    }
    text = json.dumps(sharding.to_json(arguments))
    back = sharding.from_json(json.loads(text))
    assert back == arguments
    assert back["settings"].params() == arguments["settings"].params()


# ---- the job's entry point: paths parsed by their patterns ----


def test_values_inverts_fill():
    path = paths.fill(paths.LANGUAGE_FEATURES, model="xlmr_large", task="squad_v1", lang="zh")
    assert path == "results/features/xlmr_large/by_language/squad_v1.zh"
    assert paths.values(paths.LANGUAGE_FEATURES, path) == {
        "model": "xlmr_large",
        "task": "squad_v1",
        "lang": "zh",
    }
    assert paths.values(paths.TARGET_MODEL, "results/target/m/mnli@1000/seed2/xnli/model") == {
        "model": "m",
        "arm": "mnli@1000",
        "seed": "2",
        "target": "xnli",
    }
    with pytest.raises(ValueError, match="not a path of the pattern"):
        paths.values(paths.TARGET_MODEL, "results/intermediate/m/mnli/seed1/model")


def test_the_tensorboard_folder_is_the_models_under_results_tensorboard():
    pytest.importorskip("torch")
    from xstilts.training.entry import tensorboard_dir

    # results/<phase>/<cell>/model → results/tensorboard/<phase>/<cell>, as before
    assert (
        tensorboard_dir({"phase": "intermediate"}, "results/intermediate/m/mnli-qqp/seed1/model")
        == "results/tensorboard/intermediate/m/mnli-qqp/seed1"
    )
    assert (
        tensorboard_dir({"phase": "target"}, "results/target/m/baseline/seed3/xnli/model")
        == "results/tensorboard/target/m/baseline/seed3/xnli"
    )


def test_training_sets_by_language_come_from_the_pattern():
    pytest.importorskip("torch")
    from xstilts.training.entry import train_sets

    folders = [f"results/features/m/by_language/mnli.{lang}" for lang in ("de", "sw")]
    features = {"mnli": "results/features/m/mnli"}
    # a translated arm with English: English first, then the translations
    cell = {"tasks": ["mnli"], "languages": ["en", "de", "sw"]}
    assert train_sets(cell, features, folders) == {"mnli": [features["mnli"], *folders]}
    cell = {"tasks": ["mnli"], "languages": ["de", "sw"]}  # translate-train only
    assert train_sets(cell, features, folders) == {"mnli": folders}
    # an mlm arm: the text by language is a task of its own
    text = ["results/features/m/by_language/mlm.de"]
    assert train_sets({"tasks": ["mnli"]}, features, text) == {"mlm": text}
    assert train_sets({"tasks": ["mnli"]}, features, []) is None


# ---- the job's script, run as Snakemake runs it ----

JOB = """
import json, runpy, sys

class Named(dict):  # Snakemake's named lists: items and attributes
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as missing:
            raise AttributeError(name) from missing

a = json.loads(sys.argv[1])
snakemake = Named(
    params=Named(cell=a["cell"], checkpoint_dir=a["checkpoint_dir"]),
    input=Named(encoder=a["encoder"], features=[a["features"]]),
    output=Named(model=a["model"]),
    resources=Named(checkpoint_minutes=30),
    wildcards=Named(model="demo_tiny"),
    config=a["config"], log=[a["log"]], threads=1,
)
runpy.run_path(a["script"], init_globals={"snakemake": snakemake})
"""


def test_the_train_script_trains_its_cell_with_the_cells_settings(
    demo_model, demo_workdir, tmp_path
):
    """workflow/scripts/train.py as a train_target job: the cell's settings reach the run (its
    steps, its fingerprint), the TensorBoard folder is the model's under results/tensorboard/."""
    import subprocess
    import sys

    from xstilts.training.checkpoints import fingerprint

    training = Training.from_schema(learning_rate=1e-3, batch_size=8, max_steps=3)
    cell = {
        "phase": "target",
        "model": "demo_tiny",
        "arm": "baseline",
        "seed": 2,
        "target": "pawsx",
        "tasks": ["pawsx"],
        "precision": "fp32",
        "training": {k: v for k, v in training.params().items() if k != "precision"},
    }
    model = "results/target/demo_tiny/baseline/seed2/pawsx/model"
    features = str(demo_workdir / "features/pawsx")
    args = {
        "cell": grid.canonical(cell),
        "checkpoint_dir": "results/checkpoints/target/demo_tiny/baseline/seed2/pawsx",
        "encoder": str(demo_model),
        "features": features,
        "model": model,
        "config": yaml.safe_load((REPO / "config/quickstart.yaml").read_text()),
        "log": str(tmp_path / "train.log"),
        "script": str(REPO / "workflow/scripts/train.py"),
    }
    script = tmp_path / "job.py"
    script.write_text(JOB)
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (done.stderr, (tmp_path / "train.log").read_text())
    summary = json.loads((tmp_path / model / "train_summary.json").read_text())
    assert summary["steps"] == 3 and summary["seed"] == 2
    expected = fingerprint(demo_model, {"pawsx": features}, Training.from_cell(cell), 2)
    assert summary["fingerprint"] == expected
    events = list(
        (tmp_path / "results/tensorboard/target/demo_tiny/baseline/seed2/pawsx").iterdir()
    )
    assert [p.name.startswith("events.out.tfevents.") for p in events] == [True]
