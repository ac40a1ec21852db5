"""Sentence-classification metrics (XNLI, PAWS-X: accuracy; QQP: accuracy and F1)."""

from __future__ import annotations

from collections.abc import Sequence


def _check(predictions: Sequence, gold: Sequence) -> None:
    if len(predictions) != len(gold):
        raise ValueError(f"{len(predictions)} predictions for {len(gold)} gold labels")
    if len(gold) == 0:
        raise ValueError("no examples to score")


def accuracy(predictions: Sequence, gold: Sequence) -> float:
    """Share of exact matches, in percent, with evaluate.py's float operations (``correct / n *
    100``), so the same predictions give the same bits here and in ``xstilts score``."""
    _check(predictions, gold)
    return sum(p == g for p, g in zip(predictions, gold, strict=True)) / len(gold) * 100


def binary_f1(predictions: Sequence, gold: Sequence, positive) -> float:
    """F1 of the ``positive`` class, in percent; 0 when there is no true positive."""
    _check(predictions, gold)
    tp = sum(p == positive and g == positive for p, g in zip(predictions, gold, strict=True))
    fp = sum(p == positive and g != positive for p, g in zip(predictions, gold, strict=True))
    fn = sum(p != positive and g == positive for p, g in zip(predictions, gold, strict=True))
    if tp == 0:
        return 0.0
    return 100.0 * 2 * tp / (2 * tp + fp + fn)
