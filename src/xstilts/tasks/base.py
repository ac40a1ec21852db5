"""What every task provides. A task owns its data, features, head, decoding and metric.

The training loop, the evaluation loop, the workflow and the aggregation only call these methods,
so adding a task touches its family module and the registry, nothing else.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from xstilts.data.sources import Source

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


# the bucket lengths ``pad`` rounds up to while ``padded_to`` is in effect (empty: no buckets)
_BUCKETS: ContextVar[tuple[int, ...]] = ContextVar("xstilts_buckets", default=())


@contextmanager
def padded_to(buckets: tuple[int, ...] | list[int]):
    """Within it, every ``pad`` (so every task's ``collate``) pads to the smallest of
    ``buckets`` that holds its longest sequence: a handful of fixed shapes, which a compiled
    model records one graph each for (training/batches.py chooses them)."""
    token = _BUCKETS.set(tuple(sorted(buckets)))
    try:
        yield
    finally:
        _BUCKETS.reset(token)


def pad(seqs: list[list[int]], value: int, multiple: int = 8) -> torch.Tensor:
    """Right-pad to the longest sequence, rounded up to ``multiple`` (tensor-core friendly), or
    to the bucket that holds it (``padded_to``)."""
    import torch

    longest = max(len(s) for s in seqs)
    longest = -(-longest // multiple) * multiple
    longest = next((b for b in _BUCKETS.get() if b >= longest), longest)
    out = torch.full((len(seqs), longest), value, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return out


def map_rows(ds: datasets.Dataset, function, **kwargs) -> datasets.Dataset:
    """``ds.map(function, **kwargs)`` under a fresh random fingerprint. By default ``map`` hashes
    the function to fingerprint its result, and a featurizer closes over the tokenizer, so every
    call pickled the whole vocabulary (most of the time of featurizing a small batch). Features
    are built from sources read into memory and saved explicitly, never taken from the map
    cache, so a random fingerprint (what datasets itself uses for an unhashable function)
    loses nothing."""
    from datasets.fingerprint import generate_random_fingerprint

    return ds.map(function, new_fingerprint=generate_random_fingerprint(), **kwargs)


@dataclass(frozen=True)
class Task(ABC):
    name: str
    # languages the task is evaluated on (targets) or ("en",) for intermediate tasks
    languages: tuple[str, ...]
    # metrics the task reports per language, and the ones averaged into its summary score
    # (as google-research/xtreme's evaluate.py: QA = mean of EM and F1, classification = acc)
    metrics: tuple[str, ...]
    avg_metrics: tuple[str, ...]
    description: str = ""
    # where a config names it: "intermediate" (an arm trains on it), "target" (fine-tuned on
    # English, tested on every language), "retrieval" (scored on an arm's encoder), or ""
    # (read only by an arm: masked-LM text)
    role: str = ""
    default_max_seq_length: int = 256  # when the config does not set max_seq_length
    train: tuple[Source, ...] = ()  # rows of all sources are concatenated
    # a first fine-tuning stage's training data, trained to its end before ``train`` starts
    # from the weights it leaves, the head included (XTREME-R fine-tunes XCOPA on Social IQa,
    # then on English COPA); its features are the split "first_stage"
    first_stage: tuple[Source, ...] = ()
    validation: tuple[Source, ...] = ()  # English validation (model selection, logs)
    # how the validation split is made or scored when it is not the dataset's own as it comes
    # (TyDiQA: SQuAD dev without XQuAD's questions; ANLI+: each dev set alone; see
    # docs/scoring.md); it names the basis of a model choice, and changing it prepares the
    # task's features again
    validation_rule: str = ""
    test: tuple[Source, ...] = ()  # one source per test language
    # candidates every test language ranks against (Mewsli-X's entities, LAReQA's multilingual
    # sentence pool), prepared once as the split "pool"; ``with_pool`` appends its rows to a
    # test split, whose evaluation embeds them once for all languages
    pool: tuple[Source, ...] = ()
    # training data by language, one source per language, read only by an arm that asks for
    # the language (config keys translated, mlm): machine-translated copies of the English
    # training data (MNLI), or plain text (the masked-LM task)
    language_sources: tuple[Source, ...] = ()
    # test languages beyond ``languages``: XTREME-R's additions to an XTREME task (their test
    # sources are in ``test`` too). A grid evaluates them when its config lists them under the
    # target's languages, or reports a benchmark that tests them (config key benchmarks);
    # otherwise their data is never fetched or prepared
    more_languages: tuple[str, ...] = ()

    # XLM-R tokens per example, for cost projections before the features exist (xstilts.cost).
    # Estimates, not measurements: each family sets its own; prepared features replace them
    TOKENS_PER_EXAMPLE: ClassVar[int] = 64

    # fields that say how a trained model is tested and scored, not how it is trained: two
    # targets whose other fields are equal train the same model (XQuAD and MLQA both fine-tune
    # on SQuAD 1.1, select on its dev set, and differ only in their test sets and scoring)
    EVALUATION_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"name", "languages", "more_languages", "metrics", "avg_metrics", "description"}
        | {"role", "test", "pool", "metric_style", "prediction_suffix"}
    )

    def training_identity(self) -> tuple:
        """What fine-tuning on this task depends on: its family and every field but the
        ``EVALUATION_FIELDS``. Equal identities (with equal settings) train one shared model
        (``xstilts.grid.axes.training_target``; ``tasks.head_of``)."""
        from dataclasses import fields

        kept = [f.name for f in fields(self) if f.name not in self.EVALUATION_FIELDS]
        return (type(self).__name__, *((n, getattr(self, n)) for n in kept))

    @property
    def tokens_per_example(self) -> int:
        return self.TOKENS_PER_EXAMPLE

    @property
    def all_languages(self) -> tuple[str, ...]:
        """Every language the task can be tested on: ``languages``, then ``more_languages``."""
        return self.languages + self.more_languages

    # ---- data ----
    def splits(self, languages: Iterable[str] | None = None) -> dict[str, tuple[Source, ...]]:
        """Sources of each split: "first_stage" (if the task has one), "train", "validation",
        and "test.<lang>" for each of ``languages`` (default: ``languages``, without
        ``more_languages``)."""
        keep = set(self.languages if languages is None else languages)
        out: dict[str, tuple[Source, ...]] = {}
        if self.first_stage:
            out["first_stage"] = self.first_stage
        if self.train:
            out["train"] = self.train
        if self.validation:
            out["validation"] = self.validation
        if self.pool:
            out["pool"] = self.pool
        for src in self.test:
            if src.language in keep:
                out[self.test_split(src.language)] = (src,)
        return out

    @property
    def train_splits(self) -> tuple[str, ...]:
        """The feature splits fine-tuning trains on, stage by stage."""
        return ("first_stage", "train") if self.first_stage else ("train",)

    @property
    def source_languages(self) -> tuple[str, ...]:
        """The languages of ``language_sources``."""
        return tuple(src.language for src in self.language_sources)

    def language_source(self, language: str) -> Source:
        """The training data in ``language`` (of ``language_sources``)."""
        for src in self.language_sources:
            if src.language == language:
                return src
        raise KeyError(
            f"{self.name} has no training data by language in {language!r}; it has "
            f"{' '.join(self.source_languages) or 'none'}"
        )

    @abstractmethod
    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:
        """``n`` synthetic rows in the exact schema of ``source``, with a learnable signal."""

    # ---- features ----
    @abstractmethod
    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        """Turn source rows into model features; must add an int column ``length``."""

    @abstractmethod
    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        """A batch of feature rows (column → list) → tensors."""

    def padded_lengths(self, features: datasets.Dataset) -> list[int]:
        """The length of every sequence that ``collate`` pads, from which a bucketed run
        chooses its fixed shapes (``padded_to``): by default each row's ``length``, for a task
        whose ``collate`` pads one sequence per row."""
        return list(features["length"])

    # ---- model ----
    @abstractmethod
    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        """The task head: ``head(encoder, batch) -> logits``."""

    @abstractmethod
    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...

    # ---- decoding and scoring ----
    @abstractmethod
    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset) -> list[Any]:
        """Per-feature logits → one prediction per example, in example order."""

    @abstractmethod
    def gold(self, features: datasets.Dataset) -> list[Any]:
        """Gold answers per example, in the form ``decode`` returns."""

    @abstractmethod
    def score(self, predictions: list[Any], gold: list[Any], lang: str) -> dict[str, float]:
        """Metrics in percent, keys as in ``self.metrics`` (some metrics depend on ``lang``)."""

    @abstractmethod
    def write_predictions(self, predictions: list[Any], path: Path) -> None:
        """Write predictions in the XTREME submission layout (``test-<lang>.<ext>``)."""

    # ---- per-example statistics, for confidence intervals (a bootstrap over test examples) ----
    def example_stats(self, predictions: list[Any], gold: list[Any], lang: str) -> list[dict]:
        """One dict of additive numbers per test example such that ``metrics_from_sums`` of
        their sums over any multiset of examples is the task's metric on that multiset.

        The default serves metrics that are means over examples (accuracy, QA's EM and F1):
        each example scored alone. Corpus-level metrics (seqeval F1, BUCC F1) override it with
        counts."""
        return [self.score([p], [g], lang) for p, g in zip(predictions, gold, strict=True)]

    def metrics_from_sums(self, sums: dict[str, Any], n: Any) -> dict[str, Any]:
        """The summary metrics from summed ``example_stats`` over ``n`` examples (numbers or
        numpy arrays, one entry per bootstrap draw)."""
        return {m: sums[m] / n for m in self.avg_metrics}

    def summary_score(self, metrics: dict[str, float]) -> float:
        """The mean of the task's ``avg_metrics`` in one set of metrics (one language, one
        example), as xtreme's evaluate.py averages a task."""
        return float(sum(metrics[m] for m in self.avg_metrics) / len(self.avg_metrics))

    # ---- task similarity (xstilts.analyses.similarity) ----
    def embedding_inputs(self, features: datasets.Dataset) -> list[list[int]]:
        """One token sequence per feature row that stands for the task's input when the task
        is embedded (the whole encoded input by default)."""
        return list(features["input_ids"])

    # ---- robustness (xstilts.analyses.robustness) ----
    def text_fields(self, source: Source) -> tuple[str, ...]:
        """The raw text columns of ``source`` that noise and attacks may change while the gold
        answer is kept (no answer offsets point into them; whether the noise could change the
        meaning is the user's call, see config/README.md); none (the default) means the task is
        not tested for robustness."""
        return ()

    prediction_suffix: str = "tsv"

    def write_labels(self, gold: list[Any], path: Path) -> None:
        """Write the gold in the layout xtreme's evaluate.py reads as labels (for most tasks the
        same as the predictions)."""
        self.write_predictions(gold, path)

    @property
    def xtreme_name(self) -> str:
        """The task's folder in the XTREME submission layout."""
        return self.name

    # ---- local (not on the Hub) sources only ----
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:
        """Rows of a local source, read from the user's files (its ``local_files``)."""
        raise NotImplementedError(f"{self.name} reads no local files")

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        """Write each source's rows in the local file format ``import_local`` reads (the demo
        uses this)."""
        raise NotImplementedError(f"{self.name} writes no local files")

    def test_split(self, lang: str) -> str:
        return f"test.{lang}"

    def with_pool(self, features: datasets.Dataset, features_dir: str | Path) -> datasets.Dataset:
        """A test split's rows followed by the pool's (the split itself when the task has no
        pool)."""
        if not self.pool:
            return features
        import datasets

        from xstilts.data.disk import load_split

        pool = load_split(Path(features_dir) / "pool")
        return datasets.concatenate_datasets([features, pool])

    def curve_split(self, lang: str) -> str:
        """The split a learning curve reads for ``lang``: English validation when the task
        has one, else the language's test split."""
        return "validation" if lang == "en" and self.validation else self.test_split(lang)

    # the feature column naming the example a row (a window) comes from, where an example may
    # span several rows; None: one row per example
    example_column: ClassVar[str | None] = None

    def first_examples(self, features: datasets.Dataset, n: int) -> datasets.Dataset:
        """The feature rows of the first ``n`` examples, every window of an example kept."""
        key = self.example_column
        if key is None:
            return features.select(range(min(n, len(features))))
        ids = features[key]
        keep = set(list(dict.fromkeys(ids))[:n])
        return features.select([i for i, k in enumerate(ids) if k in keep])
