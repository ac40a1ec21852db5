"""Extractive QA's spans, as BERT's and xtreme's run_squad handle them: overlapping windows
over a long context, an answer's token positions in a window, and the best answer span from a
window's start and end logits. The QA tasks are in :mod:`xstilts.tasks.qa`."""

from __future__ import annotations

import numpy as np

DOC_STRIDE = 128
MAX_QUERY_LENGTH = 64
N_BEST = 20
MAX_ANSWER_LENGTH = 30


def windows(tokenizer, questions: list[str], contexts: list[str], max_length: int):
    """Windows over each context, as BERT's and xtreme's run_squad build them.

    The question is cut to MAX_QUERY_LENGTH tokens; each window holds ``<s> question </s></s>
    context-part </s>``, the context part as long as fits, and the next window starts
    DOC_STRIDE context tokens later, until the end of the context is covered. Yields
    (example index, input_ids, offsets) with the character span of every token in the original
    context, None for the question and special tokens.
    """
    q_ids = tokenizer(questions, add_special_tokens=False)["input_ids"]
    ctx = tokenizer(contexts, add_special_tokens=False, return_offsets_mapping=True)
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    for ex, (q, c_ids, c_offsets) in enumerate(
        zip(q_ids, ctx["input_ids"], ctx["offset_mapping"], strict=True)
    ):
        q = q[:MAX_QUERY_LENGTH]
        room = max_length - len(q) - 4  # <s> q </s></s> c </s>
        if room < 1:
            raise ValueError(f"max_seq_length {max_length} leaves no room for the context")
        start = 0
        while True:
            length = min(room, len(c_ids) - start)
            ids = [bos, *q, eos, eos, *c_ids[start : start + length], eos]
            offsets = (
                [None] * (len(q) + 3)
                + [tuple(o) for o in c_offsets[start : start + length]]
                + [None]
            )
            yield ex, ids, offsets
            if start + length >= len(c_ids):
                break
            start += min(length, DOC_STRIDE)


def answer_positions(offsets: list[tuple[int, int] | None], start_char: int, end_char: int):
    """Token indices (start, end) of the character span [start_char, end_char) in one window,
    or (0, 0) — the <s> token — when the window does not hold the whole answer."""
    inside = [i for i, o in enumerate(offsets) if o is not None]
    if not inside or offsets[inside[0]][0] > start_char or offsets[inside[-1]][1] < end_char:
        return 0, 0
    start = next(i for i in inside if offsets[i][1] > start_char)
    end = next(i for i in reversed(inside) if offsets[i][0] < end_char)
    return start, end


def best_span(
    start_logits: np.ndarray, end_logits: np.ndarray, offsets: list[tuple[int, int] | None]
) -> tuple[float, int, int] | None:
    """Best (score, start_char, end_char) among the n-best starts × ends inside the context."""
    best = None
    starts = np.argsort(start_logits)[::-1][:N_BEST]
    ends = np.argsort(end_logits)[::-1][:N_BEST]
    for s in starts:
        if s >= len(offsets) or offsets[s] is None:
            continue
        for e in ends:
            if e >= len(offsets) or offsets[e] is None or e < s or e - s + 1 > MAX_ANSWER_LENGTH:
                continue
            score = float(start_logits[s] + end_logits[e])
            if best is None or score > best[0]:
                best = (score, offsets[s][0], offsets[e][1])
    return best
