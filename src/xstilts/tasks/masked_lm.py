"""Masked language modelling on plain text, the paper's other multilingual arm: MLM batches in
many languages mixed into intermediate-task training (config key ``mlm``), to keep the encoder
multilingual while it learns an English task.

The text is the user's: one plain-text file per language (``<lang>.txt``, UTF-8, one sentence
or paragraph per line, blank lines ignored) in the directory ``data.local.mlm_text`` names, for
example a sample of CC-100 or Wikipedia in each language; the demo writes its own. Each line
becomes one example, truncated to 256 tokens (the task's ``default_max_seq_length``; every arm
shares the text prepared once per model and language).

Masking follows BERT and XLM-R: 15 % of the tokens between ``<s>`` and ``</s>`` are chosen; 80 %
of them become ``<mask>``, 10 % a random token and 10 % stay; the loss is cross-entropy on the
chosen tokens. Tokens are masked anew in every batch (dynamic masking, as RoBERTa/XLM-R train),
from torch's random generator, which training seeds and checkpoints. The output layer is tied to
the encoder's input embeddings, as XLM-R's is; its transform (dense, GELU, LayerNorm) starts
fresh, since the pretrained checkpoints the workflow stores keep the encoder only.

The task is trained next to another one and never evaluated on its own: it has no validation
or test split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from xstilts.benchmarks import BENCHMARKS
from xstilts.data import demo, schema
from xstilts.data.schema import Features, Value
from xstilts.data.sources import Source
from xstilts.errors import UserError
from xstilts.tasks.base import Task, map_rows, pad

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


TEXT = Features({"text": Value("string")})
LOCAL_NAME = "mlm_text"
# every language of XTREME and XTREME-R (English included)
LANGUAGES = tuple(
    sorted({lang for b in BENCHMARKS.values() for ls in b.languages.values() for lang in ls})
)


def text_source(lang: str) -> Source:
    # num_rows only scales the demo copy (2,000 lines at the demo's scale of 100)
    return Source(
        f"local/{LOCAL_NAME}",
        lang,
        "train",
        TEXT,
        language=lang,
        num_rows=200_000,
        local_files=(f"{lang}.txt",),
    )


@dataclass(frozen=True)
class MaskedLMTask(Task):
    TOKENS_PER_EXAMPLE: ClassVar[int] = 48  # a line of text

    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:

        writer = demo.Writer(source.language, seed)
        return schema.from_dict({"text": [writer.sentence(8, 24) for _ in range(n)]}, TEXT)

    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        if tokenizer.mask_token_id is None:
            raise UserError(
                "the model's tokenizer has no mask token, so it cannot train masked language "
                "modelling; remove the arm from the config's mlm section"
            )

        def encode(batch):
            ids = tokenizer(batch["text"], truncation=True, max_length=max_length)["input_ids"]
            return {
                "input_ids": ids,
                "mask_id": [tokenizer.mask_token_id] * len(ids),
                "length": [len(x) for x in ids],
            }

        return map_rows(ds, encode, batched=True, remove_columns=ds.column_names)

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        import torch

        ids = pad(rows["input_ids"], pad_id)
        return {
            "input_ids": ids,
            "attention_mask": (ids != pad_id).long(),
            "mask_id": torch.tensor(rows["mask_id"][0]),
        }

    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        from xstilts.tasks.heads import MaskedLMHead

        return MaskedLMHead(hidden_size)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        from torch import nn

        return nn.functional.cross_entropy(logits.float(), batch["mlm_targets"])

    # plain text, one file per language
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:

        path = Path(directory) / f"{source.language}.txt"
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            raise UserError(
                f"{path} has no text; put one sentence or paragraph per line in it, or remove "
                f"{source.language} from the mlm arm's languages"
            )
        return schema.from_dict({"text": lines}, TEXT)

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for src, ds in splits.items():
            text = "".join(f"{line}\n" for line in ds["text"])
            (directory / f"{src.language}.txt").write_text(text, encoding="utf-8")

    # trained next to another task, never evaluated on its own (no validation or test split)
    def _not_evaluated(self, *_args, **_kwargs):
        raise NotImplementedError(
            "the masked-LM task is trained next to another task and never evaluated on its own"
        )

    decode = gold = score = write_predictions = _not_evaluated


TASKS = [
    MaskedLMTask(
        name="mlm",
        description="masked language modelling on plain text in many languages (co-training)",
        languages=LANGUAGES,
        metrics=(),
        avg_metrics=(),
        language_sources=tuple(text_source(lang) for lang in LANGUAGES),
    )
]
