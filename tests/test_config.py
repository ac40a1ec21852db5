"""Config validation: the shipped configs pass; each user error is one sentence naming the key."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xstilts import grid, tasks
from xstilts.features import source_paths

from conftest import hub_config

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "src/xstilts/grid/schema.yaml"


def demo():
    return yaml.safe_load((REPO / "config/demo.yaml").read_text())


def paper(local_dirs):
    """The paper config, with CCGbank's and BUCC's directories pointed at stand-ins."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["data"]["local"] |= local_dirs
    return config


# the paper's nine intermediate tasks and seven XTREME targets, in its order (Phang et al. 2020)
PAPER_TASKS = "anli_plus mnli qqp squad_v1 squad_v2 hellaswag cosmosqa commonsenseqa ccg".split()
PAPER_TARGETS = "xnli pawsx udpos panx xquad mlqa tydiqa".split()


def test_shipped_configs_are_valid_and_get_defaults(local_dirs):
    for config, xtreme_r in ((paper(local_dirs), []), (demo(), ["xcopa", "lareqa", "mewslix"])):
        g = grid.resolve(grid.validate(config, SCHEMA))
        assert g.arms == ("baseline", *PAPER_TASKS, "multitask")
        assert g.targets == (*PAPER_TARGETS, *xtreme_r)  # the demo adds XTREME-R's three
        assert sorted(g.config["multitask"]["tasks"]) == sorted(tasks.INTERMEDIATE_TASKS)
    full = grid.resolve(grid.validate(paper(local_dirs), SCHEMA))
    assert full.config["targets"]["udpos"]["epochs"] == 10  # jiant's XTREME scripts
    assert grid.axes.model_spec(full, "xlmr_large") == {
        "hub_id": "FacebookAI/xlm-roberta-large",
        "micro_batch_size": {75: 32, 0: 4},  # a machine setting: examples a pass by GPU GiB
    }
    assert full.config["targets"]["xnli"]["languages"] == list(tasks.get("xnli").languages)
    assert full.config["targets"]["xnli"]["warmup_ratio"] == 0.1  # filled default
    assert full.config["targets"]["xquad"]["max_seq_length"] == 384
    assert full.retrieval_targets == ("bucc2018", "tatoeba")
    assert grid.cells.retrieval_layer(full, "xlmr_large") == 14  # PAPER.md §1.5
    assert (
        grid.cells.retrieval_layer(grid.resolve(grid.validate(demo(), SCHEMA)), "demo_tiny") == 2
    )  # 4 // 2
    assert full.config["retrieval"]["tatoeba"]["languages"] == list(tasks.get("tatoeba").languages)


def test_max_seq_length_defaults_per_task_family():
    config = demo()
    del config["targets"]["xnli"]["max_seq_length"], config["targets"]["tydiqa"]["max_seq_length"]
    config = grid.validate(config, SCHEMA)
    assert config["targets"]["xnli"]["max_seq_length"] == 256  # jiant's default
    assert config["targets"]["tydiqa"]["max_seq_length"] == 384  # QA windows (PAPER.md §1.4a)


def test_the_schemas_task_names_come_from_the_registry():
    """One list of tasks: the schema's enums are filled from the registry when it is read."""
    raw = yaml.safe_load(SCHEMA.read_text())
    assert raw["$defs"]["task_name"]["enum"] == []  # no copy kept in the file
    schema = grid.config.schema()
    assert schema["$defs"]["task_name"]["enum"] == list(tasks.INTERMEDIATE_TASKS)
    assert set(schema["$defs"]["target_name"]["enum"]) == {
        *tasks.TARGET_TASKS,
        *tasks.XTREME_R_TARGETS,
        *tasks.ALTERNATIVE_TARGETS,
    }
    assert set(schema["$defs"]["retrieval_name"]["enum"]) == set(tasks.RETRIEVAL_TASKS)
    # robustness takes the targets with text it may change: pairs and QA, not tagging, XCOPA,
    # or the dual encoders (whose answers are whole sentences or entities)
    assert schema["$defs"]["robust_target"]["enum"] == ["xnli", "pawsx", "xquad", "mlqa", "tydiqa"]
    config = demo()
    config["robustness"]["targets"] = ["udpos"]
    with pytest.raises(grid.ConfigError, match="'robustness.targets.0'"):
        grid.validate(config)
    assert [tasks.role(t) for t in ("mnli", "xnli", "xcopa", "tatoeba", "mlm")] == [
        "intermediate", "target", "target", "retrieval", "internal"
    ]  # fmt: skip
    # each task says its role: the lists are read from the registry, none kept by hand
    assert sorted(tasks.INTERMEDIATE_TASKS) == sorted(PAPER_TASKS)
    assert tasks.TARGET_TASKS == tuple(PAPER_TARGETS)
    assert tasks.XTREME_R_TARGETS == ("xcopa", "lareqa", "mewslix")


@pytest.mark.parametrize(
    ("edit", "key", "words"),
    [
        (
            lambda c: c["intermediate"]["mnli"].update(learning_rate=-1),
            "intermediate.mnli.learning_rate",
            "minimum",
        ),
        (
            lambda c: c["intermediate"]["mnli"].update(batch_size="32x"),
            "intermediate.mnli.batch_size",
            "integer",
        ),
        (lambda c: c["intermediate"].update(mnlii={}), "'intermediate'", "mnlii"),
        (lambda c: c["targets"].update(tatoeba={}), "'targets'", "tatoeba"),
        (
            lambda c: c["targets"]["xnli"].update(languages=["en", "xx"]),
            "targets.xnli.languages",
            "xx",
        ),
        (lambda c: c["targets"]["xnli"].update(lr=1), "targets.xnli", "lr"),
        (
            lambda c: c["models"]["demo_tiny"].update(hub_id="a/b"),
            "models.demo_tiny",
            "exactly one of",
        ),
        (lambda c: c.update(seeds=[]), "'seeds'", "non-empty"),
        (lambda c: c["data"].update(source="s3"), "data.source", "s3"),
        (lambda c: c["multitask"].update(tasks=["mnli"]), "multitask.tasks", "too short"),
        (
            lambda c: c["targets"]["xquad"].update(gradient_accumulation_steps=3),
            "targets.xquad.batch_size",
            "not a multiple",
        ),
        (
            lambda c: (
                c["sequences"].update(orders=[["mnli", "commonsenseqa", "qqp"]])
                or c["intermediate"].pop("commonsenseqa")
            ),
            "sequences.orders",
            "commonsenseqa in mnli-commonsenseqa-qqp is not under intermediate",
        ),
        (lambda c: c["sequences"].update(permute=[["mnli"]]), "sequences.permute.0", "short"),
        (lambda c: c["sequences"].update(targets=["tatoeba"]), "sequences.targets.0", "tatoeba"),
        (
            lambda c: c["targets"].pop("pawsx"),
            "sequences.targets",
            "pawsx is not a target of this grid",
        ),
        (
            lambda c: c["training_length"]["budgets"].update(mnli=["half"]),
            "training_length.budgets.mnli.0",
            "half",
        ),
        (
            lambda c: (
                c["training_length"]["budgets"].update(squad_v2=[10])
                or c["intermediate"].pop("squad_v2")
            ),
            "training_length.budgets.squad_v2",
            "squad_v2 is not under intermediate",
        ),
        (
            lambda c: c["training_length"]["curve"].update(languages=["en", "ja"]),
            "training_length.curve.languages",
            "ja is not a language of xnli",
        ),
        (
            lambda c: c["translated"]["mnli_en_de_sw"].update(languages=["en", "ja"]),
            "translated.mnli_en_de_sw.languages",
            "mnli has no training data in ja",
        ),
        (
            lambda c: c["translated"].update(x={"task": "qqp", "languages": ["de"]}),
            "translated.x",
            "qqp has no translated training data",
        ),
        (
            lambda c: c["translated"].update(qqp={"task": "mnli", "languages": ["de"]}),
            "translated.qqp",
            "already the name of a task or arm",
        ),
        (
            lambda c: c["translated"].update({"mnli-de": {"task": "mnli", "languages": ["de"]}}),
            "translated",
            "mnli-de",
        ),
        (
            lambda c: (
                c["translated"]["mnli_en_de_sw"].update(targets=["tydiqa", "xquad"])
                or c["targets"].pop("xquad")
            ),
            "translated.mnli_en_de_sw.targets",
            "xquad is not a target of this grid",
        ),
    ],
)
def test_config_errors_name_the_key(edit, key, words):
    config = demo()
    edit(config)
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, SCHEMA)
    message = str(err.value)
    assert key in message and words in message
    assert "\n" not in message


def test_ccgbank_must_be_given_when_ccg_is_in_the_grid(local_dirs, tmp_path):
    config = paper(local_dirs)
    del config["data"]["local"]["ccgbank"]
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, SCHEMA)
    message = str(err.value)
    assert (
        re.search(r"data\.local\.ccgbank \(.*\) is not set", message)
        and "licence-restricted" in message
    )
    assert "remove ccg from intermediate and multitask.tasks" in message
    # a directory without the files
    (tmp_path / "ccg").mkdir()
    (tmp_path / "ccg" / "train.tsv").write_text("")
    config["data"]["local"]["ccgbank"] = str(tmp_path / "ccg")
    with pytest.raises(grid.ConfigError, match=r"has no tags_to_id\.json"):
        grid.validate(config, SCHEMA)
    # without ccg in the grid, no CCGbank is needed
    del config["intermediate"]["ccg"]
    config["multitask"]["tasks"].remove("ccg")
    grid.validate(config, SCHEMA)


def test_bucc_release_directory_or_the_hub_copy(local_dirs, tmp_path):
    config = paper(local_dirs)
    del config["data"]["local"]["bucc2018"]
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, SCHEMA)
    message = str(err.value)
    assert re.search(r"data\.local\.bucc2018 \(.*\) is not set", message)
    assert "replace retrieval.bucc2018 by retrieval.bucc2018_mteb" in message
    config["data"]["local"]["bucc2018"] = str(tmp_path)  # empty: names the first missing file
    with pytest.raises(grid.ConfigError, match=r"has no de-en\.dev\.de"):
        grid.validate(config, SCHEMA)
    config["retrieval"]["bucc2018_mteb"] = config["retrieval"]["bucc2018"]
    with pytest.raises(grid.ConfigError, match="keep one"):
        grid.validate(config, SCHEMA)
    del config["retrieval"]["bucc2018"]  # the Hub copy needs no local directory
    assert grid.resolve(grid.validate(config, SCHEMA)).retrieval_targets == (
        "tatoeba",
        "bucc2018_mteb",
    )
    config["models"]["xlmr_large"]["retrieval_layer"] = 30
    layer = grid.cells.retrieval_layer(grid.resolve(grid.validate(config, SCHEMA)), "xlmr_large")
    assert layer == 30  # checked against the model's depth when the encoder is loaded


def test_validation_does_not_modify_the_input():
    config = demo()
    before = copy.deepcopy(config)
    grid.validate(config, SCHEMA)
    assert config == before


def test_defaults_are_filled_before_the_checks_which_change_nothing():
    from xstilts.grid import checks, defaults

    config = hub_config(
        targets={"xnli": {"epochs": 2, "batch_size": 32, "languages": ["sw", "en", "de"]}},
        translated={"mnli_mt": {"task": "mnli", "languages": ["sw", "en", "de"]}},
    )
    filled = defaults.filled(grid.validate(config, SCHEMA, check_local=False))
    # the task's order (XNLI's: ar bg de el en ..., as the configs of facebook/xnli), and an
    # arm's with English first
    assert filled["targets"]["xnli"]["languages"] == ["de", "en", "sw"]
    assert filled["translated"]["mnli_mt"]["languages"] == ["en", "de", "sw"]
    assert filled["translated"]["mnli_mt"]["targets"] == ["xnli"]  # default: every target
    assert filled["robustness"]["arms"] == ["baseline", "mnli"]  # default: the main arms
    before = copy.deepcopy(filled)
    checks.check(filled)
    assert filled == before
    # a language the checks refuse is kept (after the known ones) for them to name
    config["targets"]["xnli"]["languages"] = ["xx", "de"]
    schema_valid = grid.validate(hub_config(), SCHEMA, check_local=False) | {
        "targets": config["targets"]
    }
    assert defaults.filled(schema_valid)["targets"]["xnli"]["languages"] == ["de", "xx"]
    with pytest.raises(grid.ConfigError, match="targets.xnli.languages': xx is not"):
        grid.validate(config, SCHEMA, check_local=False)


def test_snakemake_reports_a_config_error_in_one_line(tmp_path):
    config = demo()
    config["intermediate"]["mnli"]["learning_rate"] = "fast"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "-s",
            str(REPO / "Snakefile"),
            "--configfile",
            "bad.yaml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("xstilts:")]
    assert len(errors) == 1, proc.stderr
    assert "intermediate.mnli.learning_rate" in errors[0]
    assert "Traceback" not in proc.stderr


def test_xtreme_r_adds_its_languages_to_the_xtreme_tasks_unless_a_list_says_otherwise(
    local_dirs, tmp_path
):
    config = paper(local_dirs)  # benchmarks: [xtreme]
    g = grid.resolve(grid.validate(config, SCHEMA))
    assert g.config["targets"]["panx"]["languages"] == list(tasks.get("panx").languages)
    assert (
        grid.axes.more_languages(g, "panx") == []
        and grid.axes.test_languages(g, "xquad")[-1] == "zh"
    )
    # a grid without XTREME-R's languages prepares exactly what it did before (nothing reruns)
    assert "more_languages" not in grid.cells.prepare_params(g, "xlmr_large", "panx")
    config["benchmarks"] = ["xtreme", "xtreme-r"]
    # UD-POS's additions come from the UD v2.7 release files: named before anything runs
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, SCHEMA)
    message = str(err.value)
    assert re.search(r"data\.local\.ud_v27 \(.*\) is not set", message)
    assert "leave lt pl uk wo ro out of targets.udpos.languages" in message
    config["data"]["local"]["ud_v27"] = str(tmp_path)
    with pytest.raises(grid.ConfigError, match=r"has no UD_Lithuanian-\*/lt_\*-ud-test\.conllu"):
        grid.validate(config, SCHEMA)
    for name in ("Lithuanian-HSE", "Polish-PDB", "Ukrainian-IU", "Wolof-WTB", "Romanian-RRT"):
        (tmp_path / f"UD_{name}").mkdir()
        code = {"Li": "lt", "Po": "pl", "Uk": "uk", "Wo": "wo", "Ro": "ro"}[name[:2]]
        (tmp_path / f"UD_{name}" / f"{code}_x-ud-test.conllu").write_text("")
    g = grid.resolve(grid.validate(config, SCHEMA))
    assert g.config["targets"]["panx"]["languages"][-8:] == "qu pl uk az lt pa gu ro".split()
    assert g.config["targets"]["xquad"]["languages"][-1] == "ro"
    assert g.config["retrieval"]["tatoeba"]["languages"][-5:] == "az lt pl uk ro".split()
    assert grid.axes.more_languages(g, "udpos") == ["lt", "pl", "uk", "wo", "ro"]
    assert grid.cells.prepare_params(g, "xlmr_large", "xquad")["more_languages"] == ["ro"]
    assert grid.axes.more_languages(g, "xnli") == []  # XNLI has the same languages in both
    # a list of languages is kept as written (in the task's order), extras included or not
    config["targets"]["udpos"]["languages"] = ["wo", "de"]
    del config["data"]["local"]["ud_v27"]
    with pytest.raises(grid.ConfigError, match="leave wo out of targets.udpos.languages"):
        grid.validate(config, SCHEMA)
    config["targets"]["udpos"]["languages"] = ["de", "en"]
    assert grid.axes.more_languages(grid.resolve(grid.validate(config, SCHEMA)), "udpos") == []


def test_a_translated_squad_arm_needs_xtremes_translate_train_files(tmp_path):
    config = hub_config(
        intermediate={"squad_v1": {"epochs": 2, "batch_size": 16}},
        targets={"xquad": {"epochs": 2, "batch_size": 16, "languages": ["en", "de", "hi"]}},
        translated={"squad_de_hi": {"task": "squad_v1", "languages": ["hi", "en", "de"]}},
    )
    # XTREME's translations are files the user downloads: named before anything runs
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(copy.deepcopy(config), SCHEMA)
    message = str(err.value)
    assert re.search(r"data\.local\.squad_translate_train \(.*\) is not set", message)
    assert "leave de hi out of the languages of the translated arms of squad_v1" in message
    config["data"]["local"] = {"squad_translate_train": str(tmp_path)}
    (tmp_path / "squad.translate.train.en-de.json").write_text("{}")
    with pytest.raises(grid.ConfigError, match=r"has no squad\.translate\.train\.en-hi\.json"):
        grid.validate(copy.deepcopy(config), SCHEMA)
    (tmp_path / "squad.translate.train.en-hi.json").write_text("{}")
    g = grid.resolve(grid.validate(config, SCHEMA))
    assert grid.cells.intermediate_cell(g, "xlmr_large", "squad_de_hi", 1)["languages"] == [
        "en",
        "de",
        "hi",
    ]
    assert grid.axes.seen_languages(g, "squad_de_hi") == ["en", "de", "hi"]
    # read by the arm's data preparation, imported by the run (fetch stages Hub data only)
    hindi = "resources/datasets/local/squad_translate_train/en-hi/train.parquet"
    assert source_paths("squad_v1", "hub", "hi") == [hindi]
    assert hindi not in grid.files.resource_files(g)
    # Swahili has no translate-train SQuAD (XTREME translated it into XQuAD's languages)
    config["translated"]["squad_de_hi"]["languages"] = ["en", "sw"]
    with pytest.raises(grid.ConfigError, match="squad_v1 has no training data in sw"):
        grid.validate(config, SCHEMA)
