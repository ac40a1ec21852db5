"""Sentence-pair classification: MNLI, ANLI+, QQP (intermediate); XNLI, PAWS-X (targets).

Hub ids, configs, splits, columns and label encodings: ../shared/reference/PAPER.md §5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from xstilts.data import demo, schema
from xstilts.data.schema import ClassLabel, Features, Value
from xstilts.data.sources import Source
from xstilts.metrics import accuracy, binary_f1
from xstilts.tasks.base import Task, map_rows, pad

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


@dataclass(frozen=True)
class PairSource(Source):
    text_a: str = "premise"
    text_b: str = "hypothesis"
    label: str = "label"


NLI_LABELS = ("entailment", "neutral", "contradiction")
_NLI = ClassLabel(names=list(NLI_LABELS))
_S = Value("string")

GLUE_MNLI = Features({"premise": _S, "hypothesis": _S, "label": _NLI, "idx": Value("int32")})
SNLI = Features({"premise": _S, "hypothesis": _S, "label": _NLI})
ANLI = Features({"uid": _S, "premise": _S, "hypothesis": _S, "label": _NLI, "reason": _S})
GLUE_QQP = Features(
    {
        "question1": _S,
        "question2": _S,
        "label": ClassLabel(names=["not_duplicate", "duplicate"]),
        "idx": Value("int32"),
    }
)
XNLI = Features({"premise": _S, "hypothesis": _S, "label": _NLI})
PAWSX = Features(
    {"id": Value("int32"), "sentence1": _S, "sentence2": _S, "label": ClassLabel(names=["0", "1"])}
)

# how ANLI+ selects: its validation's components scored each on its own first examples, averaged
ANLI_PLUS_SELECTION = "ANLI R1, R2, R3, MNLI matched and SNLI dev, each scored alone, averaged"

XNLI_LANGS = tuple("ar bg de el en es fr hi ru sw th tr ur vi zh".split())
PAWSX_LANGS = tuple("de en es fr ja ko zh".split())


def mnli(split: str, n: int) -> PairSource:
    return PairSource("nyu-mll/glue", "mnli", split, GLUE_MNLI, num_rows=n)


def snli(split: str, n: int) -> PairSource:
    # 785 training rows have no gold label (label -1): dropped, as for ANLI+ (PAPER.md §5b)
    return PairSource(
        "stanfordnlp/snli", "plain_text", split, SNLI, num_rows=n, drop=(("label", -1),)
    )


def anli(split: str, n: int) -> PairSource:
    return PairSource("facebook/anli", "plain_text", split, ANLI, num_rows=n)


def qqp(split: str, n: int) -> PairSource:
    return PairSource(
        "nyu-mll/glue", "qqp", split, GLUE_QQP, num_rows=n, text_a="question1", text_b="question2"
    )


def xnli(split: str, lang: str, n: int) -> PairSource:
    return PairSource("facebook/xnli", lang, split, XNLI, language=lang, num_rows=n)


def pawsx(split: str, lang: str, n: int) -> PairSource:
    return PairSource(
        "google-research-datasets/paws-x",
        lang,
        split,
        PAWSX,
        language=lang,
        num_rows=n,
        text_a="sentence1",
        text_b="sentence2",
    )


@dataclass(frozen=True)
class PairClassificationTask(Task):
    TOKENS_PER_EXAMPLE: ClassVar[int] = 64  # premise + hypothesis (or two questions)
    label_names: tuple[str, ...] = NLI_LABELS
    positive_label: str | None = None  # for F1 (QQP)
    signal: str = "nli"  # which demo cue words carry the label

    # -- labels: every source's encoding → the task's label index, by label name --
    def _label_index(self, source: PairSource, value) -> int:
        feature = source.features[source.label]
        name = feature.int2str(int(value)) if isinstance(feature, ClassLabel) else str(value)
        try:
            return self.label_names.index(name)
        except ValueError:
            raise ValueError(
                f"{source.key}: label {value!r} ({name}) is not one of {self.label_names}"
            ) from None

    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:

        assert isinstance(source, PairSource)
        writer = demo.Writer(source.language, seed)
        label_feature = source.features[source.label]
        rows: dict[str, list] = {col: [] for col in source.features}
        for i in range(n):
            label = int(writer.rng.integers(len(self.label_names)))
            shown = writer.noisy(label, len(self.label_names))
            name = self.label_names[shown]
            values = {
                source.text_a: writer.sentence(),
                source.text_b: writer.with_cue(self.signal, label),
                source.label: label_feature.str2int(name)
                if isinstance(label_feature, ClassLabel)
                else name,
            }
            for col, feature in source.features.items():
                if col in values:
                    rows[col].append(values[col])
                elif feature.dtype.startswith("int"):
                    rows[col].append(i)
                else:  # ids and free-text metadata (ANLI's uid and reason)
                    rows[col].append(
                        f"{source.split}-{i:06d}" if col.endswith("id") else writer.sentence(3, 6)
                    )
        return schema.from_dict(rows, source.features)

    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        assert isinstance(source, PairSource)

        # a validation set joined from several sources (ANLI+) names each row's source, so that
        # model selection scores each on its own (training.selection.validation_sets)
        component = source.key if len(self.validation) > 1 and source in self.validation else None

        def encode(batch):
            enc = tokenizer(
                batch[source.text_a], batch[source.text_b], truncation=True, max_length=max_length
            )
            out = {
                "input_ids": enc["input_ids"],
                "label": [self._label_index(source, v) for v in batch[source.label]],
                "length": [len(x) for x in enc["input_ids"]],
            }
            if component is not None:
                out["component"] = [component] * len(out["input_ids"])
            return out

        return map_rows(ds, encode, batched=True, remove_columns=ds.column_names)

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        import torch

        ids = pad(rows["input_ids"], pad_id)
        return {
            "input_ids": ids,
            "attention_mask": (ids != pad_id).long(),
            "labels": torch.as_tensor(rows["label"], dtype=torch.long),
        }

    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        from xstilts.tasks.heads import ClassificationHead

        return ClassificationHead(hidden_size, len(self.label_names), dropout)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        from torch import nn

        return nn.functional.cross_entropy(logits.float(), batch["labels"])

    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset) -> list[str]:
        return [self.label_names[int(x.argmax())] for x in logits]

    def text_fields(self, source: Source) -> tuple[str, ...]:
        assert isinstance(source, PairSource)
        return (source.text_a, source.text_b)

    def gold(self, features: datasets.Dataset) -> list[str]:
        return [self.label_names[i] for i in features["label"]]

    def score(self, predictions: list[str], gold: list[str], lang: str = "en") -> dict[str, float]:
        out = {"accuracy": accuracy(predictions, gold)}
        if "f1" in self.metrics:
            out["f1"] = binary_f1(predictions, gold, positive=self.positive_label)
        return out

    def example_stats(self, predictions: list[str], gold: list[str], lang: str) -> list[dict]:
        """Per example: right or not, and the positive-class counts F1 is made of."""
        pos = self.positive_label
        return [
            {"correct": int(p == g), "tp": int(p == g == pos), "pred": int(p == pos)}
            | {"gold": int(g == pos)}
            for p, g in zip(predictions, gold, strict=True)
        ]

    def metrics_from_sums(self, sums: dict, n) -> dict:
        import numpy as np

        out = {"accuracy": 100.0 * np.asarray(sums["correct"], dtype=float) / n}
        if "f1" in self.metrics:  # 2·tp / (2·tp + fp + fn) = 2·tp / (predicted + gold)
            tp, total = np.asarray(sums["tp"], float), np.asarray(sums["pred"] + sums["gold"])
            with np.errstate(divide="ignore", invalid="ignore"):
                out["f1"] = np.where(tp > 0, 200.0 * tp / total, 0.0)
        return out

    def write_predictions(self, predictions: list[str], path: Path) -> None:
        # xtreme evaluate.py reads one label per line and compares it with the gold file's line
        path.write_text("".join(f"{p}\n" for p in predictions), encoding="utf-8")


TASKS = [
    PairClassificationTask(
        name="mnli",
        role="intermediate",
        description="MultiNLI (GLUE), 3-way NLI",
        languages=("en",),
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        train=(mnli("train", 392_702),),
        validation=(mnli("validation_matched", 9_815),),
        # XNLI's training split in each non-English language is MNLI's, machine-translated
        language_sources=tuple(xnli("train", lang, 392_702) for lang in XNLI_LANGS if lang != "en"),
    ),
    PairClassificationTask(
        name="anli_plus",
        role="intermediate",
        description="ANLI+ = ANLI R1-R3 + MNLI + SNLI, one NLI head (PAPER.md §5b)",
        languages=("en",),
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        train=(
            anli("train_r1", 16_946),
            anli("train_r2", 45_460),
            anli("train_r3", 100_459),
            mnli("train", 392_702),
            snli("train", 550_152),
        ),
        # jiant trains ANLI+ as five tasks on one head (guides/tasks/task_specific.md: "SNLI+MNLI+
        # A1+A2+A3 ... in a multi-task manner"; download names adversarial_nli_r1..r3, each with
        # its dev_rN as val, scripts/download_data/dl_datasets/hf_datasets_tasks.py), and
        # validates each on its own first eval_subset_num examples, averaged with equal weights
        # (jiant/proj/main/metarunner.py eval_save; EqualMetricAggregator): the five dev sets
        # here, each scored on its own in model selection (SNLI's unlabelled rows dropped)
        validation=(
            anli("dev_r1", 1_000),
            anli("dev_r2", 1_000),
            anli("dev_r3", 1_200),
            mnli("validation_matched", 9_815),
            snli("validation", 10_000),
        ),
        validation_rule=ANLI_PLUS_SELECTION,
    ),
    PairClassificationTask(
        name="qqp",
        role="intermediate",
        description="Quora Question Pairs (GLUE), paraphrase; jiant's metric = mean(acc, F1)",
        languages=("en",),
        metrics=("accuracy", "f1"),
        avg_metrics=("accuracy", "f1"),
        train=(qqp("train", 363_846),),
        validation=(qqp("validation", 40_430),),
        label_names=("not_duplicate", "duplicate"),
        positive_label="duplicate",
        signal="paraphrase",
    ),
    PairClassificationTask(
        name="xnli",
        role="target",
        description="XNLI: train on MNLI (English), test zero-shot on 15 languages",
        languages=XNLI_LANGS,
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        train=(mnli("train", 392_702),),
        validation=(xnli("validation", "en", 2_490),),
        test=tuple(xnli("test", lang, 5_010) for lang in XNLI_LANGS),
    ),
    PairClassificationTask(
        name="pawsx",
        role="target",
        description="PAWS-X: train on English, test zero-shot on 7 languages",
        languages=PAWSX_LANGS,
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        train=(pawsx("train", "en", 49_401),),
        validation=(pawsx("validation", "en", 2_000),),
        test=tuple(pawsx("test", lang, 2_000) for lang in PAWSX_LANGS),
        label_names=("0", "1"),
        positive_label="1",
        signal="paraphrase",
    ),
]
