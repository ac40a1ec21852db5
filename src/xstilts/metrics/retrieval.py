"""Sentence-retrieval metrics (BUCC 2018 mining, Tatoeba), as google-research/xtreme computes
them (``evaluate.py`` and ``third_party/utils_retrieve.py``).

Rewritten in torch from these files (read, not copied):

- google-research/xtreme ``third_party/utils_retrieve.py`` @
  4940374c91213da89b28feec25413788566ad7d9: ``knn``/``knnGPU``, ``score_candidates``,
  ``text_load_unify``, ``mine_bitext`` (``mode='mine', retrieval='max', margin='ratio'``,
  ``neighborhood=4``), ``read_sent2id``, ``read_candidate2score``, ``bucc_optimize``,
  ``bucc_extract``, ``similarity_search``;
- google-research/xtreme ``third_party/evaluate_retrieval.py`` @
  4e6401c6888c3512284eeda2ecbd9afceea06f38 (Tatoeba calls ``similarity_search(x=source,
  y=English)``) and ``utils_preprocess.py`` @ 091824888a60162ad9ea10d7fe67aa561615e4ca
  (``tatoeba_preprocess`` sorts the English side);
- facebookresearch/LASER ``source/mine_bitexts.py`` @ 108ab33c471f9d1d217d4beb7640d00597c34a4b
  and ``tasks/bucc/bucc.py`` @ 1fd225f63842f3e13b8931251089e962b2679e7b, where xtreme's code
  comes from;
- nyu-mll/jiant ``jiant/tasks/lib/bucc2018.py`` and ``tatoeba.py`` @
  8885950f42b9a3e71532f6a5c7efca1304b821c4 (the same xtreme code, at xtreme 522434d).

Deliberate differences from the reference:

- kNN is exact chunked matrix products with ``torch.topk`` (no faiss), on the tensors' device.
  Ties are broken towards the lower database index, and each row is sorted by (similarity
  descending, index ascending); faiss leaves both unspecified.
- A candidate's cosine is the kNN similarity itself; the reference recomputes ``x.dot(y)``, which
  can differ in the last float bit.
- ``argsort(-scores)`` in "max" retrieval is numpy's unstable quicksort; here the pooled list
  (forward candidates by source index, then backward ones by target index) is sorted stably, so
  equal scores keep that order.
- ``mine_bitext`` keeps every one-to-one pair; the reference also drops pairs whose score is not
  ``> threshold`` (0 by default) when writing them out. Filtering afterwards gives the same
  result, because the one-to-one pass comes before that filter.
- ``optimize_threshold`` takes the last candidate's own score as the threshold when the best cut
  is the last candidate (the reference raises IndexError there), and returns the best F1 too.
- Tatoeba search ranks by cosine; the reference ranks by L2 distance between normalised vectors,
  which is the same order up to rounding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # torch is imported where it is used: scoring BUCC pairs needs none
    from torch import Tensor

QUERY_CHUNK = 2048
DATABASE_CHUNK = 32768


def bucc_f1(
    predictions: Iterable[tuple[str, str]], gold: Iterable[tuple[str, str]]
) -> dict[str, float]:
    """xtreme evaluate.py's ``bucc_f1``: F1, precision and recall (percent) of the predicted
    (source id, target id) pairs against the gold pairs, both taken as sets; all 0 when no
    predicted pair is right."""
    predicted, gold = set(map(tuple, predictions)), set(map(tuple, gold))
    correct = len(predicted & gold)
    if correct == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision, recall = correct / len(predicted), correct / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    return {"f1": 100.0 * f1, "precision": 100.0 * precision, "recall": 100.0 * recall}


# ---- exact chunked kNN ----------------------------------------------------------------------


def _normalised_pair(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Both embedding matrices L2-normalised (zero rows stay zero), in a common float dtype."""
    import torch
    import torch.nn.functional as F

    for name, emb in (("x", x), ("y", y)):
        if emb.dim() != 2 or not emb.is_floating_point():
            raise ValueError(f"{name} must be a 2-D float tensor, got {emb.dim()}-D {emb.dtype}")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"dimensions differ: {x.shape[1]} and {y.shape[1]}")
    if x.device != y.device:
        raise ValueError(f"x is on {x.device}, y on {y.device}")
    dtype = torch.promote_types(x.dtype, y.dtype)
    return F.normalize(x.to(dtype), dim=1), F.normalize(y.to(dtype), dim=1)


def _similarity_block(queries: Tensor, database: Tensor) -> Tensor:
    """Cosine similarities of one chunk of queries against one chunk of the database."""
    return queries @ database.T


def _ordered(values: Tensor, indices: Tensor) -> tuple[Tensor, Tensor]:
    """Each row's (value, index) entries sorted by value descending, then index ascending."""
    import torch

    by_index = torch.argsort(indices, dim=1)
    values, indices = values.gather(1, by_index), indices.gather(1, by_index)
    by_value = torch.sort(values, dim=1, descending=True, stable=True).indices
    return values.gather(1, by_value), indices.gather(1, by_value)


def _block_top_k(sims: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The ``min(k, columns)`` best columns of each row of a block, lower column on ties."""
    import torch

    k = min(k, sims.shape[1])
    values, columns = torch.topk(sims, min(k + 1, sims.shape[1]), dim=1)
    if values.shape[1] > k:
        # topk chooses arbitrarily among entries equal to the k-th value. Only rows whose
        # (k+1)-th value equals the k-th can have chosen wrongly (rare): a stable full-row
        # sort gives them the lowest such columns.
        straddling = values[:, k] == values[:, k - 1]
        values, columns = values[:, :k], columns[:, :k]
        if bool(straddling.any()):
            rows = sims[straddling]
            fixed = torch.sort(rows, dim=1, descending=True, stable=True).indices[:, :k]
            columns[straddling] = fixed
            values[straddling] = rows.gather(1, fixed)
    return _ordered(values, columns)


def _merge(
    best: tuple[Tensor, Tensor] | None, values: Tensor, indices: Tensor, k: int
) -> tuple[Tensor, Tensor]:
    """A running per-row top-k merged with a new block's top-k (same ordering rule)."""
    import torch

    if best is None:
        return values, indices
    values, indices = _ordered(torch.cat((best[0], values), 1), torch.cat((best[1], indices), 1))
    return values[:, :k], indices[:, :k]


def _scan(
    x: Tensor, y: Tensor, k: int, chunk_size: int, database_chunk_size: int, both_ways: bool
) -> list[tuple[Tensor, Tensor]]:
    """kNN of normalised ``x`` rows among ``y`` rows and, if ``both_ways``, of ``y`` among ``x``,
    from one pass over ``chunk_size x database_chunk_size`` similarity blocks (each block gives
    its rows' and its columns' top-k)."""
    import torch

    if k < 1 or chunk_size < 1 or database_chunk_size < 1:
        raise ValueError("k, chunk_size and database_chunk_size must be positive")
    k_x, k_y = min(k, len(y)), min(k, len(x))
    if len(x) == 0 or len(y) == 0:
        sides = [(x, k_x), (y, k_y)] if both_ways else [(x, k_x)]
        return [
            (rows.new_empty((len(rows), n)), rows.new_empty((len(rows), n), dtype=torch.long))
            for rows, n in sides
        ]
    offsets = range(0, len(y), database_chunk_size)
    row_parts = []
    column_best: list[tuple[Tensor, Tensor] | None] = [None] * len(offsets)
    for start in range(0, len(x), chunk_size):
        queries = x[start : start + chunk_size]
        row_best = None
        for chunk, offset in enumerate(offsets):
            block = _similarity_block(queries, y[offset : offset + database_chunk_size])
            values, columns = _block_top_k(block, k_x)
            row_best = _merge(row_best, values, columns + offset, k_x)
            if both_ways:
                values, rows = _block_top_k(block.T, k_y)
                column_best[chunk] = _merge(column_best[chunk], values, rows + start, k_y)
            del block
        row_parts.append(row_best)
    results = [tuple(torch.cat(part) for part in zip(*row_parts, strict=True))]
    if both_ways:
        results.append(tuple(torch.cat(part) for part in zip(*column_best, strict=True)))
    return results


def knn(
    x: Tensor,
    y: Tensor,
    k: int,
    chunk_size: int = QUERY_CHUNK,
    database_chunk_size: int = DATABASE_CHUNK,
) -> tuple[Tensor, Tensor]:
    """The ``min(k, len(y))`` rows of ``y`` most cosine-similar to each row of ``x``: (similarities,
    indices), each ``(len(x), min(k, len(y)))``, on the inputs' device, sorted by similarity
    descending; equal similarities are ordered, and cut at k, by lower index of ``y`` first.

    Exact search: at most a ``chunk_size x database_chunk_size`` similarity block exists at a
    time; per-block top-k lists are merged, so no ``len(x) x len(y)`` matrix is ever built.
    """
    x, y = _normalised_pair(x, y)
    return _scan(x, y, k, chunk_size, database_chunk_size, both_ways=False)[0]


# ---- ratio-margin mining (BUCC) -------------------------------------------------------------


class MarginCandidates(NamedTuple):
    """kNN candidates both ways with their ratio-margin scores."""

    forward_indices: Tensor  # (len(x), k): the k nearest targets of each source
    forward_scores: Tensor  # their margin scores
    backward_indices: Tensor  # (len(y), k): the k nearest sources of each target
    backward_scores: Tensor


def margin_candidates(
    x: Tensor,
    y: Tensor,
    k: int = 4,
    chunk_size: int = QUERY_CHUNK,
    database_chunk_size: int = DATABASE_CHUNK,
) -> MarginCandidates:
    """LASER's ratio margin: kNN both ways (``min(k, len(other side))`` neighbours, both from one
    pass over the similarity blocks, ties as in ``knn``), ``x2y_mean`` and ``y2x_mean`` the mean
    of each row's neighbour similarities, and each candidate scored
    ``cos(x, y) / ((x2y_mean[x] + y2x_mean[y]) / 2)``."""
    x, y = _normalised_pair(x, y)
    (x2y_sim, x2y_ind), (y2x_sim, y2x_ind) = _scan(
        x, y, k, chunk_size, database_chunk_size, both_ways=True
    )
    x2y_mean, y2x_mean = x2y_sim.mean(dim=1), y2x_sim.mean(dim=1)
    forward = x2y_sim / ((x2y_mean[:, None] + y2x_mean[x2y_ind]) / 2)
    backward = y2x_sim / ((y2x_mean[:, None] + x2y_mean[y2x_ind]) / 2)
    return MarginCandidates(x2y_ind, forward, y2x_ind, backward)


def mine_bitext(
    x: Tensor,
    y: Tensor,
    k: int = 4,
    chunk_size: int = QUERY_CHUNK,
    database_chunk_size: int = DATABASE_CHUNK,
) -> list[tuple[int, int, float]]:
    """xtreme/LASER ``mine_bitext(mode='mine', retrieval='max', margin='ratio')``: the best-scoring
    candidate of every source (forward) and of every target (backward) pooled, sorted by score
    descending, and kept greedily when neither its source nor its target is used yet.

    Returns the kept (source row, target row, score) triples in that order, no threshold
    applied. The pool is sorted stably: equal scores keep pool order (forward candidates by source
    row, then backward ones by target row); a row's best candidate on equal scores is its
    nearest neighbour (first maximum).
    """
    import torch

    cands = margin_candidates(x, y, k, chunk_size, database_chunk_size)
    if len(x) == 0 or len(y) == 0:
        return []
    fwd_arg = cands.forward_scores.argmax(dim=1, keepdim=True)
    bwd_arg = cands.backward_scores.argmax(dim=1, keepdim=True)
    sources = torch.cat(
        (torch.arange(len(x), device=x.device), cands.backward_indices.gather(1, bwd_arg)[:, 0])
    )
    targets = torch.cat(
        (cands.forward_indices.gather(1, fwd_arg)[:, 0], torch.arange(len(y), device=y.device))
    )
    scores = torch.cat(
        (
            cands.forward_scores.gather(1, fwd_arg)[:, 0],
            cands.backward_scores.gather(1, bwd_arg)[:, 0],
        )
    )
    order = torch.sort(scores, descending=True, stable=True).indices
    used_sources: set[int] = set()
    used_targets: set[int] = set()
    kept = []
    for src, trg, score in zip(
        sources[order].tolist(), targets[order].tolist(), scores[order].tolist(), strict=True
    ):
        if src not in used_sources and trg not in used_targets:
            used_sources.add(src)
            used_targets.add(trg)
            kept.append((src, trg, score))
    return kept


# ---- duplicates and BUCC ids ----------------------------------------------------------------


def unify_sentences(sentences: Iterable[str]) -> tuple[list[str], list[int]]:
    """``text_load_unify(unify=True)``: the distinct sentences in order of first occurrence (embed
    only these), and for each original row the index of its sentence among them. Texts are
    compared exactly, as given."""
    position: dict[str, int] = {}
    rows = [position.setdefault(sentence, len(position)) for sentence in sentences]
    return list(position), rows


def sentence_ids(sentences: Sequence[str], ids: Sequence[str]) -> dict[str, str]:
    """``read_sent2id``: each stripped sentence text -> the id on its line. A text found on more
    than one line is left out altogether (the reference deletes it), so pairs that involve it
    can never be extracted. (jiant instead maps such a text to all of its ids.)"""
    if len(sentences) != len(ids):
        raise ValueError(f"{len(sentences)} sentences for {len(ids)} ids")
    counts = Counter(sentence.strip() for sentence in sentences)
    return {s.strip(): i for s, i in zip(sentences, ids, strict=True) if counts[s.strip()] == 1}


def candidate_id_scores(
    mined: Iterable[tuple[int, int, float]],
    src_sentences: Sequence[str],
    trg_sentences: Sequence[str],
    src_ids: Mapping[str, str],
    trg_ids: Mapping[str, str],
) -> dict[tuple[str, str], float]:
    """``read_candidate2score``: mined (source row, target row, score) triples, rows indexing
    ``src_sentences``/``trg_sentences`` (the unified lists), turned into {(source id, target id):
    score} through ``sentence_ids`` maps of the stripped texts; triples whose text has no id are
    dropped, and a pair met twice keeps its higher score."""
    scores: dict[tuple[str, str], float] = {}
    for src, trg, score in mined:
        src_id = src_ids.get(src_sentences[src].strip())
        trg_id = trg_ids.get(trg_sentences[trg].strip())
        if src_id is not None and trg_id is not None:
            pair = (src_id, trg_id)
            scores[pair] = max(score, scores.get(pair, score))
    return scores


def optimize_threshold(
    candidate_scores: Mapping[tuple[str, str], float], gold: Iterable[tuple[str, str]]
) -> tuple[float, float]:
    """``bucc_optimize``: walk the candidates by score descending (a stable sort: equal scores in
    mapping order), F1 of keeping the first n for each n, and return (threshold, best F1 in
    percent), the threshold halfway between the best cut's score and the next candidate's.

    As in the reference: 0.0 and F1 0 when no candidate is gold; the first of equal F1s wins;
    on tied scores a cut may fall between equal scores. Where the reference fails (the best cut is
    the last candidate: IndexError), the threshold is that last score, so all are kept.
    """
    items = sorted(candidate_scores.items(), key=lambda item: -item[1])
    gold = set(map(tuple, gold))
    correct = 0
    threshold, best_f1 = 0.0, 0.0
    for extracted, (pair, score) in enumerate(items, start=1):
        correct += pair in gold
        if correct == 0:
            continue
        precision, recall = correct / extracted, correct / len(gold)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1 = f1
            threshold = (score + items[extracted][1]) / 2 if extracted < len(items) else score
    return threshold, 100.0 * best_f1


def extract(
    candidate_scores: Mapping[tuple[str, str], float], threshold: float
) -> list[tuple[str, str]]:
    """``bucc_extract``: the candidate pairs scoring at least ``threshold``, in mapping order."""
    return [pair for pair, score in candidate_scores.items() if score >= threshold]


# ---- Tatoeba --------------------------------------------------------------------------------


def tatoeba_search(
    source_emb: Tensor,
    english_emb: Tensor,
    chunk_size: int = QUERY_CHUNK,
    database_chunk_size: int = DATABASE_CHUNK,
) -> Tensor:
    """xtreme's ``similarity_search(x=source, y=English)``: the source side is the index and each
    English sentence queries it; returns, per English row, the row of its most cosine-similar
    source sentence (lower row on ties), as a 1-D long tensor."""
    if len(source_emb) == 0:
        raise ValueError("no source sentences to search")
    return knn(english_emb, source_emb, 1, chunk_size, database_chunk_size)[1][:, 0]


def sorted_english_order(english_sentences: Sequence[str]) -> list[int]:
    """``tatoeba_preprocess``'s order of the English side: original rows sorted by stripped text
    (stable, so equal texts keep file order). Row r of the sorted side is original sentence
    ``order[r]``, which is its gold label: the row of its translation on the source side."""
    return sorted(range(len(english_sentences)), key=lambda row: english_sentences[row].strip())
