"""The demo model: a tiny XLM-R-architecture encoder with a tokenizer trained on the demo corpus.

It is saved with ``save_pretrained`` into the same layout a fetched hub model has
(``resources/models/<name>/``), and every job loads it through ``from_pretrained``.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from pathlib import Path

import torch
from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

from xstilts.data import demo

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's ids 0-3; <mask> follows


def _segment(word: str, scores: dict[str, float], max_len: int) -> list[str]:
    """The best-scoring split of ``word`` into pieces (Viterbi, as the Unigram model decodes)."""
    best = [0.0] + [-math.inf] * len(word)
    back = [0] * (len(word) + 1)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - max_len), end):
            score = scores.get(word[start:end])
            if score is not None and best[start] + score > best[end]:
                best[end], back[end] = best[start] + score, start
    pieces, end = [], len(word)
    while end > 0:
        pieces.append(word[back[end] : end])
        end = back[end]
    return pieces[::-1]


def unigram_vocab(
    lines, vocab_size: int, max_piece_length: int = 8, rounds: int = 1
) -> list[tuple[str, float]]:
    """A SentencePiece-style Unigram vocabulary estimated from the corpus, deterministically.

    (tokenizers' UnigramTrainer gives a different vocabulary in every process: its hash maps
    are seeded at random and ties fall differently, so two builds of the demo model would not
    agree.) Words are NFKC-normalised, split on whitespace and prefixed with "▁" as Metaspace
    does. Candidates: every character and the substrings of 2 to ``max_piece_length``
    characters, scored by log relative frequency; then ``rounds`` times, every word is split
    with the best-scoring pieces (Viterbi) and the multi-character pieces those splits use most
    are kept (ties by the piece itself), scored by how often they are used. Characters always
    stay, so every word of the corpus can be split."""
    words: Counter[str] = Counter()
    for line in lines:
        words.update("\u2581" + w for w in unicodedata.normalize("NFKC", line).split())
    chars: Counter[str] = Counter()
    pieces: Counter[str] = Counter()
    for word, n in words.items():
        for i, c in enumerate(word):
            chars[c] += n
            for j in range(i + 2, min(len(word), i + max_piece_length) + 1):
                pieces[word[i:j]] += n
    room = vocab_size - len(SPECIALS) - len(chars)
    if room < 0:
        raise ValueError(f"vocab_size {vocab_size} is below the corpus' {len(chars)} characters")

    def log_freq(counts: Counter[str]) -> dict[str, float]:
        total = sum(counts.values())
        return {p: math.log(n / total) for p, n in counts.items() if n > 0}

    by_saving = sorted(pieces.items(), key=lambda kv: (-kv[1] * (len(kv[0]) - 1), kv[0]))
    counts = chars + Counter(dict(by_saving[: 3 * room]))
    for _ in range(rounds):
        scores = log_freq(counts)
        used: Counter[str] = Counter()
        for word, n in words.items():
            for piece in _segment(word, scores, max_piece_length):
                used[piece] += n
        multi = sorted(
            ((p, n) for p, n in used.items() if len(p) > 1), key=lambda kv: (-kv[1], kv[0])
        )[:room]
        counts = Counter({c: max(used[c], 1) for c in chars}) + Counter(dict(multi))
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(p, 0.0) for p in SPECIALS] + list(log_freq(Counter(dict(ordered))).items())


def train_tokenizer(lines, vocab_size: int) -> XLMRobertaTokenizer:
    """XLM-R's tokenizer class (Unigram, Metaspace) over a vocabulary estimated from the corpus."""
    return XLMRobertaTokenizer(vocab=unigram_vocab(lines, vocab_size))


def build(out: str | Path, spec: dict, seed: int = 0) -> None:
    """Train the tokenizer, initialise the encoder, save both with ``save_pretrained``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    languages = sorted(demo.LANGUAGE_SCRIPTS)
    tokenizer = train_tokenizer(demo.corpus(languages), spec["vocab_size"])
    max_len = spec["max_position_embeddings"]
    tokenizer.model_max_length = max_len
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec["hidden_size"],
        num_hidden_layers=spec["num_hidden_layers"],
        num_attention_heads=spec["num_attention_heads"],
        intermediate_size=spec["intermediate_size"],
        attention_probs_dropout_prob=spec.get("attention_probs_dropout_prob", 0.1),
        max_position_embeddings=max_len + 2,  # RoBERTa offsets positions by padding_idx + 1
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        type_vocab_size=1,
    )
    torch.manual_seed(seed)
    model = XLMRobertaModel(config, add_pooling_layer=False)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def build_job(cell: dict, inputs: dict, outputs: dict) -> None:
    """Rule build_demo_model: the demo model of the config's ``models.<name>`` entry (``cell``:
    its ``demo`` sizes) into ``outputs["model"]``."""
    build(outputs["model"], cell["demo"])
