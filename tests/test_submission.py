"""Gold labels and submissions in the XTREME layout; the arm per task chosen on validation."""

from __future__ import annotations

import json
import zipfile

import datasets
import pytest

from xstilts.errors import UserError
from xstilts.summary import submission


def test_qa_labels_are_squad_json_that_evaluate_py_walks(tmp_path):
    features = tmp_path / "features"
    datasets.Dataset.from_dict(
        {"example_id": ["q1", "q1", "q2"], "answer_texts": [["Paris"], ["Paris"], ["a", "b"]]}
    ).save_to_disk(str(features / "test.de"))
    submission.write_labels("xquad", features, ["de"], tmp_path / "labels")
    doc = json.loads((tmp_path / "labels/xquad/test-de.json").read_text())
    qas = [qa for article in doc["data"] for p in article["paragraphs"] for qa in p["qas"]]
    # one entry per question (windows of one question collapse), every gold answer kept
    assert qas == [
        {"id": "q1", "answers": [{"text": "Paris"}]},
        {"id": "q2", "answers": [{"text": "a"}, {"text": "b"}]},
    ]


def test_classification_labels_are_one_per_line_and_missing_features_are_an_error(tmp_path):
    features = tmp_path / "features"
    datasets.Dataset.from_dict({"label": [2, 0]}).save_to_disk(str(features / "test.fr"))
    submission.write_labels("xnli", features, ["fr"], tmp_path / "labels")
    assert (tmp_path / "labels/xnli/test-fr.tsv").read_text() == "contradiction\nentailment\n"
    with pytest.raises(UserError, match=r"features .*test\.sw are missing.*delete"):
        submission.write_labels("xnli", features, ["fr", "sw"], tmp_path / "labels")


def test_validation_scores_come_from_the_training_summary_or_buccs_dev_set():
    # QA: the mean of EM and F1 on the English validation set
    doc = {"validation": {"xquad": {"exact_match": 40.0, "f1": 60.0}}}
    assert submission.validation_score("xquad", doc) == 50.0
    # BUCC: dev F1 averaged over the languages
    doc = {"validation": {"de": {"f1": 80.0}, "fr": {"f1": 70.0}}}
    assert submission.validation_score("bucc2018", doc) == 75.0
    assert submission.validation_score("tatoeba", {"validation": {}}) is None


def test_the_best_arm_per_task_is_chosen_on_validation_never_on_test():
    chosen = submission.choose_arms(
        {
            "xnli": {"baseline": 70.0, "mnli": 80.0, "qqp": 80.0},  # tie: the first in order
            "bucc2018": {"baseline": 60.0, "mnli": 55.0, "qqp": 65.0},
            "tatoeba": {"baseline": None, "mnli": None, "qqp": None},  # no dev set in XTREME
        }
    )
    assert chosen["xnli"] == {"arm": "mnli", "validation": 80.0, "basis": "validation"}
    assert chosen["bucc2018"]["arm"] == "qqp"
    assert chosen["tatoeba"] == {"arm": "qqp", "validation": None, "basis": "as bucc2018"}
    alone = submission.choose_arms({"tatoeba": {"baseline": None, "mnli": None}})
    assert alone["tatoeba"]["arm"] == "baseline"
    # TyDiQA-GoldP has no English validation split: BUCC's choice says nothing about it
    tydiqa = submission.choose_arms(
        {"bucc2018": {"baseline": 60.0, "qqp": 65.0}, "tydiqa": {"baseline": None, "qqp": None}}
    )
    assert tydiqa["tydiqa"] == {"arm": "baseline", "validation": None, "basis": "no validation set"}


def test_a_submission_folder_and_zip_hold_every_task_under_its_xtreme_name(tmp_path):
    folders = {}
    for target, name in (("xnli", "test-de.tsv"), ("bucc2018_mteb", "test-de.tsv")):
        folders[target] = tmp_path / "preds" / target
        folders[target].mkdir(parents=True)
        (folders[target] / name).write_text(f"{target}\n")
    out, zipped = tmp_path / "sub/best", tmp_path / "sub/best.zip"
    submission.assemble(folders, out, zipped, {"tasks": {"xnli": {"arm": "mnli"}}})
    assert (out / "bucc2018/test-de.tsv").read_text() == "bucc2018_mteb\n"  # XTREME's name
    with zipfile.ZipFile(zipped) as z:
        assert {"xnli/test-de.tsv", "bucc2018/test-de.tsv", "manifest.json"} <= set(z.namelist())
    folders["bucc2018"] = folders["bucc2018_mteb"]
    with pytest.raises(UserError, match="both fill the submission folder bucc2018"):
        submission.assemble(folders, out, zipped, {})


def test_a_submission_assembled_again_is_the_same_zip_byte_for_byte(tmp_path):
    """The zip holds what shutil.make_archive would (the same names), and assembling it again
    from the same predictions later gives the same bytes: no entry carries its file's time."""
    import os
    import shutil

    folder = tmp_path / "preds/xnli"
    folder.mkdir(parents=True)
    (folder / "test-de.tsv").write_text("entailment\n")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    submission.assemble({"xnli": folder}, tmp_path / "sub", first, {"tasks": {}})
    os.utime(folder / "test-de.tsv", (86_400 * 365 * 30, 86_400 * 365 * 30))  # a later copy
    submission.assemble({"xnli": folder}, tmp_path / "sub", second, {"tasks": {}})
    assert first.read_bytes() == second.read_bytes()
    reference = shutil.make_archive(str(tmp_path / "ref"), "zip", root_dir=tmp_path / "sub")
    with zipfile.ZipFile(first) as ours, zipfile.ZipFile(reference) as theirs:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())
        assert ours.read("xnli/test-de.tsv") == b"entailment\n"
