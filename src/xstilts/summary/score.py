"""Score a submission folder as google-research/xtreme's ``evaluate.py`` does.

Both folders hold ``<task>/test-<lang>.<suffix>`` files (the XTREME submission layout). Every
task that has a folder on both sides is scored in every language of the benchmark table
(:mod:`xstilts.benchmarks`); the result is the dict ``evaluate.py --output_file`` writes: the
benchmark score ``all_task`` and the group scores (each only when all of its tasks were scored),
then per task ``{metric: {lang: value}}``, ``avg_<metric>`` and ``avg_metric``.

Read (not copied) from ``evaluate.py`` @ da430dd06cc7344ceb2e7cb030219656ebf0606a (with
``--xtreme_version`` and ``--output_file``; the XTREME-only versions @ 0918248 and b5d31e7 do the
same for the nine XTREME tasks): ``read_tag``, ``read_label``, ``read_squad``, ``read_xcopa``,
the metric functions, ``evaluate_one_task``, ``evaluate`` and ``__main__``; QA gold is walked as
``third_party/evaluate_squad.py`` / ``evaluate_mlqa.py`` do (data → paragraphs → qas →
answers[].text), Mewsli-X as ``third_party/utils_mewslix.py``. The metrics themselves are
:mod:`xstilts.metrics`' (same arithmetic, same floats).

Deliberate differences, all where ``evaluate.py`` gives no result:

* Where it crashes (a folder or file missing, different numbers of examples, an empty file,
  malformed JSON, tags that do not line up) a :class:`~xstilts.errors.UserError` says which
  file and the fix.
* Mewsli-X gets ``avg_metric`` = ``avg_map@20``; ``evaluate.py`` sets none for it, so its
  XTREME-R ``retrieval`` and ``all_task`` scores fail (TypeError) instead of being reported.
* LAReQA has no languages, reader or metric in ``evaluate.py``, which therefore cannot score
  it; here it is scored in XQuAD-R's 11 languages from xstilts's files (a line per question:
  its id, then its ranked candidate ids, or in the labels its answer ids, tab-separated) with
  ``third_party/utils_lareqa.py``'s mAP@20, so the XTREME-R ``all_task`` covers all tasks.
* ``all_task`` sums the tasks in table order; ``evaluate.py`` sums them in ``set`` order, which
  varies between runs in the last bits.
* A question id repeated in a QA gold file is a UserError (``evaluate.py`` scores it twice).

Where ``evaluate.py`` scores silently, the score is kept and a line on stderr says what was
dropped or counted as wrong: a file in a task folder that is no language of the benchmark (not
read), classification predictions outside the gold labels, Tatoeba lines that are no integer,
BUCC lines without a tab (all wrong, as ``evaluate.py`` counts them).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xstilts.benchmarks import BENCHMARKS, TASKS, Benchmark
from xstilts.errors import UserError
from xstilts.metrics.qa import mlqa, squad_v1
from xstilts.metrics.ranking import mean_average_precision, mean_reciprocal_rank
from xstilts.metrics.retrieval import bucc_f1
from xstilts.metrics.tagging import seqeval_scores

# The per-language metrics whose averages make a task's avg_metric, by metric kind.
_AVG_METRIC_PARTS: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy",),
    "seqeval": ("f1",),
    "bucc_f1": ("f1",),
    "squad": ("exact_match", "f1"),
    "mlqa": ("exact_match", "f1"),
    "map@20": ("map@20",),
}


def benchmark_table(name: str) -> Benchmark:
    """The table of benchmark ``name`` ("xtreme" or "xtreme-r")."""
    if name not in BENCHMARKS:
        raise UserError(f"unknown benchmark {name!r}; use one of {', '.join(BENCHMARKS)}.")
    return BENCHMARKS[name]


def avg_metric_parts(task: str) -> tuple[str, ...]:
    """The per-language metrics whose language averages, averaged, make ``task``'s
    ``avg_metric``: exact_match and f1 for QA, f1 for tagging and BUCC, accuracy for
    classification and Tatoeba, map@20 for Mewsli-X and LAReQA."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    return _AVG_METRIC_PARTS[TASKS[task].metric]


# ---- reading ------------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    # Iterating the open file splits lines as evaluate.py does (str.splitlines splits on more).
    try:
        with path.open(encoding="utf-8") as file:
            return list(file)
    except UnicodeDecodeError as err:
        raise UserError(f"{path} is not UTF-8 text ({err.reason}); save it as UTF-8.") from err


def read_label(path: Path) -> list[str]:
    """One example per line, stripped (evaluate.py ``read_label``)."""
    return [line.strip() for line in _lines(path)]


def read_tag(path: Path) -> list[list[str]]:
    """One tag per line, a blank line after each sentence (evaluate.py ``read_tag``: every
    blank line closes a sentence, even an empty one; a last sentence needs no blank line)."""
    sentences: list[list[str]] = []
    sentence: list[str] = []
    for line in _lines(path):
        if line.strip():
            sentence.append(line.strip())
        else:
            sentences.append(sentence)
            sentence = []
    if sentence:
        sentences.append(sentence)
    return sentences


def read_json(path: Path) -> Any:
    """A JSON document, or its ``"data"`` value when it has one (evaluate.py ``read_squad``)."""
    try:
        doc = json.loads("".join(_lines(path)))
    except json.JSONDecodeError as err:
        raise UserError(
            f"{path} is not valid JSON ({err.msg} at line {err.lineno}); rewrite the file."
        ) from err
    return doc["data"] if isinstance(doc, dict) and "data" in doc else doc


def squad_answers(articles: Any, path: Path) -> dict[str, list[str]]:
    """{question id: gold answer texts} from SQuAD-format articles (data → paragraphs → qas →
    answers[].text), as the SQuAD v1.1 and MLQA scripts walk them; ``path`` names the file in
    errors."""
    answers: dict[str, list[str]] = {}
    try:
        for article in articles:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    if qa["id"] in answers:
                        raise UserError(
                            f"{path} repeats question id {qa['id']!r}; give each question "
                            "a unique id."
                        )
                    answers[qa["id"]] = [answer["text"] for answer in qa["answers"]]
    except (KeyError, TypeError) as err:
        raise UserError(
            f"{path} is not SQuAD-format gold (data → paragraphs → qas → id, answers → text); "
            "rewrite it in that format."
        ) from err
    return answers


def read_squad(path: Path) -> dict[str, list[str]]:
    """A SQuAD-format gold file as {question id: gold answer texts}."""
    return squad_answers(read_json(path), path)


def read_xcopa(path: Path) -> list[Any]:
    """The ``"label"`` of each JSON line (evaluate.py ``read_xcopa``)."""
    labels = []
    for number, line in enumerate(_lines(path), start=1):
        try:
            labels.append(json.loads(line)["label"])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise UserError(
                f'{path} line {number} is not a JSON object with a "label"; write one such '
                "object per line."
            ) from err
    return labels


def read_ranking(path: Path) -> dict[str, list[str]]:
    """{query id: ids} from a line per query, its id and then ids, tab-separated (xstilts's
    LAReQA predictions, ranked, and labels, the answers)."""
    ranking: dict[str, list[str]] = {}
    for number, line in enumerate(_lines(path), start=1):
        query, *ids = line.rstrip("\n").split("\t")
        if not query or query in ranking:
            raise UserError(
                f"{path} line {number} has {'no' if not query else 'a repeated'} query id; "
                "write a line per query: its id, then its candidate ids, tab-separated."
            )
        ranking[query] = ids
    return ranking


_READERS = {
    "label": read_label,
    "tag": read_tag,
    "json": read_json,
    "xcopa": read_xcopa,
    "ranking": read_ranking,
}


# ---- scoring ------------------------------------------------------------------------------------


def warn(message: str) -> None:
    """A line on stderr for what is scored as evaluate.py scores it but a user would not expect
    (the score is kept; stdout stays the JSON)."""
    print(f"xstilts: {message}", file=sys.stderr)


def _examples(lines: list[str], limit: int = 2) -> str:
    return ", ".join(repr(line) for line in lines[:limit])


def _check_predictions(task: str, predictions: list, gold: list, path: Path) -> None:
    """Say which predictions evaluate.py counts as wrong whatever the gold: a label outside the
    gold's, a Tatoeba line that is no integer index, a BUCC line that is no pair."""
    if task == "tatoeba":
        bad = [p for p in predictions if not str(p).strip().lstrip("-").isdigit()]
        if bad:
            warn(
                f"{len(bad)} of {len(predictions)} lines of {path} are not an integer (the index "
                f"of an English sentence), such as {_examples(bad)}: scored as wrong, as "
                "evaluate.py does"
            )
    elif TASKS[task].metric == "accuracy":
        labels = set(gold)
        bad = [p for p in predictions if p not in labels]
        if bad:
            shown = ", ".join(repr(label) for label in sorted(labels, key=str)[:10])
            warn(
                f"{len(bad)} of {len(predictions)} predictions in {path} are none of the gold "
                f"labels ({shown}), such as {_examples(bad)}: scored as wrong, as evaluate.py "
                "does"
            )


def _accuracy(predictions: list, gold: list) -> dict[str, float]:
    # evaluate.py's own arithmetic, correct / n * 100: xstilts.metrics.classification.accuracy
    # computes 100 * correct / n, which differs in the last bit (1/3: ...33 against ...336).
    correct = sum(p == g for p, g in zip(predictions, gold, strict=True))
    return {"accuracy": correct / len(predictions) * 100}


def _bucc(
    predictions: list[str], gold: list[str], pred_path: Path, gold_path: Path
) -> dict[str, float]:
    for lines, path in ((predictions, pred_path), (gold, gold_path)):
        bad = [line for line in lines if line and "\t" not in line]
        if bad:
            warn(
                f"{len(bad)} of {len(lines)} lines of {path} have no tab (a pair is '<source "
                f"id><TAB><English id>'), such as {_examples(bad)}: they match no pair, as in "
                "evaluate.py"
            )
    scores = bucc_f1(
        (tuple(p.split("\t")) for p in predictions), (tuple(g.split("\t")) for g in gold)
    )
    if scores["f1"] == 0:  # evaluate.py returns the int 0 then: the JSON reads 0, not 0.0
        return dict.fromkeys(scores, 0)
    return scores


def _object(doc: Any, path: Path, values: type, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict) or not all(isinstance(v, values) for v in doc.values()):
        raise UserError(f"{path} must hold one JSON object mapping {what}; rewrite it so.")
    return doc


def score_files(
    task: str, prediction_file: str | Path, label_file: str | Path, language: str
) -> dict[str, float]:
    """One language of one task: evaluate.py's ``evaluate_one_task`` (metric → value)."""
    pred_path, gold_path = Path(prediction_file), Path(label_file)
    spec = TASKS[task]
    read = _READERS[spec.reader]
    predictions, gold = read(pred_path), read(gold_path)
    if spec.metric in ("accuracy", "seqeval"):
        if len(predictions) != len(gold):
            unit = "sentence" if spec.reader == "tag" else "example"
            raise UserError(
                f"{pred_path} has {len(predictions)} {unit}s but {gold_path} has {len(gold)}; "
                f"write one prediction per gold {unit}, in the gold order."
            )
        if not gold:
            raise UserError(f"{gold_path} and {pred_path} are empty; there is nothing to score.")
    if spec.metric == "accuracy":
        _check_predictions(task, predictions, gold, pred_path)
    try:
        if spec.metric == "accuracy":
            return _accuracy(predictions, gold)
        if spec.metric == "seqeval":
            return seqeval_scores(predictions, gold)
        if spec.metric == "bucc_f1":
            return _bucc(predictions, gold, pred_path, gold_path)
        if spec.reader == "ranking":
            if not gold:
                raise UserError(f"{gold_path} is empty; there is nothing to score.")
            if set(predictions) != set(gold):
                missing = sorted(set(gold) - set(predictions))[:3]
                extra = sorted(set(predictions) - set(gold))[:3]
                raise UserError(
                    f"{pred_path} ranks {len(predictions)} questions and {gold_path} has "
                    f"{len(gold)}, not the same ones (without a line: {missing}; not in the "
                    f"labels: {extra}); write a line for every question of the labels, and no "
                    "other."
                )
            ranked = [predictions[q] for q in gold]
            return {"map@20": mean_average_precision(list(gold.values()), ranked)}
        if spec.metric == "map@20":
            gold = _object(gold, gold_path, list, "mention ids to [gold entity id]")
            predictions = _object(predictions, pred_path, list, "mention ids to entity id lists")
            return {"map@20": mean_reciprocal_rank(gold, predictions)}
        answers = squad_answers(gold, gold_path)
        predictions = _object(predictions, pred_path, str, "question ids to answer texts")
        if spec.metric == "mlqa":
            return mlqa(predictions, answers, language)
        return squad_v1(predictions, answers)
    except ValueError as err:
        raise UserError(
            f"cannot score {pred_path} against {gold_path}: {err}; fix the files so they match."
        ) from err


def task_summary(task: str, per_language: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """evaluate.py's per-task dict from {lang: {metric: value}} (languages in table order):
    ``{metric: {lang: value}}`` for each metric, then ``avg_<metric>`` (plain mean over the
    languages that have it), then ``avg_metric`` (mean of the :func:`avg_metric_parts`
    averages; left out when one is missing, e.g. no language at all)."""
    summary: dict[str, Any] = {}
    for lang, metrics in per_language.items():
        for metric, value in metrics.items():
            summary.setdefault(metric, {})[lang] = value
    summary.update({f"avg_{m}": sum(v.values()) / len(v) for m, v in summary.items()})
    parts = [f"avg_{metric}" for metric in avg_metric_parts(task)]
    if all(part in summary for part in parts):
        summary["avg_metric"] = sum(summary[part] for part in parts) / len(parts)
    return summary


def score_task(
    task: str, predictions_dir: str | Path, labels_dir: str | Path, benchmark: str
) -> dict[str, Any]:
    """One task in all of its benchmark languages (every file must exist), summarised."""
    languages = benchmark_table(benchmark).languages[task]
    suffix = TASKS[task].suffix
    expected = {f"test-{lang}.{suffix}" for lang in languages}
    folder = Path(predictions_dir, task)  # the labels may hold more (another benchmark's)
    others = sorted(p.name for p in folder.iterdir() if p.name not in expected)
    if others:
        warn(
            f"{folder} has {len(others)} file(s) that are not scored, {_examples(others, 3)}: "
            f"{benchmark} scores {task} in {' '.join(languages)} (files test-<lang>.{suffix})"
        )
    per_language = {}
    for lang in languages:
        name = f"test-{lang}.{suffix}"
        pred_file, label_file = Path(predictions_dir, task, name), Path(labels_dir, task, name)
        for path, side in ((pred_file, "predictions"), (label_file, "gold labels")):
            if not path.is_file():
                raise UserError(
                    f"{path} is missing; add the {side} of every {task} language "
                    f"({' '.join(languages)}) or remove the {task} folder."
                )
        per_language[lang] = score_files(task, pred_file, label_file, lang)
    return task_summary(task, per_language)


def overall_scores(detailed: Mapping[str, Mapping[str, Any]], benchmark: str) -> dict[str, float]:
    """``all_task`` and the group scores (in table order) from per-task dicts: each the mean of
    its tasks' ``avg_metric``, present only when every one of its tasks is in ``detailed``."""
    table = benchmark_table(benchmark)
    scores = {}
    for key, tasks in [("all_task", table.tasks), *table.groups.items()]:
        if not all(task in detailed for task in tasks):
            continue
        for task in tasks:
            if "avg_metric" not in detailed[task]:
                raise UserError(
                    f"the {key} score needs the avg_metric of {task}, which has none because "
                    f"no {task} language was scored; remove the {task} folder to get the "
                    "other scores."
                )
        scores[key] = sum(detailed[task]["avg_metric"] for task in tasks) / len(tasks)
    return scores


def score_folder(
    predictions_dir: str | Path, labels_dir: str | Path, benchmark: str
) -> dict[str, Any]:
    """The whole ``evaluate.py --output_file`` dict: overall and group scores, then every task
    with a folder in both ``predictions_dir`` and ``labels_dir``, in table order."""
    table = benchmark_table(benchmark)
    found = []
    for folder, side in ((Path(predictions_dir), "predictions"), (Path(labels_dir), "labels")):
        if not folder.is_dir():
            raise UserError(f"{side} folder {folder} does not exist; give an existing folder.")
        found.append({path.name for path in folder.iterdir() if path.is_dir()})
    predicted, gold = found
    unknown = sorted(predicted - set(TASKS))
    if unknown:
        raise UserError(
            f"predictions folder {predictions_dir} has a folder {unknown[0]}, which is no task of "
            f"XTREME or XTREME-R (task folders: {', '.join(TASKS)}); rename or remove it."
        )
    unlabelled = sorted(t for t in predicted & set(table.tasks) if t not in gold)
    if unlabelled:
        raise UserError(
            f"labels folder {labels_dir} has no {unlabelled[0]} folder for the predictions of "
            f"{unlabelled[0]}; give the labels folder of the same grid (results/labels)."
        )
    others = sorted(predicted - set(table.tasks))
    if others:  # an XTREME-R submission scored as XTREME: said, not silently dropped
        other = next(b for b in BENCHMARKS if b != benchmark)
        print(
            f"xstilts: {', '.join(others)} {'is' if len(others) == 1 else 'are'} not scored: no "
            f"task of {benchmark} (score with --benchmark {other})",
            file=sys.stderr,
        )
    detailed = {
        task: score_task(task, predictions_dir, labels_dir, benchmark)
        for task in table.tasks
        if task in predicted and task in gold
    }
    if not detailed:
        raise UserError(
            f"predictions folder {predictions_dir} holds no task folder of {benchmark} "
            f"({', '.join(table.tasks)}): there is nothing to score; give a folder in the XTREME "
            "layout (<task>/test-<lang>.<ext>), such as results/submission/<model>/seed<n>/best."
        )
    return {**overall_scores(detailed, benchmark), **detailed}
