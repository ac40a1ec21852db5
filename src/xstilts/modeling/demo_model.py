"""The demo model: a tiny XLM-R-architecture encoder with a tokenizer trained on the demo corpus.

It is saved with ``save_pretrained`` into the same layout a fetched hub model has
(``resources/models/<name>/``), and every job loads it through ``from_pretrained``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizer

from xstilts.data import demo

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's ids 0-3; <mask> follows


def train_tokenizer(lines, vocab_size: int) -> XLMRobertaTokenizer:
    """A SentencePiece-style Unigram tokenizer, wrapped as XLM-R's tokenizer class."""
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace()]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, unk_token="<unk>", max_piece_length=8
    )
    tok.train_from_iterator(lines, trainer=trainer)
    vocab = [tuple(x) for x in json.loads(tok.to_str())["model"]["vocab"]]
    assert [p for p, _ in vocab[:5]] == SPECIALS, vocab[:5]
    return XLMRobertaTokenizer(vocab=vocab)


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
