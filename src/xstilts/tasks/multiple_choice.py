"""Multiple choice: HellaSwag, CosmosQA, CommonsenseQA (intermediate tasks).

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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import datasets
import torch
from datasets import Features, List, Value
from torch import nn

from xstilts.data import demo
from xstilts.data.sources import Source
from xstilts.metrics import accuracy
from xstilts.tasks.base import Task, map_rows, pad

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
        revision="refs/convert/parquet",
        style="cosmosqa",
    )


def commonsenseqa(split: str, n: int) -> ChoiceSource:
    return ChoiceSource(
        "tau/commonsense_qa", "default", split, COMMONSENSEQA, num_rows=n, style="commonsenseqa"
    )


class ChoiceHead(nn.Module):
    """One score per choice: RoBERTa's classification head with a single output."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, 1)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        b, c, length = batch["input_ids"].shape
        hidden = encoder(
            input_ids=batch["input_ids"].view(b * c, length),
            attention_mask=batch["attention_mask"].view(b * c, length),
        )
        x = self.dropout(hidden.last_hidden_state[:, 0])
        x = self.out_proj(self.dropout(torch.tanh(self.dense(x))))
        scores = x.view(b, c)
        # a padded (missing) choice can never win
        return scores.masked_fill(~batch["choice_mask"], torch.finfo(scores.dtype).min)


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
        for i in range(n):
            right = int(writer.rng.integers(self.num_choices))
            shown = writer.noisy(right, self.num_choices)
            choices = [
                writer.with_cue("mc", int(k == right), 2, 6) for k in range(self.num_choices)
            ]
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
            else:
                letters = [chr(ord("A") + k) for k in range(self.num_choices)]
                values = {
                    "id": f"{source.split}-{i:06d}",
                    "question": prompt + "?",
                    "question_concept": writer.sentence(1, 1),
                    "choices": {"label": letters, "text": choices},
                    "answerKey": letters[shown],
                }
            for col in source.features:
                rows[col].append(values[col])
        return datasets.Dataset.from_dict(rows, features=source.features)

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

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        """(batch, choices, length) ids: the choices of one example always stay in one row. An
        example with fewer choices than the widest is filled up with copies of its first choice
        (a real sequence, so no row is all padding), which ``choice_mask`` rules out."""
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
        return ChoiceHead(hidden_size, dropout)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
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


_MC = dict(languages=("en",), metrics=("accuracy",), avg_metrics=("accuracy",))

TASKS = [
    MultipleChoiceTask(
        name="hellaswag",
        description="HellaSwag: 4 endings (prompt ctx_a, choice ctx_b + ending)",
        train=(hellaswag("train", 39_905),),
        validation=(hellaswag("validation", 10_042),),
        **_MC,
    ),
    MultipleChoiceTask(
        name="cosmosqa",
        description="Cosmos QA: context + question, 4 answers",
        train=(cosmosqa("train", 25_262),),
        validation=(cosmosqa("validation", 2_985),),
        **_MC,
    ),
    MultipleChoiceTask(
        name="commonsenseqa",
        description="CommonsenseQA: 5 labelled choices, answerKey letter",
        train=(commonsenseqa("train", 9_741),),
        validation=(commonsenseqa("validation", 1_221),),
        num_choices=5,
        **_MC,
    ),
]
