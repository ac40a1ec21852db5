"""Multiple choice: prompts and choices as jiant builds them, collation that keeps each example's
choices together, and a head that scores the right choice of the right example."""

from __future__ import annotations

from types import SimpleNamespace

import datasets
import pytest
import torch

from xstilts import tasks
from xstilts.tasks import multiple_choice as mc

HELLASWAG = tasks.get("hellaswag")


def test_prompt_choices_and_label_of_each_dataset():
    hs = {"ctx_a": "A man sits.", "ctx_b": "he", "endings": ["runs", "eats", "naps", "sings"]}
    assert mc.read_example("hellaswag", {**hs, "label": "2"}) == (
        "A man sits.",
        ["he runs", "he eats", "he naps", "he sings"],
        2,  # the hub label is the string "2"
    )
    cosmos = {"context": "It rained.", "question": "Why?", "label": 3}
    cosmos |= {f"answer{i}": f"a{i}" for i in range(4)}
    assert mc.read_example("cosmosqa", cosmos) == ("It rained. Why?", ["a0", "a1", "a2", "a3"], 3)
    csqa = {
        "question": "Where?",
        "choices": {"label": list("ABCDE"), "text": ["v", "w", "x", "y", "z"]},
        "answerKey": "D",
    }
    assert mc.read_example("commonsenseqa", csqa) == ("Where?", ["v", "w", "x", "y", "z"], 3)
    assert tasks.get("commonsenseqa").num_choices == 5


def test_collation_keeps_each_examples_choices_together():
    rows = {
        "input_ids": [
            [[0, 11, 2], [0, 12, 12, 2], [0, 13, 2]],  # 3 choices
            [[0, 21, 2], [0, 22, 2], [0, 23, 23, 23, 2], [0, 24, 2], [0, 25, 2]],  # 5 choices
        ],
        "label": [1, 4],
    }
    batch = HELLASWAG.collate(rows, pad_id=1)
    ids = batch["input_ids"]
    assert ids.shape[:2] == (2, 5) and ids.shape[2] % 8 == 0
    assert ids[0, 1, :4].tolist() == [0, 12, 12, 2] and ids[0, 1, 4:].eq(1).all()
    assert ids[1, 2, :5].tolist() == [0, 23, 23, 23, 2]
    assert batch["choice_mask"].tolist() == [[True] * 3 + [False] * 2, [True] * 5]
    assert ids[0, 3, :3].tolist() == [0, 11, 2]  # filler: a copy of a real choice, masked out
    assert batch["labels"].tolist() == [1, 4]


class _MarkerEncoder(torch.nn.Module):
    """Stand-in encoder: the first hidden unit of <s> is 1 when the sequence holds token 99."""

    def forward(self, input_ids, attention_mask):
        hidden = torch.zeros(*input_ids.shape, 4)
        hidden[:, 0, 0] = (input_ids == 99).any(dim=1).float()
        return SimpleNamespace(last_hidden_state=hidden)


def test_the_head_scores_the_choice_that_holds_the_answer():
    head = mc.ChoiceHead(4, dropout=0.0)
    with torch.no_grad():
        head.dense.weight.copy_(torch.eye(4))
        head.dense.bias.zero_()
        head.out_proj.weight.copy_(torch.tensor([[1.0, 0, 0, 0]]))
        head.out_proj.bias.zero_()
    rows = {
        "input_ids": [
            [[0, 5, 2], [0, 6, 2], [0, 99, 2], [0, 7, 2]],  # the answer is choice 2
            [[0, 99, 8, 2], [0, 8, 2], [0, 9, 2], [0, 9, 9, 2]],  # choice 0
            [[0, 5, 2], [0, 6, 2], [0, 99, 2]],  # choice 2 of 3 (a 4th is padding)
        ],
        "label": [2, 0, 2],
    }
    batch = HELLASWAG.collate(rows, pad_id=1)
    batch["input_ids"][2, 3, 1] = 99  # even a filler holding the marker can never win
    logits = head(_MarkerEncoder(), batch)
    assert logits.shape == (3, 4)
    assert HELLASWAG.decode(list(logits), None) == [2, 0, 2]
    assert HELLASWAG.score([2, 0, 2], [2, 0, 1])["accuracy"] == pytest.approx(200 / 3)
    assert HELLASWAG.loss(logits, batch).item() < HELLASWAG.loss(logits.flip(1), batch).item()


def test_features_hold_every_choice_of_an_example(demo_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(demo_model)
    source = HELLASWAG.splits()["train"][0]
    rows = HELLASWAG.demo_rows(source, 5, seed=0)
    feats = HELLASWAG.featurize(rows, source, tokenizer, 256)
    assert len(feats) == 5
    for ex, choices in zip(rows, feats["input_ids"], strict=True):
        assert len(choices) == 4
        for k, ids in enumerate(choices):  # <s> ctx_a </s></s> ctx_b ending_k </s>
            prompt = tokenizer(ex["ctx_a"], add_special_tokens=False)["input_ids"]
            choice = tokenizer(f"{ex['ctx_b']} {ex['endings'][k]}", add_special_tokens=False)
            assert ids == [0, *prompt, 2, 2, *choice["input_ids"], 2]
    assert feats["label"] == [int(x) for x in rows["label"]]
    short = HELLASWAG.featurize(rows, source, tokenizer, 16)
    assert all(len(c) <= 16 for choices in short["input_ids"] for c in choices)
    assert isinstance(rows.features["label"], datasets.Value)  # a string on the hub
