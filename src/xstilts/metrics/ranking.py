"""Ranking metrics of XTREME-R's retrieval tasks, both reported as ``map@20``.

Mewsli-X entity retrieval (MAP@20 = MRR@20): rewritten from google-research/xtreme
``third_party/utils_mewslix.py`` @ 66367fa3275ada6b285950f6dac4ccdaa2ff1649 (``evaluate`` and
``mean_reciprocal_rank``, which ``evaluate.py``'s ``mewslix_map20`` calls with ``k=20`` and
multiplies by 100). With one gold entity per mention, average precision at k equals the
reciprocal rank at k, so the mean is reported as ``map@20``.

LAReQA answer retrieval (mAP@20 with several right answers per question, one per language):
rewritten from ``third_party/utils_lareqa.py`` @ e23cf42f44512fd62ad6a890d8b6bbaabeda9957
(``average_precision_at_k`` and ``mean_avg_prec_at_k`` with ``k=20``, the commit that switched
LAReQA to mAP@20).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

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


def average_precision_at_k(
    targets: Collection[str], ranked: Sequence[str], k: int | None = TOP_K
) -> float:
    """Average precision of one query over the first ``k`` of its ``ranked`` predictions (all
    of them when ``k`` is None), between 0 and 1: at each rank r that holds a target not seen
    at an earlier rank, the precision (targets found so far) / r; their sum divided by
    min(number of targets, k), so a query with more targets than k can still score 1. 0 for a
    query without targets, which the reference would divide by zero."""
    ranked = list(ranked)[:k] if k else list(ranked)
    targets = set(targets)
    if not targets:
        return 0.0
    found: set[str] = set()
    total = 0.0
    for rank, item in enumerate(ranked, start=1):
        if item in targets and item not in found:
            found.add(item)
            total += len(found) / rank
    return total / (min(len(targets), k) if k else len(targets))


def mean_average_precision(
    targets: Sequence[Collection[str]], ranked: Sequence[Sequence[str]], k: int | None = TOP_K
) -> float:
    """mAP@k in percent: the mean of :func:`average_precision_at_k` over the queries (the
    i-th targets go with the i-th ranking); 0 without queries."""
    if len(targets) != len(ranked):
        raise ValueError(f"{len(ranked)} rankings for {len(targets)} queries")
    if not targets:
        return 0.0
    scores = [average_precision_at_k(t, r, k) for t, r in zip(targets, ranked, strict=True)]
    return sum(scores) / len(scores) * 100
