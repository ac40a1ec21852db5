"""config/config.yaml writes jiant's settings once (a YAML anchor) and merges them into every
task (``<<: *jiant``): each task still reads as the settings jiant runs it with, a merged
mapping is a mapping of its own, and a key written twice is still an error."""

from __future__ import annotations

import pytest

from xstilts import grid
from xstilts.grid.config import check_duplicate_keys

from conftest import REPO

PAPER = REPO / "config/config.yaml"
SELECTION = {"every": 1000, "examples": 500, "patience": 30}  # e_run_models.sh (PAPER.md §1.4a)
# jiant's "simple" API defaults for the intermediate phase (PAPER.md §1.4b): lr 1e-5, 3 epochs,
# max length 256, effective batch 32; QA tasks take the XTREME QA batch and length (§1.4a)
INTERMEDIATE = {"learning_rate": 1e-5, "batch_size": 32, "epochs": 3, "max_seq_length": 256}
QA = {"batch_size": 16, "max_seq_length": 384}
# jiant's XTREME benchmark scripts (PAPER.md §1.4a): epochs per target, QA batch 4x4 at 384
TARGET_EPOCHS = {"xnli": 2, "pawsx": 5, "udpos": 10, "panx": 10, "xquad": 2, "mlqa": 2, "tydiqa": 2}


def test_every_task_reads_as_the_settings_jiant_runs_it_with():
    config = grid.read_config(PAPER)
    for task, settings in config["intermediate"].items():
        expected = INTERMEDIATE | (QA if task.startswith("squad") else {})
        assert settings == expected | {"best_checkpoint": SELECTION}, task
    for target, epochs in TARGET_EPOCHS.items():
        expected = INTERMEDIATE | (QA if target in ("xquad", "mlqa", "tydiqa") else {})
        assert config["targets"][target] == expected | {
            "epochs": epochs,
            "best_checkpoint": SELECTION,
        }
    assert set(config["targets"]) == set(TARGET_EPOCHS)
    assert config["multitask"]["best_checkpoint"] == SELECTION


def test_a_merged_task_is_a_mapping_of_its_own():
    """Checks fill languages into a target's mapping: that must not reach the others."""
    config = grid.read_config(PAPER)
    config["targets"]["xnli"]["languages"] = ["en"]
    config["intermediate"]["mnli"]["epochs"] = 1
    assert "languages" not in config["targets"]["pawsx"]
    assert config["intermediate"]["anli_plus"]["epochs"] == 3
    assert config["intermediate"]["qqp"]["epochs"] == 3


def test_merge_keys_pass_the_duplicate_check_and_a_repeated_key_does_not(tmp_path):
    check_duplicate_keys(PAPER)  # no error
    merged = tmp_path / "merged.yaml"
    merged.write_text("a: &x {b: 1, c: 2}\nd: {<<: *x, b: 3}\n")
    check_duplicate_keys(merged)
    assert grid.read_config(merged)["d"] == {"b": 3, "c": 2}
    repeated = tmp_path / "repeated.yaml"
    repeated.write_text("a: &x {b: 1}\nd:\n  <<: *x\n  b: 3\n  b: 4\n")
    with pytest.raises(grid.ConfigError, match="repeats key 'b' at line 5 \\(first at line 4\\)"):
        check_duplicate_keys(repeated)
    with pytest.raises(grid.ConfigError, match="repeats key 'b' at line 5"):
        grid.read_config(repeated)
