"""Multiple choice: prompts and choices as jiant builds them, collation that keeps each example's
choices together, and a head that scores the right choice of the right example."""

from __future__ import annotations

from types import SimpleNamespace

import datasets
import pytest
import torch

from xstilts import tasks
from xstilts.benchmarks import BENCHMARKS
from xstilts.tasks import heads
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
    head = heads.ChoiceHead(4, dropout=0.0)
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


def test_xcopa_reads_social_iqa_then_copa_as_xtreme_r_does():
    """run_xcopa.py's inputs: Social IQa "context question" against answerA..C (the Hub label is
    the string "1".."3"), COPA "premise What was the cause/effect?" against choice1 and choice2.
    The rows are Social IQa's first training example and COPA's first validation example."""
    siqa = {
        "context": "Cameron decided to have a barbecue and gathered her friends together.",
        "question": "How would Others feel as a result?",
        "answerA": "like attending",
        "answerB": "like staying home",
        "answerC": "a good friend to have",
        "label": "1",
    }
    assert mc.read_example("siqa", siqa) == (
        "Cameron decided to have a barbecue and gathered her friends together. "
        "How would Others feel as a result?",
        ["like attending", "like staying home", "a good friend to have"],
        0,
    )
    copa = {
        "premise": "The man turned on the faucet.",
        "choice1": "The toilet filled with water.",
        "choice2": "Water flowed from the spout.",
        "question": "effect",
        "label": 1,
    }
    assert mc.read_example("copa", copa) == (
        "The man turned on the faucet. What was the effect?",
        ["The toilet filled with water.", "Water flowed from the spout."],
        1,
    )
    xcopa = tasks.get("xcopa")
    assert xcopa.train_splits == ("first_stage", "train")
    [siqa_src] = xcopa.splits()["first_stage"]
    assert (siqa_src.repo, siqa_src.split, siqa_src.style) == (
        "allenai/social_i_qa",
        "train",
        "siqa",
    )
    [copa_src] = xcopa.splits()["train"]
    assert (copa_src.repo, copa_src.config, copa_src.style) == ("aps/super_glue", "copa", "copa")
    assert [k for k in xcopa.splits() if k.startswith("test.")] == [
        f"test.{lang}" for lang in "et ht id it qu sw ta th tr vi zh".split()
    ]
    assert set(xcopa.languages) == set(BENCHMARKS["xtreme-r"].languages["xcopa"])


def test_xcopa_predictions_are_the_json_lines_evaluate_py_reads(tmp_path):
    from xstilts.summary.score import read_xcopa

    xcopa = tasks.get("xcopa")
    path = tmp_path / f"test-qu.{xcopa.prediction_suffix}"
    xcopa.write_predictions([1, 0, 1], path)
    assert path.name == "test-qu.jsonl"
    assert path.read_text() == '{"label": 1}\n{"label": 0}\n{"label": 1}\n'
    assert read_xcopa(path) == [1, 0, 1]


def test_demo_copa_rows_have_two_choices_and_siqa_three(demo_model):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(demo_model)
    xcopa = tasks.get("xcopa")
    for split, width in (("first_stage", 3), ("train", 2), ("test.sw", 2)):
        [source] = xcopa.splits()[split]
        rows = xcopa.demo_rows(source, 6, seed=0)
        feats = xcopa.featurize(rows, source, tokenizer, 64)
        assert {len(choices) for choices in feats["input_ids"]} == {width}
        assert all(0 <= label < width for label in feats["label"])
