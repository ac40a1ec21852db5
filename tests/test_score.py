"""`xstilts score`: hand-made submission folders scored as google-research/xtreme's evaluate.py.

Every expected number is worked out by hand in the comments next to the data. Most tests cut
each task's language list down to its first two languages (so a folder holds two small files
per task); one test scores a perfect submission over the real, full tables.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from xstilts.benchmarks import BENCHMARKS, XTREME_TASKS
from xstilts.cli import main
from xstilts.errors import UserError
from xstilts.summary import score

# How the test writes each task's files (independent of the code under test).
FORMAT = {
    "pawsx": "label",
    "xnli": "label",
    "xcopa": "xcopa",
    "panx": "tag",
    "udpos": "tag",
    "bucc2018": "label",
    "tatoeba": "label",
    "mewslix": "mewslix",
    "xquad": "squad",
    "mlqa": "squad",
    "tydiqa": "squad",
}
SUFFIX = {"label": "tsv", "tag": "tsv", "xcopa": "jsonl", "mewslix": "json", "squad": "json"}

# task -> lang -> (predictions, gold). Languages are the first two of each evaluate.py list.
DATA: dict[str, dict[str, tuple]] = {
    # accuracy = right / n * 100
    "pawsx": {
        "de": (["1", "1", "0"], ["1", "0", "1"]),  # 1 of 3 right: 33.33
        "en": (["0", "0"], ["0", "1"]),  # 1 of 2: 50; avg (100/3 + 50) / 2 = 125/3
    },
    "xnli": {
        "ar": (
            ["entailment", "neutral", "neutral", "neutral"],
            ["entailment", "neutral", "contradiction", "neutral"],
        ),  # 3 of 4: 75
        "bg": (["entailment", "entailment"], ["entailment", "contradiction"]),  # 1 of 2: 50
    },  # avg (75 + 50) / 2 = 62.5
    # seqeval chunks: gold ar PER(0-1) LOC(3), predicted PER(0-1): P 1/1, R 1/2, F1 2/3.
    # he: gold ORG LOC, predicted ORG PER: 1 right of 2 and 2: P = R = F1 = 1/2.
    # avg F1 (200/3 + 50) / 2 = 175/3, avg P (100 + 50) / 2 = 75, avg R (50 + 50) / 2 = 50.
    "panx": {
        "ar": ([["B-PER", "I-PER", "O", "O"]], [["B-PER", "I-PER", "O", "B-LOC"]]),
        "he": ([["B-ORG", "O"], ["B-PER"]], [["B-ORG", "O"], ["B-LOC"]]),
    },
    # UPOS has no B-/I-: seqeval takes the first letter as the prefix, so here (no two equal
    # tags side by side) each tag is one chunk. af: all right, 100. ar: chunks NOUN VERB ADJ
    # against NOUN VERB NOUN: 2 right of 3 and 3, P = R = F1 = 2/3.
    # avg F1 (100 + 200/3) / 2 = 250/3.
    "udpos": {
        "af": ([["NOUN", "VERB"]], [["NOUN", "VERB"]]),
        "ar": ([["NOUN", "VERB", "NOUN"]], [["NOUN", "VERB", "ADJ"]]),
    },
    # set F1 over (source, target) pairs. de: the repeated pair counts once, so predicted
    # {(1,1), (2,5)} against gold {(1,1), (2,2), (3,3)}: 1 right, P 1/2, R 1/3,
    # F1 2 * 1/6 / (5/6) = 2/5 = 40. fr: nothing right, all 0.
    # avg F1 (40 + 0) / 2 = 20, avg P (50 + 0) / 2 = 25, avg R (100/3 + 0) / 2 = 50/3.
    "bucc2018": {
        "de": (
            ["de-1\ten-1", "de-1\ten-1", "de-2\ten-5"],
            ["de-1\ten-1", "de-2\ten-2", "de-3\ten-3"],
        ),
        "fr": (["fr-2\ten-2"], ["fr-1\ten-1"]),
    },
    "tatoeba": {
        "ar": (["0", "1", "2", "3", "0"], ["0", "1", "2", "3", "4"]),  # 4 of 5: 80
        "he": (["6", "6"], ["5", "6"]),  # 1 of 2: 50; avg 65
    },
    # SQuAD v1.1 (whatever the language): lower-case, drop punctuation and a/an/the.
    # en: q1 "eiffel tower" both: EM 1 F1 1; q2 "1889." -> "1889", the second gold: EM 1 F1 1;
    #     q3 "eiffel" vs "gustave eiffel": EM 0, P 1 R 1/2 F1 2/3.
    #     EM 2/3 -> 200/3, F1 (1 + 1 + 2/3) / 3 -> 800/9.
    # es: q1 "capital" vs "la capital" ("la" is no English article): EM 0, F1 2/3;
    #     q2 has no prediction: 0, 0. EM 0, F1 (2/3 + 0) / 2 -> 100/3.
    # avg EM (200/3 + 0) / 2 = 100/3, avg F1 (800/9 + 300/9) / 2 = 550/9,
    # avg_metric (300/9 + 550/9) / 2 = 425/9.
    "xquad": {
        "en": (
            {"q1": "Eiffel Tower", "q2": "1889.", "q3": "Eiffel"},
            {"q1": ["the Eiffel Tower"], "q2": ["in 1889", "1889"], "q3": ["Gustave Eiffel"]},
        ),
        "es": ({"q1": "capital"}, {"q1": ["la capital"], "q2": ["Francia"]}),
    },
    # MLQA normalises per language. en: q1 "river" both: 1, 1; q2 "whale" vs "blue whale":
    # EM 0, F1 2/3. EM 50, F1 (1 + 2/3) / 2 -> 250/3.
    # es: q1 Spanish drops "el": "río sena" both, EM 1 F1 1 (SQuAD would give EM 0);
    # q2 "españa" vs "francia": 0, 0. EM 50, F1 50.
    # avg EM 50, avg F1 (250/3 + 150/3) / 2 = 200/3, avg_metric (50 + 200/3) / 2 = 175/3.
    "mlqa": {
        "en": ({"q1": "the river", "q2": "whale"}, {"q1": ["a river"], "q2": ["blue whale"]}),
        "es": ({"q1": "río Sena", "q2": "España"}, {"q1": ["el río Sena"], "q2": ["Francia"]}),
    },
    # en: 1 of 1 right: 100, 100. ar: q1 right, q2 empty answer: EM 50, F1 50.
    # avg EM 75, avg F1 75, avg_metric 75.
    "tydiqa": {
        "en": ({"q1": "42"}, {"q1": ["42"]}),
        "ar": ({"q1": "القاهرة", "q2": ""}, {"q1": ["القاهرة"], "q2": ["مصر"]}),
    },
    # XTREME-R only.
    "xcopa": {
        "et": ([0, 1], [0, 1]),  # 2 of 2: 100
        "ht": ([1, 0, 0, 1], [1, 1, 0, 0]),  # 2 of 4: 50; avg 75
    },
    # reciprocal rank of the gold entity among the first 20 predictions, 0 if not there.
    # ar: m1 rank 1 -> 1, m2 rank 3 -> 1/3: mean 2/3 -> 200/3.
    # de: m3's gold is 21st -> 0; m4 has no prediction -> 0: 0. avg (200/3 + 0) / 2 = 100/3.
    "mewslix": {
        "ar": (
            {"m1": ["Q1", "Q9"], "m2": ["Q7", "Q8", "Q2"]},
            {"m1": ["Q1"], "m2": [" Q2 "]},
        ),
        "de": ({"m3": [f"Q{100 + i}" for i in range(20)] + ["Q3"]}, {"m3": ["Q3"], "m4": ["Q4"]}),
    },
}

AVG_METRIC = {
    "pawsx": 125 / 3,
    "xnli": 62.5,
    "panx": 175 / 3,
    "udpos": 250 / 3,
    "bucc2018": 20,
    "tatoeba": 65,
    "xquad": 425 / 9,
    "mlqa": 175 / 3,
    "tydiqa": 75,
    "xcopa": 75,
    "mewslix": 100 / 3,
}

QA = ("xquad", "mlqa", "tydiqa")
XTREME_ORDER = [
    "pawsx",
    "xnli",
    "panx",
    "udpos",
    "bucc2018",
    "tatoeba",
    "xquad",
    "mlqa",
    "tydiqa",
]


def _serialise(task: str, value, gold: bool) -> str:
    kind = FORMAT[task]
    if kind == "label":
        return "".join(f"{line}\n" for line in value)
    if kind == "tag":
        return "\n\n".join("\n".join(sentence) for sentence in value) + "\n"
    if kind == "xcopa":
        return "".join(json.dumps({"idx": i, "label": v}) + "\n" for i, v in enumerate(value))
    if kind == "squad" and gold:
        qas = [
            {"id": qid, "question": "?", "answers": [{"text": t, "answer_start": 0} for t in ts]}
            for qid, ts in value.items()
        ]
        doc = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"qas": qas}]}]}
        return json.dumps(doc, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def write_task(root: Path, task: str, files: dict[str, tuple]) -> None:
    """root/{predictions,labels}/<task>/test-<lang>.<suffix> from {lang: (predictions, gold)}."""
    suffix = SUFFIX[FORMAT[task]]
    for side, index in (("predictions", 0), ("labels", 1)):
        folder = root / side / task
        folder.mkdir(parents=True, exist_ok=True)
        for lang, pair in files.items():
            text = _serialise(task, pair[index], gold=index == 1)
            (folder / f"test-{lang}.{suffix}").write_text(text, encoding="utf-8")


def write_submission(root: Path, benchmark: str) -> tuple[Path, Path]:
    for task in BENCHMARKS[benchmark].tasks:
        if task in DATA:
            write_task(root, task, DATA[task])
    return root / "predictions", root / "labels"


@pytest.fixture
def two_languages(monkeypatch):
    """Both benchmark tables cut down to the first two languages of every task."""
    for name, table in list(BENCHMARKS.items()):
        short = {task: langs[:2] for task, langs in table.languages.items()}
        monkeypatch.setitem(BENCHMARKS, name, dataclasses.replace(table, languages=short))


@pytest.fixture
def xtreme(tmp_path, two_languages) -> tuple[Path, Path]:
    return write_submission(tmp_path, "xtreme")


def test_tables_match_evaluate_py():
    # Language counts of evaluate.py's XTREME_TASK2LANGS and XTREME_R_TASK2LANGS, counted by hand.
    counts = {name: {t: len(ls) for t, ls in b.languages.items()} for name, b in BENCHMARKS.items()}
    assert counts["xtreme"] == {
        "pawsx": 7,
        "xnli": 15,
        "panx": 40,
        "udpos": 33,
        "bucc2018": 4,
        "tatoeba": 36,
        "xquad": 11,
        "mlqa": 7,
        "tydiqa": 9,
    }
    assert counts["xtreme-r"] == {
        "xnli": 15,
        "panx": 48,
        "udpos": 38,
        "tatoeba": 41,
        "xcopa": 11,
        "lareqa": 11,
        "mewslix": 11,
        "xquad": 12,
        "mlqa": 7,
        "tydiqa": 9,
    }
    assert BENCHMARKS["xtreme-r"].groups_of("xcopa") == ("classification", "multi_choice")
    assert BENCHMARKS["xtreme"].languages["mlqa"] == ("en", "es", "de", "ar", "hi", "vi", "zh")
    # the names other modules import
    assert XTREME_TASKS[:2] == ("xnli", "pawsx") and len(XTREME_TASKS) == 9
    assert BENCHMARKS["xtreme"].groups_of("tatoeba") == ("retrieval",)
    assert BENCHMARKS["xtreme"].groups_of("mlqa") == ("qa",)


def test_per_language_scores_and_averages(xtreme):
    result = score.score_folder(*xtreme, "xtreme")
    approx = pytest.approx
    assert result["pawsx"]["accuracy"] == approx({"de": 100 / 3, "en": 50})
    assert result["xnli"]["accuracy"] == {"ar": 75, "bg": 50}
    assert result["xnli"]["avg_accuracy"] == 62.5
    assert result["panx"]["f1"] == approx({"ar": 200 / 3, "he": 50})
    assert result["panx"]["precision"] == approx({"ar": 100, "he": 50})
    assert result["panx"]["recall"] == approx({"ar": 50, "he": 50})
    assert result["panx"]["avg_precision"] == approx(75)
    assert result["panx"]["avg_recall"] == approx(50)
    assert result["udpos"]["f1"] == approx({"af": 100, "ar": 200 / 3})
    assert result["bucc2018"]["f1"] == approx({"de": 40, "fr": 0})
    assert result["bucc2018"]["precision"] == approx({"de": 50, "fr": 0})
    assert result["bucc2018"]["avg_recall"] == approx(50 / 3)
    assert result["tatoeba"]["accuracy"] == approx({"ar": 80, "he": 50})
    assert result["xquad"]["exact_match"] == approx({"en": 200 / 3, "es": 0})
    assert result["xquad"]["f1"] == approx({"en": 800 / 9, "es": 100 / 3})
    assert result["xquad"]["avg_exact_match"] == approx(100 / 3)
    assert result["xquad"]["avg_f1"] == approx(550 / 9)
    assert result["mlqa"]["exact_match"] == approx({"en": 50, "es": 50})
    assert result["mlqa"]["f1"] == approx({"en": 250 / 3, "es": 50})
    assert result["tydiqa"]["exact_match"] == approx({"en": 100, "ar": 50})
    for task in XTREME_ORDER:
        assert result[task]["avg_metric"] == approx(AVG_METRIC[task]), task


def test_floats_are_evaluate_py_floats(xtreme):
    result = score.score_folder(*xtreme, "xtreme")
    # evaluate.py computes accuracy as right / n * 100: 1/3 * 100 = 33.33333333333333, one bit
    # below 100 / 3 = 33.333333333333336.
    assert result["pawsx"]["accuracy"]["de"] == 1 / 3 * 100
    # its bucc_f1 returns the int 0 when nothing is right, which the JSON writes as 0
    assert '"fr": 0}' in json.dumps(result["bucc2018"]["f1"])


def test_groups_and_all_task(xtreme):
    result = score.score_folder(*xtreme, "xtreme")
    approx = pytest.approx
    assert result["classification"] == approx((125 / 3 + 62.5) / 2)
    assert result["tagging"] == approx((250 / 3 + 175 / 3) / 2)
    assert result["qa"] == approx((425 / 9 + 175 / 3 + 75) / 3)
    assert result["retrieval"] == approx((20 + 65) / 2)
    assert result["all_task"] == approx(sum(AVG_METRIC[t] for t in XTREME_ORDER) / 9)


def test_a_missing_task_drops_its_group_and_all_task(xtreme):
    predictions, labels = xtreme
    shutil.rmtree(predictions / "tatoeba")
    result = score.score_folder(predictions, labels, "xtreme")
    assert "tatoeba" not in result
    assert "retrieval" not in result and "all_task" not in result
    assert list(result)[:3] == ["classification", "tagging", "qa"]
    assert result["bucc2018"]["avg_metric"] == pytest.approx(20)
    # predictions without their labels are an error, not a task silently left out
    shutil.rmtree(labels / "tatoeba")
    shutil.copytree(labels / "bucc2018", predictions / "tatoeba")
    with pytest.raises(UserError, match="has no tatoeba folder for the predictions of tatoeba"):
        score.score_folder(predictions, labels, "xtreme")


def test_json_shape(xtreme):
    result = score.score_folder(*xtreme, "xtreme")
    groups = ["classification", "tagging", "qa", "retrieval"]
    assert list(result) == ["all_task", *groups, *XTREME_ORDER]
    assert list(result["panx"]) == [
        "f1",
        "precision",
        "recall",
        "avg_f1",
        "avg_precision",
        "avg_recall",
        "avg_metric",
    ]
    assert list(result["xquad"]) == ["exact_match", "f1", "avg_exact_match", "avg_f1", "avg_metric"]
    assert list(result["tatoeba"]) == ["accuracy", "avg_accuracy", "avg_metric"]
    assert list(result["tydiqa"]["f1"]) == ["en", "ar"]  # evaluate.py's language order
    assert json.loads(json.dumps(result)) == result


def test_task_summary_and_avg_metric_parts():
    per_language = {
        "en": {"exact_match": 50.0, "f1": 70.0},
        "de": {"exact_match": 30.0, "f1": 40.0},
    }
    # avg EM (50 + 30) / 2 = 40, avg F1 (70 + 40) / 2 = 55, avg_metric (40 + 55) / 2 = 47.5
    assert score.task_summary("mlqa", per_language) == {
        "exact_match": {"en": 50.0, "de": 30.0},
        "f1": {"en": 70.0, "de": 40.0},
        "avg_exact_match": 40.0,
        "avg_f1": 55.0,
        "avg_metric": 47.5,
    }
    tagging = {"en": {"f1": 80.0, "precision": 90.0, "recall": 70.0}}
    assert score.task_summary("panx", tagging)["avg_metric"] == 80.0
    assert score.task_summary("lareqa", {}) == {}
    assert score.avg_metric_parts("xquad") == ("exact_match", "f1")
    assert score.avg_metric_parts("bucc2018") == ("f1",)
    assert score.avg_metric_parts("tatoeba") == ("accuracy",)
    assert score.avg_metric_parts("mewslix") == ("map@20",)
    with pytest.raises(ValueError, match="unknown task"):
        score.avg_metric_parts("squad")


def test_overall_scores_only_for_complete_groups():
    detailed = {t: {"avg_metric": 10.0 * (i + 1)} for i, t in enumerate(["pawsx", "xnli", "udpos"])}
    # classification: (10 + 20) / 2 = 15; tagging lacks panx; no all_task
    assert score.overall_scores(detailed, "xtreme") == {"classification": 15.0}
    assert score.overall_scores({}, "xtreme-r") == {}


def test_xtreme_r(tmp_path, two_languages):
    predictions, labels = write_submission(tmp_path, "xtreme-r")
    result = score.score_folder(predictions, labels, "xtreme-r")
    approx = pytest.approx
    assert result["xcopa"]["accuracy"] == approx({"et": 100, "ht": 50})
    assert result["mewslix"]["map@20"] == approx({"ar": 200 / 3, "de": 0})
    assert result["mewslix"]["avg_map@20"] == approx(100 / 3)
    assert result["mewslix"]["avg_metric"] == approx(100 / 3)
    assert result["classification"] == approx((62.5 + 75) / 2)  # XNLI and XCOPA
    assert result["multi_choice"] == approx(75)
    assert result["retrieval"] == approx((65 + 100 / 3) / 2)  # Tatoeba and Mewsli-X
    # no lareqa folder: no all_task, every group
    assert "all_task" not in result and "lareqa" not in result
    assert list(result)[:5] == ["classification", "tagging", "qa", "retrieval", "multi_choice"]

    # LAReQA (evaluate.py lists it with no language or reader, so it cannot score it): a line
    # per question, its id and ranked candidates; labels its answers. ar: q1 finds c1, c3 at
    # ranks 1 and 3, AP (1 + 2/3) / 2; q2 finds c4 at rank 2, AP 1/2; de: q1 misses, AP 0
    lareqa = {
        "ar": ("q1\tc1\tc2\tc3\nq2\tx\tc4\n", "q1\tc1\tc3\nq2\tc4\n"),
        "de": ("q1\tc9\n", "q1\tc1\n"),
    }
    for lang, files in lareqa.items():
        for side, text in zip((predictions, labels), files, strict=True):
            (side / "lareqa").mkdir(exist_ok=True)
            (side / "lareqa" / f"test-{lang}.tsv").write_text(text, encoding="utf-8")
    result = score.score_folder(predictions, labels, "xtreme-r")
    ar = (5 / 6 + 1 / 2) / 2 * 100
    assert result["lareqa"]["map@20"] == approx({"ar": ar, "de": 0})
    assert result["lareqa"]["avg_metric"] == approx(ar / 2)
    # all ten tasks there: the XTREME-R average over them
    tasks = BENCHMARKS["xtreme-r"].tasks
    assert len(tasks) == 10
    assert result["all_task"] == approx(sum(result[t]["avg_metric"] for t in tasks) / 10)
    (predictions / "lareqa/test-de.tsv").write_text("q2\tc1\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"ranks 1 questions .* has 1, not the same ones"):
        score.score_folder(predictions, labels, "xtreme-r")


def test_perfect_submission_on_the_full_table(tmp_path):
    for task, langs in BENCHMARKS["xtreme"].languages.items():
        gold = next(iter(DATA[task].values()))[1]
        perfect = {q: answers[0] for q, answers in gold.items()} if task in QA else gold
        write_task(tmp_path, task, {lang: (perfect, gold) for lang in langs})
    result = score.score_folder(tmp_path / "predictions", tmp_path / "labels", "xtreme")
    assert result["all_task"] == 100.0
    assert all(result[group] == 100.0 for group in ("classification", "tagging", "qa"))
    xnli = "ar bg de el en es fr hi ru sw th tr ur vi zh".split()  # evaluate.py's list
    assert list(result["xnli"]["accuracy"]) == xnli
    assert len(result["panx"]["f1"]) == 40


def test_cli_end_to_end(xtreme, tmp_path, capsys):
    predictions, labels = xtreme
    out = tmp_path / "scores.json"
    argv = ["score", "--predictions", str(predictions), "--labels", str(labels)]
    assert main([*argv, "--benchmark", "xtreme", "--output_file", str(out), "--verbose"]) == 0
    captured = capsys.readouterr()
    expected = score.score_folder(predictions, labels, "xtreme")
    assert json.loads(captured.out) == expected
    assert out.read_text() == json.dumps(expected, indent=2) == captured.out.rstrip("\n")
    # --verbose: evaluate.py's per-task line, on stderr
    assert "- Evaluate xnli:\tavg_accuracy=62.5, avg_metric=62.5\n" in captured.err

    # evaluate.py's own flag names
    legacy = ["score", "--prediction_folder", str(predictions), "--label_folder", str(labels)]
    assert main([*legacy, "--xtreme_version", "xtreme"]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_missing_prediction_file(xtreme, capsys):
    predictions, labels = xtreme
    (predictions / "xnli" / "test-bg.tsv").unlink()
    with pytest.raises(UserError, match=r"xnli/test-bg\.tsv is missing; add the predictions"):
        score.score_folder(predictions, labels, "xtreme")
    argv = ["score", "--predictions", str(predictions), "--labels", str(labels)]
    assert main([*argv, "--benchmark", "xtreme"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("xstilts: ") and captured.err.count("\n") == 1
    assert "or remove the xnli folder." in captured.err


def test_input_errors(xtreme, tmp_path):
    predictions, labels = xtreme
    with pytest.raises(UserError, match="predictions folder .* does not exist"):
        score.score_folder(tmp_path / "nowhere", labels, "xtreme")
    (predictions / "xnli" / "test-ar.tsv").write_text("entailment\nneutral\nneutral\n")
    with pytest.raises(UserError, match="has 3 examples but .*test-ar.tsv has 4"):
        score.score_folder(predictions, labels, "xtreme")
    write_task(tmp_path, "xnli", DATA["xnli"])
    (predictions / "panx" / "test-he.tsv").write_text("B-ORG\n\nB-PER\nO\n")
    with pytest.raises(UserError, match="he.tsv: sentence 0: 1 predicted tags for 2 words"):
        score.score_folder(predictions, labels, "xtreme")
