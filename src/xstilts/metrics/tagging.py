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
