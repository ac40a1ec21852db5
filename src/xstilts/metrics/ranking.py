"""Ranking metrics: Mewsli-X entity retrieval as XTREME-R scores it (MAP@20 = MRR@20).

Rewritten from google-research/xtreme ``third_party/utils_mewslix.py`` @
66367fa3275ada6b285950f6dac4ccdaa2ff1649 (``evaluate`` and ``mean_reciprocal_rank``, which
``evaluate.py``'s ``mewslix_map20`` calls with ``k=20`` and multiplies by 100). With one gold
entity per mention, average precision at k equals the reciprocal rank at k, so the mean is
reported as ``map@20``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TOP_K = 20


def mean_reciprocal_rank(
    gold: Mapping[str, Sequence[str]], predictions: Mapping[str, Sequence[str]], k: int = TOP_K
) -> float:
    """Mean over the gold mentions of 1/rank of the gold entity among the mention's first ``k``
    predicted entities (0 when it is not there or the mention has no prediction), in percent.

    ``gold`` maps each mention id to a one-element list holding its (whitespace-stripped) gold
    entity id; predicted ids are compared as they are, and predictions for ids not in ``gold``
    are ignored. 0 when there is no gold mention, as in the reference.
    """
    reciprocal_ranks = []
    for mention, entities in gold.items():
        if not entities:
            raise ValueError(f"mention {mention!r} has no gold entity")
        target = entities[0].strip()
        ranked = list(predictions.get(mention, []))[:k]
        rank = next((i for i, entity in enumerate(ranked, start=1) if entity == target), None)
        reciprocal_ranks.append(0.0 if rank is None else 1.0 / rank)
    if not reciprocal_ranks:
        return 0.0
    return sum(reciprocal_ranks) / len(reciprocal_ranks) * 100
