"""Aggregation of hand-written score files: long table, task scores, arm × target, gains.

The score files follow the format evaluate.evaluate_target writes (task, metrics, avg_metrics,
expected_languages, languages {lang: {metric: value}}, cell). Every expected number is worked
out by hand in the comment next to it; none comes from the code under test.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import matplotlib.figure
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from xstilts import grid as xgrid
from xstilts.summary.aggregate import summarize
from xstilts.summary.bootstrap import bootstrap_gains
from xstilts.summary.read import read_scores, read_validation, task_scores
from xstilts.summary.render import latex, markdown
from xstilts.summary.tables import (
    arm_target_std,
    arm_target_table,
    best_table,
    gains_by_family,
    gains_by_language,
    gains_table,
    metric_label,
    metric_table,
    xtreme_label,
)

LONG_COLUMNS = ["model", "arm", "seed", "target", "language", "metric", "value"]

# Expected languages of the two targets in these files (a subset of the real ones keeps the
# arithmetic small; the aggregation reads them from the files).
EXPECTED = {"xnli": ["en", "de", "fr"], "pawsx": ["en", "de"]}


def write_score(
    directory: Path,
    model: str,
    arm: str,
    seed: int,
    task: str,
    languages: dict[str, dict[str, float]],
    expected: list[str],
    avg_metrics: tuple[str, ...] = ("accuracy",),
    metrics: tuple[str, ...] | None = None,
    validation: float | None = None,
) -> Path:
    """One score file as evaluate_target writes it (``validation``: the English validation
    score training logged, under the task's name)."""
    doc = {
        "task": task,
        "metrics": list(metrics or avg_metrics),
        "avg_metrics": list(avg_metrics),
        "expected_languages": list(expected),
        "languages": languages,
        "cell": {
            "model": model,
            "arm": arm,
            "seed": seed,
            "target": task,
            "languages": list(languages),
            "precision": "bf16",
        },
    }
    if validation is not None:
        doc["validation"] = {task: {m: validation for m in avg_metrics}}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model}__{arm}__seed{seed}__{task}.json"
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def acc(**per_lang: float) -> dict[str, dict[str, float]]:
    return {lang: {"accuracy": value} for lang, value in per_lang.items()}


# Grid of model "m": (arm, seed) -> target -> language -> accuracy.
#   baseline  s1  xnli  en 80 de 70 fr 60 -> (80+70+60)/3 = 70      pawsx en 90 de 80 -> 85
#   baseline  s2  xnli  en 82 de 72 fr 62 -> (82+72+62)/3 = 72      pawsx en 88 de 78 -> 83
#   anli_plus s1  xnli  en 84 de 72 (fr missing) -> (84+72)/2 = 78   pawsx en 92 de 84 -> 88
#   anli_plus s2  xnli  en 85 de 75 fr 65 -> (85+75+65)/3 = 75      pawsx en 91 de 83 -> 87
GRID = {
    ("baseline", 1): {"xnli": acc(en=80, de=70, fr=60), "pawsx": acc(en=90, de=80)},
    ("baseline", 2): {"xnli": acc(en=82, de=72, fr=62), "pawsx": acc(en=88, de=78)},
    ("anli_plus", 1): {"xnli": acc(en=84, de=72), "pawsx": acc(en=92, de=84)},
    ("anli_plus", 2): {"xnli": acc(en=85, de=75, fr=65), "pawsx": acc(en=91, de=83)},
}


def write_grid(directory: Path, grid=GRID, model: str = "m") -> list[Path]:
    return [
        write_score(directory, model, arm, seed, task, langs, EXPECTED[task])
        for (arm, seed), targets in grid.items()
        for task, langs in targets.items()
    ]


@pytest.fixture
def grid_files(tmp_path) -> list[Path]:
    return write_grid(tmp_path / "scores")


@pytest.fixture
def grid_table(grid_files) -> pd.DataFrame:
    return arm_target_table(task_scores(*read_scores(grid_files)))


def one(df: pd.DataFrame, **keys) -> pd.Series:
    """The single row of ``df`` matching ``keys``."""
    mask = pd.Series(True, index=df.index)
    for k, v in keys.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, f"{len(rows)} rows for {keys}"
    return rows.iloc[0]


# ---- read_scores ----------------------------------------------------------------------------


def test_read_scores_long_table(tmp_path):
    path = write_score(
        tmp_path,
        "xlmr",
        "baseline",
        3,
        "xnli",
        {"en": {"accuracy": 81.5}, "de": {"accuracy": 74.25}},
        ["en", "de", "fr"],
    )
    long, meta = read_scores([path])
    assert list(long.columns) == LONG_COLUMNS
    got = sorted(long.itertuples(index=False, name=None))
    assert got == sorted(
        [
            ("xlmr", "baseline", 3, "xnli", "en", "accuracy", 81.5),
            ("xlmr", "baseline", 3, "xnli", "de", "accuracy", 74.25),
        ]
    )
    assert long["value"].dtype == float
    assert list(meta.index) == ["xnli"]
    assert meta.loc["xnli", "avg_metrics"] == ("accuracy",)
    assert meta.loc["xnli", "expected_languages"] == ("en", "de", "fr")


def test_read_scores_several_files_and_metrics(tmp_path):
    paths = [
        write_score(
            tmp_path,
            "m",
            "baseline",
            1,
            "xquad",
            {"en": {"exact_match": 60, "f1": 70}},
            ["en", "de"],
            avg_metrics=("exact_match", "f1"),
        ),
        *write_grid(tmp_path),
    ]
    long, meta = read_scores(paths)
    # xquad: 1 language × 2 metrics = 2 rows; the grid: per (arm, seed) xnli + pawsx languages
    # = (3+2) + (3+2) + (2+2) + (3+2) = 19 rows -> 21 in all
    assert len(long) == 21
    assert set(meta.index) == {"xquad", "xnli", "pawsx"}
    assert meta.loc["xquad", "avg_metrics"] == ("exact_match", "f1")
    row = one(long, arm="anli_plus", seed=2, target="xnli", language="fr")
    assert row["value"] == 65.0
    assert one(long, target="xquad", metric="f1")["value"] == 70.0
    # the language missing from anli_plus seed 1 has no row (it is not invented)
    assert long[(long.arm == "anli_plus") & (long.seed == 1) & (long.language == "fr")].empty


# ---- task_scores ----------------------------------------------------------------------------


def test_task_scores_language_average_and_coverage(grid_files):
    tasks = task_scores(*read_scores(grid_files))
    assert len(tasks) == 8  # 2 arms × 2 seeds × 2 targets
    row = one(tasks, model="m", arm="baseline", seed=1, target="xnli")
    assert row["score"] == pytest.approx(70.0)  # (80+70+60)/3
    assert row["n_languages"] == 3
    assert row["expected_languages"] == 3
    assert bool(row["complete"]) is True
    row = one(tasks, arm="baseline", seed=2, target="pawsx")
    assert row["score"] == pytest.approx(83.0)  # (88+78)/2
    assert bool(row["complete"]) is True
    # only en, de of en, de, fr: average over what is there, marked incomplete
    row = one(tasks, arm="anli_plus", seed=1, target="xnli")
    assert row["score"] == pytest.approx(78.0)  # (84+72)/2
    assert row["n_languages"] == 2
    assert row["expected_languages"] == 3
    assert bool(row["complete"]) is False
    row = one(tasks, arm="anli_plus", seed=2, target="xnli")
    assert row["score"] == pytest.approx(75.0)  # (85+75+65)/3
    assert bool(row["complete"]) is True


def test_task_scores_qa_average_of_em_and_f1(tmp_path):
    # xtreme evaluate.py for QA: summary = (avg EM + avg F1) / 2
    path = write_score(
        tmp_path,
        "m",
        "baseline",
        1,
        "xquad",
        {
            "en": {"exact_match": 60, "f1": 70},
            "de": {"exact_match": 40, "f1": 56},
            "es": {"exact_match": 50, "f1": 66},
        },
        ["en", "de", "es", "zh"],
        avg_metrics=("exact_match", "f1"),
    )
    row = one(task_scores(*read_scores([path])))
    # avg EM = (60+40+50)/3 = 50; avg F1 = (70+56+66)/3 = 64; (50 + 64) / 2 = 57
    assert row["score"] == pytest.approx(57.0)
    assert row["n_languages"] == 3
    assert row["expected_languages"] == 4
    assert bool(row["complete"]) is False


def test_metric_table_shows_em_and_f1_averaged_over_languages_and_seeds(tmp_path):
    files = [
        write_score(
            tmp_path,
            "m",
            "baseline",
            seed,
            "xquad",
            {
                "en": {"exact_match": em_en, "f1": 70},
                "de": {"exact_match": 40, "f1": f1_de},
                "xx": {"exact_match": 0, "f1": 0},
            },
            ["en", "de"],
            avg_metrics=("exact_match", "f1"),
        )
        for seed, em_en, f1_de in ((1, 60, 56), (2, 80, 60))
    ]
    long, meta = read_scores(files)
    table = metric_table(long, meta)
    # EM: seed 1 (60+40)/2 = 50, seed 2 (80+40)/2 = 60 → 55; "xx" is not an xquad language
    assert table.loc[("m", "baseline"), ("xquad", "exact_match")] == pytest.approx(55.0)
    # F1: seed 1 (70+56)/2 = 63, seed 2 (70+60)/2 = 65 → 64
    assert table.loc[("m", "baseline"), ("xquad", "f1")] == pytest.approx(64.0)
    assert metric_label(("exact_match", "f1")) == "(exact_match + f1)/2"
    assert metric_label(("accuracy",)) == "accuracy"


def test_the_heatmap_labels_an_incomplete_xtreme_average(grid_table):
    assert xtreme_label(grid_table) == "XTREME avg*\n(2/9 tasks)"


def test_task_scores_ignores_metrics_not_averaged(tmp_path):
    # a task that reports accuracy and F1 but summarises by accuracy alone
    path = write_score(
        tmp_path,
        "m",
        "baseline",
        1,
        "qqp",
        {"en": {"accuracy": 80, "f1": 40}},
        ["en"],
        avg_metrics=("accuracy",),
        metrics=("accuracy", "f1"),
    )
    row = one(task_scores(*read_scores([path])))
    assert row["score"] == pytest.approx(80.0)  # accuracy only, not (80+40)/2 = 60
    assert bool(row["complete"]) is True


# ---- arm_target_table -----------------------------------------------------------------------


def test_arm_target_table_mean_over_seeds(grid_table):
    t = grid_table
    assert set(t.index) == {("m", "baseline"), ("m", "anli_plus")}
    # baseline xnli: (70 + 72) / 2 = 71; pawsx: (85 + 83) / 2 = 84
    assert t.loc[("m", "baseline"), "xnli"] == pytest.approx(71.0)
    assert t.loc[("m", "baseline"), "pawsx"] == pytest.approx(84.0)
    # anli_plus xnli: (78 + 75) / 2 = 76.5; pawsx: (88 + 87) / 2 = 87.5
    assert t.loc[("m", "anli_plus"), "xnli"] == pytest.approx(76.5)
    assert t.loc[("m", "anli_plus"), "pawsx"] == pytest.approx(87.5)


def test_arm_target_table_xtreme_average_and_coverage(grid_table):
    t = grid_table
    # XTREME avg over the targets present: baseline (71 + 84)/2 = 77.5,
    # anli_plus (76.5 + 87.5)/2 = 82.0
    assert t.loc[("m", "baseline"), "xtreme_avg"] == pytest.approx(77.5)
    assert t.loc[("m", "anli_plus"), "xtreme_avg"] == pytest.approx(82.0)
    # baseline: both tasks complete, 2 of the 9 XTREME tasks
    assert t.loc[("m", "baseline"), "xtreme_tasks"] == "2/9"
    assert not bool(t.loc[("m", "baseline"), "xtreme_complete"])
    assert not bool(t.loc[("m", "anli_plus"), "xtreme_complete"])
    # seed 1 of anli_plus lacks fr on xnli: that cell (and only that one) is incomplete
    assert t.attrs["incomplete_cells"] == [("m", "anli_plus", "xnli")]
    # the XTREME average of anli_plus covers 2 tasks, one of them incomplete
    assert t.loc[("m", "anli_plus"), "xtreme_tasks"] == "2/9"


def test_an_arm_missing_a_target_is_averaged_over_what_it_has_and_marked(tmp_path):
    files = [
        write_score(
            tmp_path, "m", "baseline", 1, "xnli", acc(en=80, de=70, fr=60), EXPECTED["xnli"]
        ),
        write_score(tmp_path, "m", "baseline", 1, "pawsx", acc(en=90, de=80), EXPECTED["pawsx"]),
        write_score(tmp_path, "m", "anli_plus", 1, "pawsx", acc(en=92, de=84), EXPECTED["pawsx"]),
    ]
    t = arm_target_table(task_scores(*read_scores(files)))
    # anli_plus has only pawsx: (92 + 84) / 2 = 88 over 1 of the 9 tasks, and its xnli is missing
    assert t.loc[("m", "anli_plus"), "xtreme_avg"] == pytest.approx(88.0)
    assert t.loc[("m", "anli_plus"), "xtreme_tasks"] == "1/9"
    assert t.attrs["incomplete_cells"] == [("m", "anli_plus", "xnli")]
    md = markdown(t, {})
    assert "88.0* (1/9 tasks)" in md


def test_a_language_outside_the_task_is_not_averaged(tmp_path):
    f = write_score(
        tmp_path, "m", "baseline", 1, "pawsx", acc(en=80, de=70, xx=0), EXPECTED["pawsx"]
    )
    scores = task_scores(*read_scores([f]))
    assert scores.loc[0, "score"] == pytest.approx(75.0)  # (80 + 70) / 2; xx ignored
    assert bool(scores.loc[0, "complete"])


def test_arm_target_table_all_nine_xtreme_tasks(tmp_path):
    # one language per task; task i (0-based, XTREME order) scores 10 * (i + 1)
    avg = {
        "xnli": ("accuracy",),
        "pawsx": ("accuracy",),
        "udpos": ("f1",),
        "panx": ("f1",),
        "xquad": ("exact_match", "f1"),
        "mlqa": ("exact_match", "f1"),
        "tydiqa": ("exact_match", "f1"),
        "bucc2018": ("f1",),
        "tatoeba": ("accuracy",),
    }
    paths = []
    for i, (task, metrics) in enumerate(avg.items()):
        v = 10.0 * (i + 1)
        # QA: EM = v - 2, F1 = v + 2 -> (EM + F1) / 2 = v
        scores = {"exact_match": v - 2, "f1": v + 2} if len(metrics) == 2 else {metrics[0]: v}
        paths.append(
            write_score(tmp_path, "m", "baseline", 1, task, {"en": scores}, ["en"], metrics)
        )
    # a non-XTREME target scoring 0 must not pull the XTREME average down
    paths.append(write_score(tmp_path, "m", "baseline", 1, "qqp", acc(en=0), ["en"]))
    t = arm_target_table(task_scores(*read_scores(paths)))
    row = t.loc[("m", "baseline")]
    assert row["xtreme_avg"] == pytest.approx(50.0)  # (10 + 20 + ... + 90) / 9 = 450 / 9
    assert row["xtreme_tasks"] == "9/9"
    assert bool(row["xtreme_complete"]) is True
    assert row["qqp"] == pytest.approx(0.0)
    assert t.attrs["incomplete_cells"] == []
    md = markdown(t, {})
    body = md.split("\n\n")[0]
    assert "50.0" in body
    assert "*" not in body.replace("**", "")  # nothing incomplete (bold aside)
    assert "tasks)" not in body


# ---- gains_by_language ----------------------------------------------------------------------


def test_gains_by_language(grid_files):
    gains = gains_by_language(*read_scores(grid_files))
    assert set(gains.arm) == {"anli_plus"}  # baseline rows are not gains
    got = {
        (r.seed, r.target, r.language, r.metric): (r.value, r.baseline, r.gain)
        for r in gains.itertuples()
    }
    # gain = anli_plus value − baseline value, same model, seed, target, language, metric
    assert got == {
        (1, "xnli", "en", "accuracy"): (84, 80, 4),  # 84 − 80
        (1, "xnli", "de", "accuracy"): (72, 70, 2),  # 72 − 70 (fr missing for the arm)
        (1, "pawsx", "en", "accuracy"): (92, 90, 2),  # 92 − 90
        (1, "pawsx", "de", "accuracy"): (84, 80, 4),  # 84 − 80
        (2, "xnli", "en", "accuracy"): (85, 82, 3),  # 85 − 82
        (2, "xnli", "de", "accuracy"): (75, 72, 3),  # 75 − 72
        (2, "xnli", "fr", "accuracy"): (65, 62, 3),  # 65 − 62
        (2, "pawsx", "en", "accuracy"): (91, 88, 3),  # 91 − 88
        (2, "pawsx", "de", "accuracy"): (83, 78, 5),  # 83 − 78
    }
    assert list(gains.columns) == [
        "model",
        "arm",
        "seed",
        "target",
        "language",
        "metric",
        "value",
        "baseline",
        "gain",
    ]


def test_gains_by_language_matches_metric_and_model(tmp_path):
    # (model, arm) -> (exact_match, f1) on English
    cells = {("a", "baseline"): (60, 70), ("a", "mnli"): (65, 72)}
    cells |= {("b", "baseline"): (30, 40), ("b", "mnli"): (31, 45)}
    paths = [
        write_score(
            tmp_path,
            model,
            arm,
            1,
            "xquad",
            {"en": {"exact_match": em, "f1": f1}},
            ["en"],
            avg_metrics=("exact_match", "f1"),
        )
        for (model, arm), (em, f1) in cells.items()
    ]
    gains = gains_by_language(*read_scores(paths))
    got = {(r.model, r.metric): r.gain for r in gains.itertuples()}
    assert got == {
        ("a", "exact_match"): 5,  # 65 − 60
        ("a", "f1"): 2,  # 72 − 70
        ("b", "exact_match"): 1,  # 31 − 30 (model b's own baseline)
        ("b", "f1"): 5,  # 45 − 40
    }


# ---- gains_table ----------------------------------------------------------------------------


def test_gains_table_one_model(grid_table):
    g = gains_table(grid_table)
    assert list(g.index) == [("m", "anli_plus")]
    assert set(g.columns) == {"xnli", "pawsx", "xtreme_avg"}
    assert g.loc[("m", "anli_plus"), "xnli"] == pytest.approx(5.5)  # 76.5 − 71
    assert g.loc[("m", "anli_plus"), "pawsx"] == pytest.approx(3.5)  # 87.5 − 84
    assert g.loc[("m", "anli_plus"), "xtreme_avg"] == pytest.approx(4.5)  # 82 − 77.5


def test_gains_table_two_models(tmp_path):
    # model m2, seed 1:
    #   baseline  xnli en 50 de 40 fr 30 -> 40; pawsx en 60 de 50 -> 55; XTREME (40+55)/2 = 47.5
    #   anli_plus xnli en 55 de 45 fr 35 -> 45; pawsx en 58 de 48 -> 53; XTREME (45+53)/2 = 49
    m2 = {
        ("baseline", 1): {"xnli": acc(en=50, de=40, fr=30), "pawsx": acc(en=60, de=50)},
        ("anli_plus", 1): {"xnli": acc(en=55, de=45, fr=35), "pawsx": acc(en=58, de=48)},
    }
    paths = write_grid(tmp_path, GRID, "m") + write_grid(tmp_path, m2, "m2")
    g = gains_table(arm_target_table(task_scores(*read_scores(paths))))
    assert set(g.index) == {("m", "anli_plus"), ("m2", "anli_plus")}
    # model m (see GRID): 76.5 − 71, 87.5 − 84, 82 − 77.5
    assert g.loc[("m", "anli_plus"), "xnli"] == pytest.approx(5.5)
    assert g.loc[("m", "anli_plus"), "pawsx"] == pytest.approx(3.5)
    assert g.loc[("m", "anli_plus"), "xtreme_avg"] == pytest.approx(4.5)
    # model m2 against its own baseline: 45 − 40, 53 − 55, 49 − 47.5
    assert g.loc[("m2", "anli_plus"), "xnli"] == pytest.approx(5.0)
    assert g.loc[("m2", "anli_plus"), "pawsx"] == pytest.approx(-2.0)
    assert g.loc[("m2", "anli_plus"), "xtreme_avg"] == pytest.approx(1.5)


def test_gains_table_skips_models_without_baseline(tmp_path):
    no_base = {("anli_plus", 1): {"xnli": acc(en=1, de=2, fr=3), "pawsx": acc(en=4, de=5)}}
    paths = write_grid(tmp_path, GRID, "m") + write_grid(tmp_path, no_base, "lonely")
    g = gains_table(arm_target_table(task_scores(*read_scores(paths))))
    assert list(g.index) == [("m", "anli_plus")]
    # only arms, no baseline at all: an empty table
    only_arm = write_grid(tmp_path / "only", no_base, "lonely")
    assert gains_table(arm_target_table(task_scores(*read_scores(only_arm)))).empty


# ---- markdown / latex -----------------------------------------------------------------------


def parse_markdown(md: str) -> dict[tuple[str, str], dict[str, str]]:
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert set(lines[1]) <= set("|-: ")
    rows = {}
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        assert len(cells) == len(header)
        rec = dict(zip(header, cells, strict=True))
        rows[(rec["model"], rec["arm"])] = rec
    return rows


def test_markdown(grid_table):
    md = markdown(grid_table, {"xnli": "accuracy", "pawsx": "accuracy"})
    rows = parse_markdown(md)
    assert set(rows) == {("m", "baseline"), ("m", "anli_plus")}
    base, arm = rows[("m", "baseline")], rows[("m", "anli_plus")]
    assert base["xnli (accuracy)"] == "71.0"
    assert base["pawsx (accuracy)"] == "84.0"
    # complete tasks, but only 2 of 9 XTREME tasks: 77.5, starred, with its coverage
    assert base["XTREME avg"] == "77.5* (2/9 tasks)"
    # anli_plus misses fr on xnli in seed 1: 76.5 starred; pawsx complete: 87.5 plain
    # (anli_plus is the better arm in every column: bold)
    assert arm["xnli (accuracy)"] == "**76.5***"
    assert arm["pawsx (accuracy)"] == "**87.5**"
    # the coverage counts the tasks averaged (2), not only the complete ones
    assert arm["XTREME avg"] == "**82.0* (2/9 tasks)**"
    # a footnote explains the star
    footnote = [ln for ln in md.splitlines() if ln and not ln.startswith("|")]
    assert any("*" in ln and "incomplete" in ln for ln in footnote)


def test_latex(grid_table):
    tex = latex(grid_table)
    lines = tex.splitlines()
    assert lines[0].startswith(r"\begin{tabular}{ll")
    assert lines[-1] == r"\end{tabular}"
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert r"anli\_plus" in tex
    assert "anli_plus" not in tex.replace(r"\_", "")  # no raw underscore left
    row = next(ln for ln in lines if ln.startswith("m & anli"))
    cells = [c.strip() for c in row.removesuffix(r"\\").split("&")]
    # model, arm, then the targets in header order, then the XTREME average
    header = [c.strip() for c in lines[2].removesuffix(r"\\").split("&")]
    rec = dict(zip(header, cells, strict=True))
    assert rec["xnli"] == r"\textbf{76.5*}"  # the best arm of each column in bold
    assert rec["pawsx"] == r"\textbf{87.5}"
    assert rec["XTREME avg"] == r"\textbf{82.0*}"
    base = next(ln for ln in lines if ln.startswith("m & baseline"))
    assert [c.strip() for c in base.removesuffix(r"\\").split("&")][2:] == ["71.0", "84.0", "77.5*"]


def test_latex_escapes_model_names(tmp_path):
    paths = write_grid(tmp_path, GRID, "xlm_r_base")
    tex = latex(arm_target_table(task_scores(*read_scores(paths))))
    assert r"xlm\_r\_base & anli\_plus" in tex
    assert r"xlm\_r\_base & baseline" in tex


# ---- summarize ------------------------------------------------------------------------------

SUMMARY_FILES = {
    "scores_long.parquet",
    "scores_long.csv",
    "arm_target.csv",
    "arm_target.md",
    "arm_target.tex",
    "arm_target_metrics.csv",
    "best_per_target.csv",
    "gains_ci.csv",
    "gains_by_language.parquet",
    "gains_by_language.csv",
    "gains_heatmap.png",
    "gains_by_family.csv",
    "overview.html",
    "gains_by_family.png",
    "benchmarks.csv",
    "scores_by_language.csv",
    "scores_by_language.html",
    "training.csv",
    "training_curves.csv",
    "training.html",
    "training_curves.png",
}


def check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3
    assert image.shape[0] > 0 and image.shape[1] > 0


@pytest.fixture
def drawn(monkeypatch) -> dict[str, matplotlib.figure.Figure]:
    """Every figure the code saves, by file name, to check what it shows (a PNG's header says
    nothing of its content: the "no gains" placeholder has one too)."""
    figures: dict[str, matplotlib.figure.Figure] = {}
    save = matplotlib.figure.Figure.savefig

    def record(fig, path, *args, **kwargs):
        figures[Path(path).name] = fig
        return save(fig, path, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", record)
    return figures


def heatmap_cells(fig) -> tuple[list[float], list[str]]:
    """The values a seaborn heatmap colours (row by row) and the text written on its cells."""
    from matplotlib.collections import QuadMesh

    (ax, *_) = fig.axes
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    if not meshes:
        return [], [t.get_text() for t in ax.texts]
    return list(np.asarray(meshes[0].get_array()).ravel()), [t.get_text() for t in ax.texts]


def outputs(out: Path) -> dict[str, Path]:
    return {name: out / file for name, file in xgrid.SUMMARY_FILES.items()}


def test_summarize_writes_all_files(grid_files, tmp_path, drawn):
    out = tmp_path / "summary"
    summarize(grid_files, outputs(out))
    assert {p.name for p in out.iterdir()} == SUMMARY_FILES
    for path in out.iterdir():
        assert path.stat().st_size > 0, path.name
    check_png(out / "gains_heatmap.png")
    check_png(out / "gains_by_family.png")
    # the heatmap colours the arm's gains: xnli 76.5 − 71, pawsx 87.5 − 84, XTREME 82 − 77.5
    # (see test_gains_table_one_model), written on the cells, † where the interval excludes 0
    values, marks = heatmap_cells(drawn["gains_heatmap.png"])
    assert values == pytest.approx([5.5, 3.5, 4.5])
    assert [m.rstrip("†") for m in marks] == ["5.5", "3.5", "4.5"]
    # the report's first screen: that table, then that heatmap, embedded
    overview = (out / "overview.html").read_text()
    assert "<td>m</td><td>anli_plus</td>" in overview
    assert overview.index("</table>") < overview.index('<img alt="gains over the baseline"')
    png = (out / "gains_heatmap.png").read_bytes()
    assert base64.b64encode(png).decode() in overview

    long = pd.read_parquet(out / "scores_long.parquet")
    assert list(long.columns) == LONG_COLUMNS
    assert len(long) == 19  # (3+2) + (3+2) + (2+2) + (3+2) language scores in GRID
    assert len(pd.read_csv(out / "scores_long.csv")) == 19
    gains = pd.read_parquet(out / "gains_by_language.parquet")
    assert len(gains) == 9  # see test_gains_by_language
    assert gains["gain"].sum() == pytest.approx(29.0)  # 4+2+2+4 + 3+3+3+3+5
    assert len(pd.read_csv(out / "gains_by_language.csv")) == 9
    table = pd.read_csv(out / "arm_target.csv", index_col=["model", "arm"])
    assert table.loc[("m", "baseline"), "xtreme_avg"] == pytest.approx(77.5)
    md = (out / "arm_target.md").read_text()
    # two seeds: mean ± sample standard deviation; baseline XTREME 77.5 in both seeds
    assert "| 77.5 ± 0.0* (2/9 tasks) |" in md
    assert "| **76.5 ± 2.1*** |" in md  # anli_plus xnli: 78 and 75, sd = sqrt(2 * 1.5²) = 2.12
    assert "xnli (accuracy)" in md
    tex = (out / "arm_target.tex").read_text()
    assert r"\toprule" in tex and r"anli\_plus" in tex


def test_summarize_without_baseline(tmp_path, drawn):
    arms_only = {k: v for k, v in GRID.items() if k[0] != "baseline"}
    paths = write_grid(tmp_path / "scores", arms_only)
    out = tmp_path / "summary"
    summarize(paths, outputs(out))
    assert {p.name for p in out.iterdir()} == SUMMARY_FILES
    check_png(out / "gains_heatmap.png")
    # no baseline, no gains: the figure says so instead of colouring cells
    assert heatmap_cells(drawn["gains_heatmap.png"]) == (
        [],
        ["no gains: the grid has no baseline arm"],
    )
    assert pd.read_parquet(out / "gains_by_language.parquet").empty
    assert len(pd.read_parquet(out / "scores_long.parquet")) == 9  # (2+2) + (3+2)
    table = pd.read_csv(out / "arm_target.csv", index_col=["model", "arm"])
    assert list(table.index) == [("m", "anli_plus")]


def test_a_score_files_notes_reach_the_summary(tmp_path):
    paths = write_grid(tmp_path / "scores")
    doc = json.loads(paths[0].read_text())  # baseline seed 1, xnli
    doc["notes"] = ["fr: not scored, the source lacks it"]
    paths[0].write_text(json.dumps(doc))
    out = tmp_path / "summary"
    summarize(paths, outputs(out))
    md = (out / "arm_target.md").read_text()
    assert "## Notes\n\n- xnli: fr: not scored, the source lacks it\n" in md
    summarize(write_grid(tmp_path / "plain"), outputs(tmp_path / "plain_summary"))
    assert "## Notes" not in (tmp_path / "plain_summary/arm_target.md").read_text()


# ---- seeds, best per column, best arm per target, LaTeX that compiles ------------------------


def test_mean_and_standard_deviation_over_seeds(grid_files):
    tasks = task_scores(*read_scores(grid_files))
    table = arm_target_table(tasks)
    std = arm_target_std(tasks, table)
    # baseline xnli 70, 72: sd = sqrt((1² + 1²) / 1) = 1.41; pawsx 85, 83: 1.41
    assert std.loc[("m", "baseline"), "xnli"] == pytest.approx(2**0.5)
    # anli_plus XTREME per seed: (78 + 88) / 2 = 83, (75 + 87) / 2 = 81: sd = sqrt(2) = 1.41
    assert std.loc[("m", "anli_plus"), "xtreme_avg"] == pytest.approx(2**0.5)
    rows = parse_markdown(markdown(table, {"xnli": "accuracy", "pawsx": "accuracy"}, std))
    assert rows[("m", "baseline")]["xnli (accuracy)"] == "71.0 ± 1.4"
    assert rows[("m", "anli_plus")]["pawsx (accuracy)"] == "**87.5 ± 0.7**"  # 88, 87
    one_seed = tasks[tasks.seed == 1]
    assert arm_target_std(one_seed, arm_target_table(one_seed)) is None


def test_the_best_arm_per_target_is_chosen_on_validation_and_its_gain_reported(tmp_path):
    # validation (per seed): xnli baseline 80, 80 / anli_plus 84, 86 -> anli_plus (85 > 80);
    # pawsx baseline 90, 90 / anli_plus 89, 89 -> baseline, although anli_plus is better on test
    val = {("baseline", "xnli"): 80.0, ("anli_plus", "xnli"): (84.0, 86.0)}
    val |= {("baseline", "pawsx"): 90.0, ("anli_plus", "pawsx"): 89.0}
    paths = []
    for (arm, seed), targets in GRID.items():
        for task, langs in targets.items():
            v = val[(arm, task)]
            v = v[seed - 1] if isinstance(v, tuple) else v
            paths.append(
                write_score(tmp_path, "m", arm, seed, task, langs, EXPECTED[task], validation=v)
            )
    table = arm_target_table(task_scores(*read_scores(paths)))
    best = best_table(table, read_validation(paths)).set_index("target")
    assert best.loc["xnli", "arm"] == "anli_plus"
    assert best.loc["xnli", "validation"] == pytest.approx(85.0)
    assert best.loc["xnli", "gain"] == pytest.approx(76.5 - 71.0)  # test means, see GRID
    assert best.loc["pawsx", "arm"] == "baseline" and best.loc["pawsx", "gain"] == 0.0
    avg = best.loc["XTREME avg (2/9 tasks)"]
    assert avg["score"] == pytest.approx((76.5 + 84.0) / 2)  # 80.25
    assert avg["baseline"] == pytest.approx((71.0 + 84.0) / 2)  # 77.5
    assert avg["gain"] == pytest.approx(2.75)


def test_the_latex_table_compiles_with_pdflatex(grid_files, tmp_path):
    import os
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        if os.environ.get("XSTILTS_REQUIRE_PDFLATEX"):
            pytest.fail("pdflatex is not installed (apt-get install texlive-latex-recommended)")
        pytest.skip("pdflatex is not installed")
    long, meta = read_scores(grid_files)
    tasks = task_scores(long, meta)
    table = arm_target_table(tasks)
    names = {t: metric_label(m) for t, m in meta["avg_metrics"].items()}
    names["xnli"] = "(exact_match + f1)/2"  # underscores in a header must be escaped too
    (tmp_path / "table.tex").write_text(latex(table, names, arm_target_std(tasks, table)))
    (tmp_path / "paper.tex").write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
        "\\input{table.tex}\n\\end{document}\n"
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "paper.pdf").read_bytes()[:5] == b"%PDF-"


def test_per_language_gain_figures(grid_files, tmp_path, drawn):
    out = outputs(tmp_path / "summary")
    figures = {t: tmp_path / f"summary/language_gains/{t}.png" for t in ("xnli", "pawsx")}
    summarize(grid_files, out | {f"language_gains_{t}": p for t, p in figures.items()})
    for path in figures.values():
        check_png(path)
    # a bar per language, its height the gain's mean over seeds (test_gains_by_language):
    # xnli en (4 + 3)/2, de (2 + 3)/2, fr 3 (seed 2 only); pawsx en (2 + 3)/2, de (4 + 5)/2;
    # German, English and French are all Indo-European, ordered by name within the family
    expected = {"xnli": {"de": 2.5, "en": 3.5, "fr": 3.0}, "pawsx": {"de": 4.5, "en": 2.5}}
    for target, gains in expected.items():
        (ax,) = drawn[f"{target}.png"].axes
        labels = [t.get_text() for t in ax.get_xticklabels()]
        heights = [bar.get_height() for bar in ax.patches]
        assert dict(zip(labels, heights, strict=True)) == pytest.approx(gains)
        assert ax.get_title(loc="left") == "anli_plus"


# ---- bootstrap confidence intervals over seeds and test examples -----------------------------


def write_examples(directory: Path, model, arm, seed, task, correct: list[int]) -> Path:
    """The per-example statistics evaluate_target writes for an accuracy task."""
    path = directory / f"{model}__{arm}__seed{seed}__{task}.parquet"
    rows = [{"language": "en", "example": i, "correct": c} for i, c in enumerate(correct)]
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


def ci_grid(tmp_path, cells: dict[tuple[str, int, str], list[int]]):
    """Score files and example files of cells (arm, seed, task) → 0/1 per English example."""
    scores, examples = [], []
    for (arm, seed, task), correct in cells.items():
        value = 100.0 * sum(correct) / len(correct)
        scores.append(write_score(tmp_path, "m", arm, seed, task, acc(en=value), ["en"]))
        examples.append(write_examples(tmp_path, "m", arm, seed, task, correct))
    return scores, examples


def test_a_paired_bootstrap_over_examples(tmp_path):
    # 1,000 examples; the arm is right on all, the baseline wrong on 10: gain 1.0 point. In a
    # paired resample the gain is k/10 points with k ~ Binomial(1000, 0.01) discordant
    # examples drawn: its 2.5 % and 97.5 % quantiles are 4 and 16-17, so the interval is about
    # [0.4, 1.65] and excludes 0 (an unpaired bootstrap would not see that)
    base = [1] * 990 + [0] * 10
    scores, examples = ci_grid(
        tmp_path, {("baseline", 1, "xnli"): base, ("anli_plus", 1, "xnli"): [1] * 1000}
    )
    ci, draws = bootstrap_gains(scores, examples)
    row = one(ci, arm="anli_plus", target="xnli")
    assert row["gain"] == pytest.approx(1.0)
    assert 0.3 <= row["ci_low"] <= 0.5 and 1.5 <= row["ci_high"] <= 1.8
    assert bool(row["significant"]) is True
    assert len(draws[("m", "anli_plus", "xnli")]) == 1000


def test_an_arm_equal_to_the_baseline_has_no_significant_gain(tmp_path):
    same = [1, 0] * 200
    scores, examples = ci_grid(
        tmp_path, {("baseline", 1, "xnli"): same, ("anli_plus", 1, "xnli"): same}
    )
    row = one(bootstrap_gains(scores, examples)[0], arm="anli_plus", target="xnli")
    assert (row["gain"], row["ci_low"], row["ci_high"]) == (0.0, 0.0, 0.0)
    assert bool(row["significant"]) is False


def test_seeds_that_disagree_widen_the_interval(tmp_path):
    # 2,000 examples; seed 1: the arm gains 2 points (40 more right), seed 2: it loses 2. The
    # mean gain is 0; resampling the two seeds gives {1,1}: +2, {2,2}: -2 a quarter of the
    # time each, so the interval reaches about ±2 and includes 0
    base = [1] * 1000 + [0] * 1000
    better = [1] * 1040 + [0] * 960
    worse = [1] * 960 + [0] * 1040
    cells = {("baseline", 1, "xnli"): base, ("baseline", 2, "xnli"): base}
    cells |= {("anli_plus", 1, "xnli"): better, ("anli_plus", 2, "xnli"): worse}
    ci, _ = bootstrap_gains(*ci_grid(tmp_path, cells))
    row = one(ci, arm="anli_plus", target="xnli")
    assert row["gain"] == pytest.approx(0.0)
    assert row["ci_low"] < -1.5 and row["ci_high"] > 1.5
    assert bool(row["significant"]) is False and row["seeds"] == 2


def test_the_xtreme_average_gain_and_the_summary_files(tmp_path):
    base = [1] * 990 + [0] * 10
    cells = {("baseline", 1, "xnli"): base, ("anli_plus", 1, "xnli"): [1] * 1000}
    cells |= {("baseline", 1, "pawsx"): base, ("anli_plus", 1, "pawsx"): base}
    scores, examples = ci_grid(tmp_path / "scores", cells)
    ci, _ = bootstrap_gains(scores, examples)
    avg = one(ci, arm="anli_plus", target="xtreme_avg")
    assert avg["gain"] == pytest.approx((1.0 + 0.0) / 2)  # the mean over the two targets
    assert avg["targets"] == "2/9"
    out = tmp_path / "summary"
    summarize(scores, outputs(out), examples)
    table = pd.read_csv(out / "gains_ci.csv")
    assert set(table.target) == {"xnli", "pawsx", "xtreme_avg"}
    md = (out / "arm_target.md").read_text()
    assert "| m | anli_plus | +1.0 [+0." in md and "]† |" in md  # xnli: significant


def test_a_seed_is_one_intermediate_model_for_every_target(tmp_path):
    # two seeds; on both targets the arm gains +2 points with seed 1 and -2 with seed 2 (200
    # of 10,000 examples). Resampling the seeds gives a seed mean of +2, 0, -2 with chances
    # 1/4, 1/2, 1/4: sd sqrt(2) = 1.41 per target. The seeds are drawn once for the arm, so the
    # two targets' draws move together and the XTREME average keeps that spread; drawn
    # independently per target, the average's sd would be 1.41 / sqrt(2) = 1.0
    base = [1] * 5000 + [0] * 5000
    by_seed = {1: [1] * 5200 + [0] * 4800, 2: [1] * 4800 + [0] * 5200}
    cells = {}
    for task in ("xnli", "pawsx"):
        for s, correct in by_seed.items():
            cells[("baseline", s, task)] = base
            cells[("anli_plus", s, task)] = correct
    ci, draws = bootstrap_gains(*ci_grid(tmp_path, cells))
    xnli, pawsx = draws[("m", "anli_plus", "xnli")], draws[("m", "anli_plus", "pawsx")]
    assert np.std(xnli) == pytest.approx(2**0.5, abs=0.15)
    assert np.corrcoef(xnli, pawsx)[0, 1] > 0.95
    assert np.std((xnli + pawsx) / 2) > 1.3
    avg = one(ci, arm="anli_plus", target="xtreme_avg")
    assert avg["ci_low"] < -1.5 and avg["ci_high"] > 1.5 and not avg["significant"]


def test_each_arm_is_compared_on_the_languages_it_shares_with_the_baseline(tmp_path):
    # baseline and arm a have en and de; arm b only en. a's gain is over en and de: (en +20,
    # de +10) -> +15, whatever b lacks
    cells = {
        "baseline": {"en": [1] * 50 + [0] * 50, "de": [1] * 40 + [0] * 60},
        "a": {"en": [1] * 70 + [0] * 30, "de": [1] * 50 + [0] * 50},
        "b": {"en": [1] * 60 + [0] * 40},
    }
    scores, examples = _language_cells(tmp_path, cells, expected=["en", "de"])
    ci, _ = bootstrap_gains(scores, examples)
    assert one(ci, arm="a", target="xnli")["gain"] == pytest.approx(15.0)
    assert one(ci, arm="b", target="xnli")["gain"] == pytest.approx(10.0)


def test_the_mteb_bucc_figure_reads_the_bucc2018_scores(tmp_path, monkeypatch):
    # evaluate_retrieval names bucc2018_mteb's score files by XTREME's name, "bucc2018"
    from xstilts.summary import figures as plots

    seen = []
    monkeypatch.setattr(plots, "language_gains", lambda g, target, m, out: seen.append((target, m)))
    f1 = {"de": {"f1": 50.0}}
    paths = [
        write_score(tmp_path, "m", arm, 1, "bucc2018", f1, ["de"], ("f1",))
        for arm in ("baseline", "mnli")
    ]
    summarize(paths, {"language_gains_bucc2018_mteb": tmp_path / "fig.png"})
    assert seen == [("bucc2018", ("f1",))]


def test_gains_by_language_family():
    # XNLI: de +2, fr +4 (Indo-European), zh -1 (Sino-Tibetan); PAWS-X: de +1 (Indo-European),
    # ja +3 (Japonic), and an F1 row PAWS-X does not average (left out)
    rows = [("xnli", "de", "accuracy", 2.0), ("xnli", "fr", "accuracy", 4.0),
            ("xnli", "zh", "accuracy", -1.0), ("pawsx", "de", "accuracy", 1.0),
            ("pawsx", "ja", "accuracy", 3.0), ("pawsx", "ja", "f1", 50.0)]  # fmt: skip
    gains = pd.DataFrame(
        [
            {
                "model": "m",
                "arm": "a",
                "seed": 1,
                "target": t,
                "language": lang,
                "metric": m,
                "gain": g,
            }
            for t, lang, m, g in rows
        ]
    )
    meta = pd.DataFrame({"avg_metrics": [("accuracy",), ("accuracy",)]}, index=["xnli", "pawsx"])
    fam = gains_by_family(gains, meta).set_index(["target", "family"])
    assert fam.loc[("xnli", "Indo-European"), ["gain", "languages"]].tolist() == [3.0, 2]
    assert fam.loc[("xnli", "Sino-Tibetan"), "gain"] == -1.0
    assert fam.loc[("pawsx", "Japonic"), "gain"] == 3.0  # not the F1 row
    # over targets: Indo-European (3 + 1) / 2 = 2 from 3 language scores; the others as they are
    assert fam.loc[("all", "Indo-European"), ["gain", "languages"]].tolist() == [2.0, 3]
    assert fam.loc[("all", "Japonic"), "gain"] == 3.0
    assert gains_by_family(gains.iloc[:0], meta).empty


# ---- benchmark tables (evaluate.py --xtreme_version) ------------------------------------------


def tagging(**per_lang: float) -> dict[str, dict[str, float]]:
    # seqeval's three scores; only f1 enters a tagging task's average (evaluate.py)
    return {lang: {"f1": v, "precision": v + 10, "recall": v - 10} for lang, v in per_lang.items()}


def bench_files(directory: Path) -> list[Path]:
    """One arm, seeds 1 and 2, on XNLI, PAWS-X, UD-POS, PAN-X and XQuAD (worked numbers in
    test_xtreme_and_xtreme_r_average_by_hand)."""
    qa = ("exact_match", "f1")
    seq = ("f1",)
    cells = [
        (1, "xnli", acc(en=80, de=70), ("accuracy",)),
        (2, "xnli", acc(en=90, de=80), ("accuracy",)),
        (1, "pawsx", acc(en=90), ("accuracy",)),
        (1, "udpos", tagging(en=70), seq),
        # pl is one of the languages XTREME-R adds to PAN-X
        (1, "panx", tagging(en=60, de=40, pl=20), seq),
        (1, "xquad", {"en": {"exact_match": 60, "f1": 80}}, qa),
    ]
    return [
        write_score(directory, "m", "mnli", seed, task, langs, list(langs), avg_metrics=avg)
        for seed, task, langs, avg in cells
    ]


def test_xtreme_and_xtreme_r_averages_by_hand(tmp_path):
    from xstilts.summary.tables import benchmark_table

    long, meta = read_scores(bench_files(tmp_path))
    # Per task (evaluate.py: language average; QA = (avg EM + avg F1) / 2), mean over seeds:
    #   xnli  seed 1 (80+70)/2 = 75, seed 2 (90+80)/2 = 85 -> 80 in both benchmarks
    #   pawsx 90 (XTREME only)          udpos 70
    #   panx  XTREME (60+40)/2 = 50 (pl is not an XTREME language); XTREME-R (60+40+20)/3 = 40
    #   xquad (60+80)/2 = 70
    # XTREME   average (80+90+70+50+70)/5 = 72, 5 of 9 tasks; classification (90+80)/2 = 85,
    #          tagging (70+50)/2 = 60, no qa (mlqa, tydiqa missing) and no retrieval
    # XTREME-R average (80+70+40+70)/4 = 65, 4 of 10 tasks; tagging (70+40)/2 = 55, no
    #          classification (xcopa missing)
    expected = {
        ("xtreme", "task", "xnli"): 80,
        ("xtreme", "task", "pawsx"): 90,
        ("xtreme", "task", "udpos"): 70,
        ("xtreme", "task", "panx"): 50,
        ("xtreme", "task", "xquad"): 70,
        ("xtreme", "group", "classification"): 85,
        ("xtreme", "group", "tagging"): 60,
        ("xtreme", "average", "avg"): 72,
        ("xtreme-r", "task", "xnli"): 80,
        ("xtreme-r", "task", "udpos"): 70,
        ("xtreme-r", "task", "panx"): 40,
        ("xtreme-r", "task", "xquad"): 70,
        ("xtreme-r", "group", "tagging"): 55,
        ("xtreme-r", "average", "avg"): 65,
    }
    scores = pd.concat([benchmark_table(long, meta, b) for b in ("xtreme", "xtreme-r")])
    got = {(r.benchmark, r.kind, r.name): r.score for r in scores.itertuples()}
    assert got == pytest.approx(expected)
    average = scores[scores.kind == "average"].set_index("benchmark")
    assert list(average.tasks) == ["5/9", "4/10"]
    assert not average.complete.any()  # tasks missing, and every task lacks languages


def test_the_summary_has_a_table_per_benchmark(tmp_path):
    out = tmp_path / "summary"
    summarize(bench_files(tmp_path / "scores"), outputs(out), benchmarks=("xtreme", "xtreme-r"))
    md = (out / "arm_target.md").read_text()
    assert "## XTREME-R (evaluate.py --xtreme_version xtreme-r)" in md
    xtreme_r = md.split("## XTREME-R")[1].split("##")[0]
    # columns: the tasks in evaluate.py's XTREME-R order, then its groups, then the average
    assert "| model | arm | xnli | panx | udpos | xquad | tagging | avg |" in xtreme_r
    assert "| m | mnli | 80.0* | 40.0* | 70.0* | 70.0* | 55.0* | 65.0* (4/10 tasks) |" in xtreme_r
    csv = pd.read_csv(out / "benchmarks.csv")
    assert set(csv.benchmark) == {"xtreme", "xtreme-r"}
    assert csv[(csv.benchmark == "xtreme") & (csv.name == "avg")].score.item() == 72


# ---- per-language scores and intervals, training summaries ----------------------------------


def _language_cells(tmp_path, cells: dict[str, dict[str, list[int]]], expected=None):
    """Score and example files of xnli cells (seed 1): arm → language → 0/1 per example;
    ``expected``: the languages every score file expects (default: its own)."""
    scores, examples = [], []
    for arm, per_lang in cells.items():
        langs = {lang: {"accuracy": 100.0 * sum(c) / len(c)} for lang, c in per_lang.items()}
        wanted = expected or list(per_lang)
        scores.append(write_score(tmp_path, "m", arm, 1, "xnli", langs, wanted))
        path = tmp_path / f"m__{arm}__seed1__xnli.parquet"
        rows = [
            {"language": lang, "example": i, "correct": c}
            for lang, correct in per_lang.items()
            for i, c in enumerate(correct)
        ]
        pd.DataFrame(rows).to_parquet(path, index=False)
        examples.append(path)
    return scores, examples


def test_every_language_has_its_score_and_its_gain_with_an_interval(tmp_path):
    # 100 examples per language. en: the baseline is right on 50, the arm on 70 (the same 50
    # and 20 more): a paired resample's gain is k points, k ~ Binomial(100, 0.2) discordant
    # examples drawn (mean 20, sd 4): its 2.5 % and 97.5 % quantiles are 12 and 28.
    # de: 40 and 50 right, k ~ Binomial(100, 0.1) (sd 3): 4 and 16
    base = {"en": [1] * 50 + [0] * 50, "de": [1] * 40 + [0] * 60}
    arm = {"en": [1] * 70 + [0] * 30, "de": [1] * 50 + [0] * 50}
    scores, examples = _language_cells(tmp_path / "scores", {"baseline": base, "a": arm})
    out = tmp_path / "summary"
    summarize(scores, outputs(out), examples)
    langs = pd.read_csv(out / "scores_by_language.csv")
    en, de = one(langs, arm="a", language="en"), one(langs, arm="a", language="de")
    assert (en.score, en.baseline, en.gain) == (70.0, 50.0, 20.0)
    assert (de.score, de.baseline, de.gain) == (50.0, 40.0, 10.0)
    assert 11 <= en.ci_low <= 14 and 26 <= en.ci_high <= 29 and en.significant
    assert 3 <= de.ci_low <= 6 and 14 <= de.ci_high <= 17 and de.significant
    assert en.family == "Indo-European" and en.seeds == 1
    baseline_en = one(langs, arm="baseline", language="en")
    assert baseline_en.score == 50.0 and pd.isna(baseline_en.gain)
    # the target's gain is still the mean over its languages: (20 + 10) / 2
    assert one(pd.read_csv(out / "gains_ci.csv"), arm="a", target="xnli")["gain"] == 15.0
    page = (out / "scores_by_language.html").read_text()
    assert f'<td>70.0<br><small class="sig">+20.0 [{en.ci_low:+.1f}, {en.ci_high:+.1f}]†' in page
    assert "<h3>xnli (accuracy)</h3>" in page


def _train_summary(directory: Path, tasks: dict, steps: int, losses: list | None) -> Path:
    directory.mkdir(parents=True)
    doc = {"tasks": list(tasks), "validation": tasks, "steps": steps, "seconds": 1.5}
    if losses is not None:
        doc["losses"] = losses
    (directory / "train_summary.json").write_text(json.dumps(doc))
    return directory


def test_each_arms_english_validation_and_training_curve(grid_files, tmp_path, drawn):
    root = tmp_path / "work/results"
    dirs = [
        _train_summary(
            root / "intermediate/m/anli_plus/seed1/model",
            {"anli_plus": {"accuracy": 61.0}},
            100,
            [[50, 1.1, 5e-4], [100, 0.7, 0.0]],
        ),
        _train_summary(
            root / "target/m/anli_plus/seed1/xnli/model", {"xnli": {"accuracy": 70.0}}, 40, None
        ),
        _train_summary(
            root / "target/m/baseline/seed1/xnli/model",
            {"xnli": {"accuracy": 66.0}},
            40,
            [[20, 1.0, 1e-3], [40, 0.9, 0.0]],
        ),
        # SQuAD-style validation: its summary is the mean of EM and F1, (40 + 50) / 2 = 45
        _train_summary(
            root / "target/m/baseline/seed1/mlqa/model",
            {"mlqa": {"exact_match": 40.0, "f1": 50.0}},
            40,
            None,
        ),
    ]
    out = tmp_path / "summary"
    summarize(grid_files, outputs(out), model_dirs=dirs)
    runs = pd.read_csv(out / "training.csv")
    assert one(runs, arm="anli_plus", phase="intermediate")["validation"] == 61.0
    assert one(runs, arm="baseline", phase="mlqa")["validation"] == 45.0
    assert one(runs, arm="anli_plus", phase="xnli")["steps"] == 40
    page = (out / "training.html").read_text()
    row = page[page.index('<td class="name">anli_plus</td>') :].split("</tr>")[0]
    # intermediate anli_plus 61.0, 100 steps, then the targets in the order read: xnli 70.0,
    # mlqa (none for this arm)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["61.0", "100", "70.0", "–"]
    curves = pd.read_csv(out / "training_curves.csv")
    assert len(curves) == 4
    # the figure: a panel per phase (intermediate first), the recorded points as lines; a
    # phase without a recorded curve says so
    fig = drawn["training_curves.png"]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["intermediate training", "target: xnli"]
    (line,) = fig.axes[0].get_lines()
    assert list(line.get_xdata()) == [50, 100] and list(line.get_ydata()) == [1.1, 0.7]
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["mlqa: no training curve recorded"]
