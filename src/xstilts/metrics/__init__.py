"""Metrics, in percent, computed as google-research/xtreme's evaluate.py computes them."""

from xstilts.metrics.classification import accuracy, binary_f1

__all__ = ["accuracy", "binary_f1"]
