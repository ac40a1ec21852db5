"""Tagging metrics (UD-POS, PAN-X: seqeval as xtreme's evaluate.py calls it; CCG, and UD-POS
as a second number: plain token accuracy)."""

from __future__ import annotations

from collections.abc import Sequence


def _check(predictions: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> None:
    if len(predictions) != len(gold):
        raise ValueError(f"{len(predictions)} predicted sentences for {len(gold)} gold ones")
    for i, (p, g) in enumerate(zip(predictions, gold, strict=True)):
        if len(p) != len(g):
            raise ValueError(f"sentence {i}: {len(p)} predicted tags for {len(g)} words")


# seqeval as the published XTREME and X-STILTs numbers were scored: version 0.0.12, which jiant
# pins (setup.py: "seqeval == 0.0.12") and which was the newest on PyPI when XTREME's scripts
# installed it (install_tools.sh, 2020; 0.0.13 came out on 2020-09-30). Rewritten from
# chakki-works/seqeval v0.0.12, seqeval/metrics/sequence_labeling.py (get_entities,
# end_of_chunk, start_of_chunk, f1_score, precision_score, recall_score; default mode, no
# suffix). A tag's letter is its first character and its type the text after its last "-", or
# the whole tag when it has none: UPOS's CCONJ and SCONJ are two types. seqeval 1.x types a tag
# by the text after its first character ("CONJ" for both, "OUN" for NOUN) and drops a
# sentence-final X; its scores of UD-POS are not the published ones.


def _letter_and_type(tag: str) -> tuple[str, str]:
    return tag[0], tag.split("-")[-1]


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (
        prev_tag in ("E", "S")
        or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
        or (prev_tag not in ("O", ".") and prev_type != type_)
    )


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    return (
        tag in ("B", "S")
        or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
        or (tag not in ("O", ".") and prev_type != type_)
    )


def get_entities(sentences: Sequence[Sequence[str]]) -> list[tuple[str, int, int]]:
    """seqeval 0.0.12's chunks (type, first, last) of a corpus: the sentences joined with an "O"
    after each, positions counted over the joined sequence."""
    seq = [tag for sentence in sentences for tag in [*sentence, "O"]]
    prev_tag, prev_type, begin, chunks = "O", "", 0, []
    for i, tag in enumerate([*seq, "O"]):
        letter, type_ = _letter_and_type(tag)
        if _end_of_chunk(prev_tag, letter, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _start_of_chunk(prev_tag, letter, prev_type, type_):
            begin = i
        prev_tag, prev_type = letter, type_
    return chunks


def seqeval_scores(predictions, gold) -> dict[str, float]:
    """xtreme evaluate.py's ``f1``, precision and recall, in percent: seqeval 0.0.12's micro
    scores over the chunks of every sentence (UPOS tags have no B-/I- prefix: a run of the same
    tag is one chunk, save tags starting with S)."""
    _check(predictions, gold)
    pred, ref = set(get_entities(predictions)), set(get_entities(gold))
    correct = len(pred & ref)
    precision = correct / len(pred) if pred else 0.0
    recall = correct / len(ref) if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"f1": 100.0 * f1, "precision": 100.0 * precision, "recall": 100.0 * recall}


def chunk_counts(predictions, gold) -> list[dict[str, int]]:
    """Per sentence, seqeval's chunks of the whole corpus (as ``seqeval_scores`` finds them)
    attributed to the sentence they start in: true positives (a predicted chunk of the same
    type and span as a gold one), predicted and gold chunks. Summed over all sentences the
    counts are seqeval's, and ``metrics_from_counts`` of the sums its micro scores."""
    from bisect import bisect_right

    _check(predictions, gold)
    starts, position = [], 0
    for sentence in gold:
        starts.append(position)
        position += len(sentence) + 1  # the "O" after each sentence
    pred, ref = set(get_entities(predictions)), set(get_entities(gold))
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
