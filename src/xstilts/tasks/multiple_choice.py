"""Multiple choice: HellaSwag, CosmosQA, CommonsenseQA (intermediate tasks) and XCOPA (an
XTREME-R target).

Each choice is encoded with the prompt as its own sequence (``<s> prompt </s></s> choice
</s>``); a scalar head scores each choice from its first token (RoBERTa's classification head
with one output, as jiant's MultipleChoiceModel), and a softmax over one example's choices gives
the loss. The choices of an example stay together in one feature row, so a batch never splits
them. Metric: accuracy.

Prompts and choices as jiant builds them: HellaSwag prompt ``ctx_a``, choice ``ctx_b + " " +
ending`` (its label is a string "0".."3"); CosmosQA prompt ``context + " " + question``, choices
answer0..answer3; CommonsenseQA prompt ``question``, choices ``choices.text`` and the label the
position of ``answerKey`` in ``choices.label``. Hub ids and columns:
../shared/reference/PAPER.md §5.

XCOPA as XTREME-R trains it (``scripts/train_xcopa.sh``, ``third_party/run_xcopa.py``): a first
fine-tuning stage on Social IQa (prompt ``context + " " + question``, choices answerA..answerC,
its label the string "1".."3"), then English COPA from that model, its choice head included
(prompt ``premise + " What was the " + question + "?"``, question being "cause" or "effect",
choices choice1 and choice2), tested on the 11 XCOPA languages. Predictions are JSON lines with
a ``"label"`` each, which evaluate.py's ``read_xcopa`` reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from xstilts.data import demo, schema
from xstilts.data.schema import ClassLabel, Features, List, Value
from xstilts.data.sources import Source
from xstilts.metrics import accuracy
from xstilts.tasks.base import Task, map_rows, pad

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


_S = Value("string")
HELLASWAG = Features(
    {
        "ind": Value("int32"),
        "activity_label": _S,
        "ctx_a": _S,
        "ctx_b": _S,
        "ctx": _S,
        "endings": List(_S),
        "source_id": _S,
        "split": _S,
        "split_type": _S,
        "label": _S,
    }
)
COSMOSQA = Features(
    {
        "id": _S,
        "context": _S,
        "question": _S,
        "answer0": _S,
        "answer1": _S,
        "answer2": _S,
        "answer3": _S,
        "label": Value("int32"),
    }
)
COMMONSENSEQA = Features(
    {
        "id": _S,
        "question": _S,
        "question_concept": _S,
        "choices": {"label": List(_S), "text": List(_S)},
        "answerKey": _S,
    }
)
SOCIAL_IQA = Features(
    {
        "context": _S,
        "question": _S,
        "answerA": _S,
        "answerB": _S,
        "answerC": _S,
        "label": _S,
    }
)
_COPA_TEXT = {"premise": _S, "choice1": _S, "choice2": _S, "question": _S}
COPA = Features(
    {**_COPA_TEXT, "idx": Value("int32"), "label": ClassLabel(names=["choice1", "choice2"])}
)
XCOPA = Features(
    {**_COPA_TEXT, "label": Value("int32"), "idx": Value("int32"), "changed": Value("bool")}
)


@dataclass(frozen=True)
class ChoiceSource(Source):
    style: str = "hellaswag"  # how prompt, choices and label are read: see ``read_example``


def read_example(style: str, row: dict) -> tuple[str, list[str], int]:
    """(prompt, choices, index of the right choice) of one hub row."""
    if style == "hellaswag":
        return row["ctx_a"], [f"{row['ctx_b']} {e}" for e in row["endings"]], int(row["label"])
    if style == "cosmosqa":
        answers = [row[f"answer{i}"] for i in range(4)]
        return f"{row['context']} {row['question']}", answers, int(row["label"])
    if style == "commonsenseqa":
        return (
            row["question"],
            row["choices"]["text"],
            row["choices"]["label"].index(row["answerKey"]),
        )
    if style == "siqa":
        answers = [row[f"answer{k}"] for k in "ABC"]
        return f"{row['context']} {row['question']}", answers, int(row["label"]) - 1
    if style == "copa":
        prompt = f"{row['premise']} What was the {row['question']}?"
        return prompt, [row["choice1"], row["choice2"]], int(row["label"])
    raise ValueError(f"unknown multiple-choice style {style!r}")


def hellaswag(split: str, n: int) -> ChoiceSource:
    return ChoiceSource("Rowan/hellaswag", "default", split, HELLASWAG, num_rows=n)


def cosmosqa(split: str, n: int) -> ChoiceSource:
    # allenai/cosmos_qa's main branch held a loading script (datasets >= 4 runs none); the
    # Hub's parquet conversion of the same data lives on refs/convert/parquet
    return ChoiceSource(
        "allenai/cosmos_qa",
        "default",
        split,
        COSMOSQA,
        num_rows=n,
        style="cosmosqa",
    )


def commonsenseqa(split: str, n: int) -> ChoiceSource:
    return ChoiceSource(
        "tau/commonsense_qa", "default", split, COMMONSENSEQA, num_rows=n, style="commonsenseqa"
    )


def social_iqa(split: str, n: int) -> ChoiceSource:
    # allenai/social_i_qa's main branch holds a loading script; the Hub's parquet conversion of
    # the same data lives on refs/convert/parquet
    return ChoiceSource(
        "allenai/social_i_qa",
        "default",
        split,
        SOCIAL_IQA,
        num_rows=n,
        style="siqa",
    )


def copa(split: str, n: int) -> ChoiceSource:
    # English COPA from SuperGLUE (aps/super_glue, formerly super_glue: a loading script on
    # main, parquet on refs/convert/parquet)
    return ChoiceSource(
        "aps/super_glue",
        "copa",
        split,
        COPA,
        num_rows=n,
        style="copa",
    )


def xcopa(lang: str) -> ChoiceSource:
    return ChoiceSource(
        "cambridgeltl/xcopa", lang, "test", XCOPA, language=lang, num_rows=500, style="copa"
    )


# choices per example of a style whose count is fixed by its schema (else ``num_choices``)
_STYLE_CHOICES = {"siqa": 3, "copa": 2}


@dataclass(frozen=True)
class MultipleChoiceTask(Task):
    num_choices: int = 4
    TOKENS_PER_CHOICE: ClassVar[int] = 80  # prompt + one choice, encoded once per choice

    @property
    def tokens_per_example(self) -> int:
        return self.num_choices * self.TOKENS_PER_CHOICE

    # ---- demo data ----
    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:
        """The right choice carries a "right" cue word, the others "wrong" ones."""

        assert isinstance(source, ChoiceSource)
        writer = demo.Writer(source.language, seed)
        rows: dict[str, list] = {col: [] for col in source.features}
        width = _STYLE_CHOICES.get(source.style, self.num_choices)
        for i in range(n):
            right = int(writer.rng.integers(width))
            shown = writer.noisy(right, width)
            choices = [writer.with_cue("mc", int(k == right), 2, 6) for k in range(width)]
            prompt = writer.sentence(8, 16)
            if source.style == "hellaswag":
                ctx_a, ctx_b = prompt, writer.sentence(2, 4)
                values = {
                    "ind": i,
                    "activity_label": writer.sentence(1, 3),
                    "ctx_a": ctx_a,
                    "ctx_b": ctx_b,
                    "ctx": f"{ctx_a} {ctx_b}",
                    "endings": choices,
                    "source_id": f"demo~{i:06d}",
                    "split": source.split.replace("validation", "val"),
                    "split_type": "indomain",
                    "label": str(shown),
                }
            elif source.style == "cosmosqa":
                values = {
                    "id": f"{source.split}-{i:06d}",
                    "context": prompt,
                    "question": writer.sentence(4, 8) + "?",
                    **{f"answer{k}": c for k, c in enumerate(choices)},
                    "label": shown,
                }
            elif source.style == "siqa":
                values = {
                    "context": prompt,
                    "question": writer.sentence(4, 8) + "?",
                    **{f"answer{k}": c for k, c in zip("ABC", choices, strict=True)},
                    "label": str(shown + 1),
                }
            elif source.style == "copa":
                values = {
                    "premise": prompt,
                    "choice1": choices[0],
                    "choice2": choices[1],
                    "question": ("cause", "effect")[i % 2],
                    "idx": i,
                    "label": shown,
                    "changed": False,
                }
            else:
                letters = [chr(ord("A") + k) for k in range(width)]
                values = {
                    "id": f"{source.split}-{i:06d}",
                    "question": prompt + "?",
                    "question_concept": writer.sentence(1, 1),
                    "choices": {"label": letters, "text": choices},
                    "answerKey": letters[shown],
                }
            for col in source.features:
                rows[col].append(values[col])
        return schema.from_dict(rows, source.features)

    # ---- features ----
    def embedding_inputs(self, features: datasets.Dataset) -> list[list[int]]:
        # the context with its first choice: every choice repeats the context
        return [choices[0] for choices in features["input_ids"]]

    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        assert isinstance(source, ChoiceSource)

        def encode(batch):
            out: dict[str, list] = {"input_ids": [], "label": [], "length": []}
            for j in range(len(batch[next(iter(batch))])):
                prompt, choices, label = read_example(
                    source.style, {k: v[j] for k, v in batch.items()}
                )
                enc = tokenizer(
                    [prompt] * len(choices), choices, truncation=True, max_length=max_length
                )
                out["input_ids"].append(enc["input_ids"])
                out["label"].append(label)
                # the cost of a row is every choice's tokens (length grouping, token counts)
                out["length"].append(len(choices) * max(len(x) for x in enc["input_ids"]))
            return out

        return map_rows(ds, encode, batched=True, remove_columns=ds.column_names)

    def padded_lengths(self, features: datasets.Dataset) -> list[int]:
        # every choice is padded to the batch's longest choice (``length`` counts all choices)
        return [max(len(c) for c in choices) for choices in features["input_ids"]]

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        """(batch, choices, length) ids: the choices of one example always stay in one row. An
        example with fewer choices than the widest is filled up with copies of its first choice
        (a real sequence, so no row is all padding), which ``choice_mask`` rules out."""
        import torch

        width = max(len(choices) for choices in rows["input_ids"])
        flat, mask = [], []
        for choices in rows["input_ids"]:
            flat.extend(choices + [choices[0]] * (width - len(choices)))
            mask.append([True] * len(choices) + [False] * (width - len(choices)))
        ids = pad(flat, pad_id).view(len(rows["input_ids"]), width, -1)
        return {
            "input_ids": ids,
            "attention_mask": (ids != pad_id).long(),
            "choice_mask": torch.as_tensor(mask, dtype=torch.bool),
            "labels": torch.as_tensor(rows["label"], dtype=torch.long),
        }

    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        from xstilts.tasks.heads import ChoiceHead

        return ChoiceHead(hidden_size, dropout)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        from torch import nn

        return nn.functional.cross_entropy(logits.float(), batch["labels"])

    # ---- decoding and scoring ----
    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset) -> list[int]:
        return [int(x.argmax()) for x in logits]

    def gold(self, features: datasets.Dataset) -> list[int]:
        return list(features["label"])

    def score(self, predictions, gold, lang: str = "en") -> dict[str, float]:
        return {"accuracy": accuracy(predictions, gold)}

    def write_predictions(self, predictions, path: Path) -> None:
        path.write_text("".join(f"{p}\n" for p in predictions), encoding="utf-8")


@dataclass(frozen=True)
class XcopaTask(MultipleChoiceTask):
    """XCOPA's predictions and labels: one JSON object with a ``"label"`` per line
    (run_xcopa.py's ``test-<lang>.jsonl``, evaluate.py's ``read_xcopa``)."""

    prediction_suffix: str = "jsonl"

    def write_predictions(self, predictions, path: Path) -> None:
        lines = (json.dumps({"label": int(p)}) + "\n" for p in predictions)
        path.write_text("".join(lines), encoding="utf-8")


_MC = dict(languages=("en",), metrics=("accuracy",), avg_metrics=("accuracy",))

TASKS = [
    MultipleChoiceTask(
        name="hellaswag",
        role="intermediate",
        description="HellaSwag: 4 endings (prompt ctx_a, choice ctx_b + ending)",
        train=(hellaswag("train", 39_905),),
        validation=(hellaswag("validation", 10_042),),
        **_MC,
    ),
    MultipleChoiceTask(
        name="cosmosqa",
        role="intermediate",
        description="Cosmos QA: context + question, 4 answers",
        train=(cosmosqa("train", 25_262),),
        validation=(cosmosqa("validation", 2_985),),
        **_MC,
    ),
    MultipleChoiceTask(
        name="commonsenseqa",
        role="intermediate",
        description="CommonsenseQA: 5 labelled choices, answerKey letter",
        train=(commonsenseqa("train", 9_741),),
        validation=(commonsenseqa("validation", 1_221),),
        num_choices=5,
        **_MC,
    ),
    XcopaTask(
        name="xcopa",
        role="target",
        description="XCOPA: Social IQa, then English COPA (premise + cause/effect question, "
        "2 choices); 11 languages",
        languages=tuple("et ht id it qu sw ta th tr vi zh".split()),
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        first_stage=(social_iqa("train", 33_410),),
        train=(copa("train", 400),),
        validation=(copa("validation", 100),),
        test=tuple(xcopa(lang) for lang in "et ht id it qu sw ta th tr vi zh".split()),
        num_choices=2,
        default_max_seq_length=128,
    ),
]
