"""Extractive-QA metrics (exact match, token F1; in percent) as the official scripts compute them.

Every definition here reproduces, behaviour for behaviour, one of these official scripts (read
from the copies named; the code is rewritten, not copied):

* SQuAD v1.1 -- google-research/xtreme ``third_party/evaluate_squad.py`` (read from the fork
  yuhsinchan/xtreme, same path), itself rajpurkar's / allenai bi-att-flow ``evaluate-v1.1.py``:
  ``normalize_answer`` -> :func:`normalize_squad`, ``exact_match_score`` ->
  :func:`squad_v1_exact`, ``f1_score`` -> :func:`squad_v1_f1`, ``metric_max_over_ground_truths``
  and ``evaluate`` -> :func:`squad_v1`. xtreme's ``evaluate.py`` scores XQuAD and TyDiQA-GoldP
  with this script whatever the language.
* SQuAD v2.0 -- the official ``evaluate-v2.0.py`` (read from the copy
  Aftaab99/Context-based-QnA-system ``evaluate-v2.0.py``): ``normalize_answer`` (the same as
  v1.1's), ``get_tokens``, ``compute_exact`` -> :func:`squad_v2_exact`, ``compute_f1`` ->
  :func:`squad_v2_f1`, ``get_raw_scores``, ``make_qid_to_has_ans``, ``make_eval_dict`` and
  ``merge_eval`` -> :func:`squad_v2`; with a no-answer probability per question (the script's
  ``--na-prob-file``), ``apply_no_ans_threshold`` and ``find_best_thresh`` /
  ``find_all_best_thresh`` (``best_exact``, ``best_f1`` and their thresholds) too, which jiant
  (``jiant/tasks/lib/templates/squad_style/utils.py``, copied from the same script) reports as
  SQuAD 2.0's major metric ``(best_f1 + best_exact) / 2`` (``jiant/tasks/evaluate/core.py``,
  ``SQuADEvaluationScheme``). The precision-recall curves are left out.
* MLQA -- facebookresearch/MLQA ``mlqa_evaluation_v1.py``, which google-research/xtreme ships
  unchanged (but for its ``__main__``) as ``third_party/evaluate_mlqa.py`` (read from the fork
  cindyxinyiwang/xtreme, same path): ``PUNCT``, ``WHITESPACE_LANGS``,
  ``MIXED_SEGMENTATION_LANGS``, ``mixed_segmentation``, ``normalize_answer(s, lang)`` ->
  :func:`normalize_mlqa`, ``exact_match_score`` / ``f1_score`` -> :func:`mlqa_exact` /
  :func:`mlqa_f1`, ``evaluate`` -> :func:`mlqa`. xtreme's ``evaluate.py`` scores MLQA with it.

Quirks of the official scripts that are kept on purpose:

* Normalisation order is lower-case, drop punctuation, drop articles, collapse whitespace; so
  ``"a-b"`` becomes ``"ab"`` and ``"the."`` becomes ``""``.
* SQuAD drops only ``string.punctuation`` (ASCII); MLQA drops every Unicode ``P*`` character
  plus ``string.punctuation`` (which adds the ASCII symbols ``$+<=>^`|~``). The set depends on
  the Unicode version of the running Python, as it does for the official script.
* v1.1 and MLQA F1 is 0 whenever no token is shared -- even when both sides normalise to
  nothing, where exact match is 1 (prediction ``"the"``, gold ``"a"``: EM 1, F1 0). v2.0 instead
  gives F1 ``int(gold_tokens == pred_tokens)`` when either side has no token.
* v2.0 drops gold answers that normalise to ``""`` and, if none is left, scores against ``[""]``;
  but HasAns/NoAns is decided by whether the raw answer list is empty.
* MLQA Arabic removes *every* ``"ال"``, even inside a word (the regex's first alternative,
  ``\\sال^``, can never match: ``^`` cannot follow consumed characters), so ``"مالك"`` becomes
  ``"م ك"``. The Vietnamese list removes ``của`` ("of") and ``là`` ("is") as if articles.
* MLQA Chinese splits each character of U+4E00..U+9FA5 (not the whole CJK block) into its own
  token; other characters are split on whitespace.
* Sums run in question order with the same operations (``+=`` for v1.1/MLQA, ``sum()`` for v2.0)
  so the floats are bit-identical to the scripts'.

Where the scripts fail rather than score, these functions raise ``ValueError`` instead: no gold
questions (ZeroDivisionError there), a v1.1/MLQA question without gold answers (``max()`` of
nothing there), an unknown MLQA language. A question missing from the predictions scores 0 and
is logged once per call (v1.1 and MLQA print "Unanswered question ... will receive score 0.");
the v2.0 script would instead leave it out of the overall mean and then fail with a KeyError on
the HasAns/NoAns means, so it gets the same 0 here.
"""

from __future__ import annotations

import functools
import logging
import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

log = logging.getLogger("xstilts")

__all__ = [
    "MLQA_LANGUAGES",
    "mlqa_punctuation",
    "mlqa",
    "mlqa_exact",
    "mlqa_f1",
    "normalize_mlqa",
    "normalize_squad",
    "squad_v1",
    "squad_v1_exact",
    "squad_v1_f1",
    "squad_v2",
    "squad_v2_exact",
    "squad_v2_f1",
]

# ---- shared -------------------------------------------------------------------------------------


def _token_f1(pred_tokens: Sequence[str], gold_tokens: Sequence[str]) -> float:
    """Bag-of-tokens F1 with the scripts' arithmetic; 0 when no token is shared."""
    num_same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_tokens)
    recall = num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _check_answers(qid: str, answers: Sequence[str]) -> None:
    if isinstance(answers, str):
        raise TypeError(f"gold answers of question {qid!r} must be a list of strings, not a str")


def _max_over_gold(
    predictions: Mapping[str, str],
    gold: Mapping[str, Sequence[str]],
    exact: Callable[[str, str], bool],
    f1: Callable[[str, str], float],
) -> dict[str, float]:
    """v1.1/MLQA ``evaluate``: per question the best score over its gold answers, then the mean
    over all gold questions (a missing prediction adds 0), times 100."""
    if not gold:
        raise ValueError("no gold questions to score")
    exact_total = 0
    f1_total = 0.0
    missing = []
    for qid, answers in gold.items():
        _check_answers(qid, answers)
        if not answers:
            raise ValueError(f"question {qid!r} has no gold answer")
        if qid not in predictions:
            missing.append(qid)
            continue
        prediction = predictions[qid]
        exact_total += max(exact(prediction, answer) for answer in answers)
        f1_total += max(f1(prediction, answer) for answer in answers)
    _log_missing(missing, len(gold))
    return {
        "exact_match": 100.0 * exact_total / len(gold),
        "f1": 100.0 * f1_total / len(gold),
    }


def _log_missing(missing: list[str], total: int) -> None:
    if missing:
        shown = ", ".join(repr(q) for q in missing[:5]) + (", ..." if len(missing) > 5 else "")
        log.warning(
            "%d of %d questions have no prediction and score 0: %s", len(missing), total, shown
        )


# ---- SQuAD v1.1 / v2.0 --------------------------------------------------------------------------

_SQUAD_DROP_PUNCT = str.maketrans("", "", string.punctuation)
_EN_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_squad(text: str) -> str:
    """SQuAD ``normalize_answer``: lower-case, drop ASCII punctuation, replace the words
    a/an/the by a space, collapse whitespace (the same function in v1.1 and v2.0)."""
    text = text.lower().translate(_SQUAD_DROP_PUNCT)
    return " ".join(_EN_ARTICLES.sub(" ", text).split())


def squad_v1_exact(prediction: str, ground_truth: str) -> bool:
    """v1.1 ``exact_match_score``: normalised strings are equal."""
    return normalize_squad(prediction) == normalize_squad(ground_truth)


def squad_v1_f1(prediction: str, ground_truth: str) -> float:
    """v1.1 ``f1_score``: token F1 of the normalised strings, 0 when no token is shared."""
    return _token_f1(normalize_squad(prediction).split(), normalize_squad(ground_truth).split())


def squad_v1(predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """SQuAD v1.1 ``evaluate``: ``{"exact_match", "f1"}`` in percent, averaged over the gold
    question ids, each scored against the best of its gold answers; a question without a
    prediction scores 0. Predictions for ids not in ``gold`` are ignored."""
    return _max_over_gold(predictions, gold, squad_v1_exact, squad_v1_f1)


def squad_v2_exact(prediction: str, ground_truth: str) -> int:
    """v2.0 ``compute_exact``: 1 if the normalised strings are equal, else 0."""
    return int(normalize_squad(ground_truth) == normalize_squad(prediction))


def squad_v2_f1(prediction: str, ground_truth: str) -> float:
    """v2.0 ``compute_f1``: token F1, except that when either side has no token it is 1 if both
    have none and 0 otherwise."""
    gold_tokens = normalize_squad(ground_truth).split()
    pred_tokens = normalize_squad(prediction).split()
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    return _token_f1(pred_tokens, gold_tokens)


def squad_v2(
    predictions: Mapping[str, str],
    gold: Mapping[str, Sequence[str]],
    na_probs: Mapping[str, float] | None = None,
    na_prob_thresh: float = 1.0,
) -> dict[str, float]:
    """SQuAD v2.0 evaluation, in percent, as the official ``evaluate-v2.0.py``.

    ``gold[qid]`` is the list of answer texts, ``[]`` for an unanswerable question; a predicted
    no-answer is ``""``. Returns ``exact_match`` and ``f1`` over all gold questions, plus
    ``HasAns_exact_match``/``HasAns_f1`` (questions whose answer list is non-empty) and
    ``NoAns_exact_match``/``NoAns_f1`` (empty list) when that subset is non-empty.

    With ``na_probs`` (question id → the score that it has no answer: the script's na_prob
    file), a question whose ``na_probs`` is above ``na_prob_thresh`` counts as answered "" in
    those metrics (``apply_no_ans_threshold``), and ``best_exact_match`` / ``best_f1`` are the
    scores at the threshold that maximises each, with ``best_exact_thresh`` /
    ``best_f1_thresh`` (``find_best_thresh``: questions in rising ``na_probs``, each in turn
    answered with its prediction rather than "", the best running total kept; ties keep the
    lower threshold, and the start, every question "", has threshold 0.0).
    """
    if not gold:
        raise ValueError("no gold questions to score")
    exact_scores: dict[str, int] = {}
    f1_scores: dict[str, float] = {}
    has_answer: dict[str, bool] = {}
    missing = []
    for qid, answers in gold.items():
        _check_answers(qid, answers)
        has_answer[qid] = bool(answers)
        # answers that normalise to nothing are dropped; with none left, only "" is right
        answers = [a for a in answers if normalize_squad(a)] or [""]
        if qid not in predictions:
            missing.append(qid)
            exact_scores[qid], f1_scores[qid] = 0, 0.0
            continue
        prediction = predictions[qid]
        exact_scores[qid] = max(squad_v2_exact(prediction, a) for a in answers)
        f1_scores[qid] = max(squad_v2_f1(prediction, a) for a in answers)
    _log_missing(missing, len(gold))
    raw_exact, raw_f1 = exact_scores, f1_scores
    if na_probs is not None:  # apply_no_ans_threshold
        exact_scores = _no_answer_threshold(raw_exact, na_probs, has_answer, na_prob_thresh)
        f1_scores = _no_answer_threshold(raw_f1, na_probs, has_answer, na_prob_thresh)

    result = {
        "exact_match": 100.0 * sum(exact_scores.values()) / len(exact_scores),
        "f1": 100.0 * sum(f1_scores.values()) / len(f1_scores),
    }
    for prefix, wanted in (("HasAns", True), ("NoAns", False)):
        qids = [qid for qid, has in has_answer.items() if has is wanted]
        if qids:
            result[f"{prefix}_exact_match"] = 100.0 * sum(exact_scores[q] for q in qids) / len(qids)
            result[f"{prefix}_f1"] = 100.0 * sum(f1_scores[q] for q in qids) / len(qids)
    if na_probs is not None:  # find_all_best_thresh
        for name, raw in (("exact", raw_exact), ("f1", raw_f1)):
            best, thresh = _best_threshold(predictions, raw, na_probs, has_answer)
            result["best_exact_match" if name == "exact" else "best_f1"] = best
            result[f"best_{name}_thresh"] = thresh
    return result


def _no_answer_threshold(
    scores: dict[str, float], na_probs: Mapping[str, float], has_answer: dict[str, bool], thresh
) -> dict[str, float]:
    """v2.0 ``apply_no_ans_threshold``: a question whose na_prob is above ``thresh`` scores 1
    if it has no answer, else 0; the others (and a question without a prediction, which the
    script leaves out and this module scores 0) keep their score."""
    return {
        qid: float(not has_answer[qid]) if qid in na_probs and na_probs[qid] > thresh else score
        for qid, score in scores.items()
    }


def _best_threshold(
    predictions: Mapping[str, str],
    scores: dict[str, float],
    na_probs: Mapping[str, float],
    has_answer: dict[str, bool],
) -> tuple[float, float]:
    """v2.0 ``find_best_thresh``: start from every question answered "" (the unanswerable ones
    right), then take the questions in rising na_prob (a stable sort), each now answered with
    its prediction: an answerable one adds its score, an unanswerable one loses 1 if its
    prediction is not "". The best running total (strictly better only) and the na_prob at
    which it was reached; the score in percent of all scored questions."""
    current = best = sum(1 for has in has_answer.values() if not has)
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if has_answer[qid]:
            diff = scores[qid]
        else:
            diff = -1 if predictions.get(qid) else 0
        current += diff
        if current > best:
            best, best_thresh = current, na_probs[qid]
    return 100.0 * best / len(scores), best_thresh


# ---- MLQA ---------------------------------------------------------------------------------------


@functools.cache
def mlqa_punctuation() -> frozenset[str]:
    """The official set: every code point below sys.maxunicode whose category starts with "P",
    plus string.punctuation. One pass over the code space (about 0.1 s), done on first use."""
    category = unicodedata.category
    found = (c for c in map(chr, range(sys.maxunicode)) if category(c)[0] == "P")
    return frozenset(found).union(string.punctuation)


@functools.cache
def _mlqa_drop_punct() -> dict[int, None]:
    return dict.fromkeys(map(ord, mlqa_punctuation()))


# Article patterns per answer language, None where the script leaves the text as it is.
_MLQA_ARTICLES: dict[str, re.Pattern[str] | None] = {
    "en": _EN_ARTICLES,
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "hi": None,
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": re.compile(r"\sال^|ال"),
    "zh": None,
}
MLQA_LANGUAGES: tuple[str, ...] = tuple(_MLQA_ARTICLES)
_WHITESPACE_LANGS = frozenset({"en", "es", "hi", "vi", "de", "ar"})
_MIXED_SEGMENTATION_LANGS = frozenset({"zh"})


def _check_lang(lang: str) -> None:
    if lang not in _MLQA_ARTICLES:
        raise ValueError(
            f"unknown MLQA language {lang!r}; expected one of {', '.join(MLQA_LANGUAGES)}"
        )


def _mixed_segmentation(text: str) -> list[str]:
    """MLQA ``mixed_segmentation``: each character in U+4E00..U+9FA5 or in the punctuation set
    is a token of its own; the text between them is split on whitespace."""
    tokens: list[str] = []
    start = 0
    punctuation = mlqa_punctuation()
    for i, char in enumerate(text):
        if "\u4e00" <= char <= "\u9fa5" or char in punctuation:
            tokens.extend(text[start:i].split())
            tokens.append(char)
            start = i + 1
    tokens.extend(text[start:].split())
    return tokens


def normalize_mlqa(text: str, lang: str) -> str:
    """MLQA ``normalize_answer(s, lang)``: lower-case, drop Unicode punctuation, remove the
    language's articles, then re-tokenise (whitespace, or mixed segmentation for ``zh``) and
    join the tokens with single spaces. Raises ``ValueError`` for a language MLQA lacks."""
    _check_lang(lang)
    text = text.lower().translate(_mlqa_drop_punct())
    articles = _MLQA_ARTICLES[lang]
    if articles is not None:
        text = articles.sub(" ", text)
    tokens = _mixed_segmentation(text) if lang in _MIXED_SEGMENTATION_LANGS else text.split()
    # (the script also drops tokens that are blank after strip(); neither tokeniser makes any)
    return " ".join(tokens)


def mlqa_exact(prediction: str, ground_truth: str, lang: str) -> bool:
    """MLQA ``exact_match_score``: normalised strings are equal."""
    return normalize_mlqa(prediction, lang) == normalize_mlqa(ground_truth, lang)


def mlqa_f1(prediction: str, ground_truth: str, lang: str) -> float:
    """MLQA ``f1_score``: token F1 of the normalised strings, 0 when no token is shared."""
    return _token_f1(
        normalize_mlqa(prediction, lang).split(), normalize_mlqa(ground_truth, lang).split()
    )


def mlqa(
    predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]], lang: str
) -> dict[str, float]:
    """MLQA ``evaluate`` for answer language ``lang``: ``{"exact_match", "f1"}`` in percent,
    averaged over the gold question ids (best over each question's gold answers; a question
    without a prediction scores 0). Raises ``ValueError`` for a language MLQA lacks."""
    _check_lang(lang)
    return _max_over_gold(
        predictions,
        gold,
        lambda p, g: mlqa_exact(p, g, lang),
        lambda p, g: mlqa_f1(p, g, lang),
    )
