"""Tagging metrics (UD-POS, PAN-X: seqeval as xtreme's evaluate.py calls it; CCG, and UD-POS
as a second number: plain token accuracy)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence


def _check(predictions: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> None:
    if len(predictions) != len(gold):
        raise ValueError(f"{len(predictions)} predicted sentences for {len(gold)} gold ones")
    for i, (p, g) in enumerate(zip(predictions, gold, strict=True)):
        if len(p) != len(g):
            raise ValueError(f"sentence {i}: {len(p)} predicted tags for {len(g)} words")


def seqeval_scores(predictions, gold) -> dict[str, float]:
    """xtreme evaluate.py's ``f1``: seqeval's default (non-strict) micro F1, precision and
    recall, in percent. UPOS tags have no B-/I- prefix, so seqeval reads their first letter as
    the prefix and the rest as the type: runs of one tag merge into one chunk."""
    # imported here: seqeval loads scikit-learn (a second per process), which every other job
    # that imports the task registry would pay for
    from seqeval.metrics import f1_score, precision_score, recall_score

    _check(predictions, gold)
    gold, predictions = [list(s) for s in gold], [list(s) for s in predictions]
    with warnings.catch_warnings():  # "NOUN seems not to be NE tag": expected for UPOS
        warnings.simplefilter("ignore")
        return {
            "f1": 100.0 * float(f1_score(gold, predictions)),
            "precision": 100.0 * float(precision_score(gold, predictions)),
            "recall": 100.0 * float(recall_score(gold, predictions)),
        }


def chunk_counts(predictions, gold) -> list[dict[str, int]]:
    """Per sentence, seqeval's chunks (default mode, as ``seqeval_scores``) of the whole corpus
    attributed to the sentence they start in: true positives (a predicted chunk of the same
    type and span as a gold one), predicted and gold chunks. Chunks are found on the corpus as
    seqeval joins it (sentences separated by "O"), not sentence by sentence: seqeval gives that
    "O" the type "_" of an unprefixed tag such as UPOS "X", so an X at a sentence edge can form
    one chunk across the separator. Summed over all sentences the counts are seqeval's, and
    ``metrics_from_counts`` of the sums its micro scores."""
    from bisect import bisect_right

    from seqeval.metrics.sequence_labeling import get_entities

    _check(predictions, gold)
    starts, position = [], 0
    for sentence in gold:
        starts.append(position)
        position += len(sentence) + 1  # seqeval's "O" after each sentence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = set(get_entities([list(s) for s in predictions]))
        ref = set(get_entities([list(s) for s in gold]))
    out = [{"tp": 0, "pred": 0, "gold": 0} for _ in gold]
    for chunks, key in ((pred, "pred"), (ref, "gold"), (pred & ref, "tp")):
        for _, begin, _ in chunks:
            out[bisect_right(starts, begin) - 1][key] += 1
    return out


def metrics_from_counts(sums) -> dict:
    """seqeval's micro precision, recall and F1 (percent) from summed ``chunk_counts``; 0 where
    a denominator is 0, as seqeval reports it. Works elementwise on numpy arrays."""
    import numpy as np

    tp, pred, ref = (np.asarray(sums[k], dtype=float) for k in ("tp", "pred", "gold"))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred > 0, tp / pred, 0.0)
        recall = np.where(ref > 0, tp / ref, 0.0)
        f1 = np.where(pred + ref > 0, 2 * tp / (pred + ref), 0.0)
    return {"f1": 100.0 * f1, "precision": 100.0 * precision, "recall": 100.0 * recall}


def token_accuracy(predictions, gold) -> float:
    """Share of words whose tag is right, in percent."""
    _check(predictions, gold)
    pairs = [
        (p, g)
        for ps, gs in zip(predictions, gold, strict=True)
        for p, g in zip(ps, gs, strict=True)
    ]
    if not pairs:
        raise ValueError("no words to score")
    return 100.0 * sum(p == g for p, g in pairs) / len(pairs)
