"""Mewsli-X: multilingual entity linking as retrieval (an XTREME-R target).

The dual encoder of :mod:`xstilts.tasks.answer_retrieval` (one shared encoder; first-token
state, dense + tanh, L2-normalised; in-batch softmax over dot products times a scale learnt from
100), as XTREME-R trains it for Mewsli-X (``scripts/train_mewslix.sh``,
``third_party/run_retrieval_el.py``, ``third_party/processors/mewslix.py``,
``third_party/utils_mewslix.py``; google-research/xtreme @ 66367fa):

* a query is a mention in its sentence, as ``utils_mewslix.preprocess_mention`` writes it: the
  context cut to the sentence holding the mention, ``{`` and ``}`` already in it turned into
  parentheses, the mention marked with braces and also put in front (``"Smith: The verdict
  came back for { Smith }, who ..."``), newlines and double spaces normalised;
* a candidate is an entity's description, its sentences joined
  (``preprocess_entity_description``; the title is not used);
* training: the English Wikipedia mention-entity pairs (``wikipedia_pairs-train.jsonl``), each
  mention against its entity, the batch's other entities as negatives; validation: the dev pairs
  as retrieval, each dev mention against the entities of all dev pairs;
* test: the WikiNews mentions of each of the 11 languages against the whole candidate set
  (``candidate_set_entities.jsonl``, about a million entities in 50 languages: the task's
  ``pool`` split, embedded once for all languages), scored by the reciprocal rank of the gold
  entity among the first 20 (MRR@20, which XTREME-R reports as mAP@20: one gold entity each).

Data: the four files XTREME-R's ``download_mewslix_data.sh`` leaves (it runs ``get-mewsli-x.sh``
of google-research's ``dense_representations_for_entity_retrieval/mel``), from
``data.local.mewslix``; nested JSON lines, flattened here to one row per mention or entity.

Predictions: ``test-<lang>.json``, ``{example id: [20 entity ids, best first]}``, and the labels
``{example id: [gold entity id]}``, as evaluate.py's Mewsli-X scoring reads them.

Deliberate differences: the reference scores ``wikinews_mentions-dev.jsonl`` (hard-coded in
``evaluate_retrieval.py``); here the test file, the one XTREME-R's table is about. A mention
that crosses a sentence boundary (the reference's ``preprocess_mention`` asserts there is none)
keeps the sentences it spans. The rest as for LAReQA (pooler, fp32, length-grouped batches).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from xstilts.data import demo, schema
from xstilts.data.schema import Features, List, Value
from xstilts.data.sources import Source
from xstilts.errors import UserError
from xstilts.tasks.answer_retrieval import COLUMNS, FEATURES, AnswerRetrievalTask

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets


MEWSLIX = "mewslix"  # the data.local key
MENTION_LANGS = tuple("ar de en es fa ja pl ro ta tr uk".split())
_S = Value("string")
_SPANS = List(List(Value("int32")))
# one row per mention (WikiNews test), flattened from ContextualMentions
MENTIONS = Features(
    {
        "example_id": _S,
        "language": _S,
        "text": _S,
        "sentence_spans": _SPANS,
        "mention_start": Value("int32"),
        "mention_end": Value("int32"),
        "mention_text": _S,
        "entity_id": _S,
    }
)
# one row per Wikipedia mention-entity pair: the mention, then its entity's description
PAIRS = Features({**MENTIONS, "entity_description": _S, "entity_sentence_spans": _SPANS})
ENTITIES = Features(
    {
        "entity_id": _S,
        "title": _S,
        "description": _S,
        "description_language": _S,
        "sentence_spans": _SPANS,
    }
)
FILES = {
    "train": "wikipedia_pairs-train.jsonl",
    "validation": "wikipedia_pairs-dev.jsonl",
    "pool": "candidate_set_entities.jsonl",
    "test": "wikinews_mentions-test.jsonl",
}
_MARKED = re.compile(r"\{(.*?)\}")


def _source(config: str, split: str, features: Features, n: int, lang: str = "en") -> Source:
    return Source(
        f"local/{MEWSLIX}",
        config,
        split,
        features,
        language=lang,
        num_rows=n,
        local_files=(FILES[split],),
    )


def _normalise(text: str) -> str:
    """Newlines to spaces, one pass of double spaces to one, stripped (as utils_mewslix)."""
    return " ".join(text.splitlines()).replace("  ", " ").strip()


def mention_query(text: str, spans, start: int, end: int, mention: str) -> str:
    """``utils_mewslix.preprocess_mention``: the mention in its sentence, marked and prepended.
    Sentences are ``[start, end]`` offsets into ``text``; a mention inside none keeps the
    sentences it overlaps (the whole text without any)."""
    inside = [(s, e) for s, e in spans if s <= start < e and s < end <= e]
    if inside:
        first, last = inside[0]
    else:
        touched = [(s, e) for s, e in spans if s < end and start < e]
        first = touched[0][0] if touched else 0
        last = touched[-1][1] if touched else len(text)
    sentence = text[first:last]
    left = _MARKED.sub(r"(\1)", sentence[: start - first])
    right = _MARKED.sub(r"(\1)", sentence[end - first :])
    return _normalise(f"{mention}: {left} {{ {mention} }} {right}")


def entity_text(description: str, spans) -> str:
    """``utils_mewslix.preprocess_entity_description``: the description's sentences joined."""
    return _normalise(" ".join(description[s:e] for s, e in spans))


def _spans(items) -> list[list[int]]:
    return [[int(span["start"]), int(span["end"])] for span in items]


def _mention_row(context: dict, mention: dict) -> dict:
    span = mention["mention_span"]
    return {
        "example_id": mention["example_id"],
        "language": context["language"],
        "text": context["text"],
        "sentence_spans": _spans(context["sentence_spans"]),
        "mention_start": int(span["start"]),
        "mention_end": int(span["end"]),
        "mention_text": span["text"],
        "entity_id": mention["entity_id"],
    }


def _read_jsonl(path: Path) -> Iterator[dict]:
    if not path.is_file():
        raise UserError(
            f"{path} is missing: put Mewsli-X's {path.name} there (XTREME-R's "
            "download_mewslix_data.sh), or remove mewslix from targets"
        )
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                yield json.loads(line)
            except ValueError as err:
                raise UserError(
                    f"{path} line {number} is not JSON ({err}); put the file as "
                    "download_mewslix_data.sh writes it there"
                ) from err


@dataclass(frozen=True)
class EntityRetrievalTask(AnswerRetrievalTask):
    TOKENS_PER_EXAMPLE: ClassVar[int] = 100  # a mention's sentence and a description, <= 64 each
    prediction_suffix: str = "json"

    # ---- local files: Mewsli-X's JSON lines ----
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:

        (name,) = source.local_files
        path = Path(directory) / name
        try:
            if source in self.pool:
                rows = [
                    {k: e[k] for k in ("entity_id", "title", "description")}
                    | {"description_language": e["description_language"]}
                    | {"sentence_spans": _spans(e["sentence_spans"])}
                    for e in _read_jsonl(path)
                ]
            elif source in self.train or source in self.validation:
                rows = [
                    _mention_row(
                        p["contextual_mention"]["context"], p["contextual_mention"]["mention"]
                    )
                    | {
                        "entity_description": p["entity"]["description"],
                        "entity_sentence_spans": _spans(p["entity"]["sentence_spans"]),
                    }
                    for p in _read_jsonl(path)
                ]
            else:  # WikiNews: an article per line with its mentions; this language's only
                rows = [
                    _mention_row(doc["context"], m)
                    for doc in _read_jsonl(path)
                    if doc["context"]["language"] == source.language
                    for m in doc["mentions"]
                ]
        except (KeyError, TypeError) as err:
            raise UserError(
                f"{path} lacks Mewsli-X's field {err} in a record; put the file as "
                "download_mewslix_data.sh writes it there"
            ) from err
        return schema.from_list(rows, source.features)

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        """The four files in Mewsli-X's nested layout (the test languages share one)."""
        directory.mkdir(parents=True, exist_ok=True)
        by_file: dict[str, list[str]] = {}
        for src, ds in splits.items():
            (name,) = src.local_files
            by_file.setdefault(name, []).extend(
                json.dumps(record, ensure_ascii=False) for record in self._records(src, ds)
            )
        for name, lines in by_file.items():
            (directory / name).write_text("".join(f"{line}\n" for line in lines), "utf-8")

    def _records(self, src: Source, ds: datasets.Dataset) -> Iterator[dict]:
        def spans(items):
            return [{"start": s, "end": e} for s, e in items]

        def context(row):
            return {
                "document_title": "demo",
                "document_url": "",
                "document_id": row["example_id"],
                "language": row["language"],
                "text": row["text"],
                "sentence_spans": spans(row["sentence_spans"]),
            }

        def mention(row):
            span = {"start": row["mention_start"], "end": row["mention_end"]}
            return {
                "example_id": row["example_id"],
                "mention_span": span | {"text": row["mention_text"]},
                "entity_id": row["entity_id"],
            }

        for row in ds:
            if src in self.pool:
                yield {
                    **{k: row[k] for k in ("entity_id", "title", "description")},
                    "description_language": row["description_language"],
                    "description_url": "",
                    "sentence_spans": spans(row["sentence_spans"]),
                }
            elif src in self.train or src in self.validation:
                entity = {
                    "entity_id": row["entity_id"],
                    "title": "",
                    "description": row["entity_description"],
                    "description_language": "en",
                    "description_url": "",
                    "sentence_spans": spans(row["entity_sentence_spans"]),
                }
                cm = {"context": context(row), "mention": mention(row)}
                yield {"contextual_mention": cm, "entity": entity}
            else:
                yield {"context": context(row), "mentions": [mention(row)]}

    # ---- demo data ----
    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:
        """Entities whose descriptions carry two key words (``Q<i>``'s the same on every run);
        a mention's sentence carries its entity's key words (English ones at the language's
        transfer rate, else the language's own) and its mention text is the first of them."""

        lang = source.language
        writer = demo.Writer(lang, seed)
        rows = []
        for i in range(n):
            if source in self.pool:
                description, spans = _demo_description(i)
                rows.append(
                    {"entity_id": f"Q{i}", "title": f"entity {i}", "description": description}
                    | {"description_language": "en", "sentence_spans": spans}
                )
                continue
            target = int(writer.rng.integers(_DEMO_ENTITIES))
            keys = _demo_keys(target)
            shared = writer.rng.random() < demo.transfer_rate(lang)
            lexicon = demo.lexicon("en" if shared else lang)
            words = writer.words_(3, 6)
            at = int(writer.rng.integers(len(words) + 1))
            words[at:at] = [lexicon[k] for k in keys]
            mention = lexicon[keys[0]]
            first = demo.join(words, lang) + "."
            start = len(demo.join(words[: at + 1], lang)) - len(mention)
            text = f"{first} {writer.sentence(3, 6)}."
            row = {
                "example_id": f"{source.config}-{source.split}-{i:06d}",
                "language": lang,
                "text": text,
                "sentence_spans": [[0, len(first)], [len(first) + 1, len(text)]],
                "mention_start": start,
                "mention_end": start + len(mention),
                "mention_text": mention,
                "entity_id": f"Q{target}",
            }
            if source in self.train or source in self.validation:
                description, spans = _demo_description(target)
                row |= {"entity_description": description, "entity_sentence_spans": spans}
            rows.append(row)
        return schema.from_list(rows, source.features)

    # ---- features ----
    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        """Training: a row per pair (the mention's query, and its entity's description as
        ``answer_ids``). Test: a row per mention; the pool: a row per entity; validation: each
        dev mention, then the dev pairs' entities. ``row_key``: the example or entity id."""

        out: dict[str, list] = {col: [] for col in COLUMNS}

        def encode(texts):
            return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]

        if source in self.pool:
            texts = [
                entity_text(d, s)
                for d, s in zip(ds["description"], ds["sentence_spans"], strict=True)
            ]
            for key, ids in zip(ds["entity_id"], encode(texts), strict=True):
                self.append_row(out, ids, [], "candidate", key, [])
            return schema.from_dict(out, FEATURES)
        queries = [
            mention_query(
                r["text"],
                r["sentence_spans"],
                r["mention_start"],
                r["mention_end"],
                r["mention_text"],
            )
            for r in ds
        ]
        if source in self.train:
            entities = encode(
                [
                    entity_text(d, s)
                    for d, s in zip(
                        ds["entity_description"], ds["entity_sentence_spans"], strict=True
                    )
                ]
            )
            for key, q, a in zip(ds["example_id"], encode(queries), entities, strict=True):
                self.append_row(out, q, a, "pair", key, [])
            return schema.from_dict(out, FEATURES)
        for key, gold, ids in zip(ds["example_id"], ds["entity_id"], encode(queries), strict=True):
            self.append_row(out, ids, [], "question", key, [gold])
        if source in self.validation:  # the dev pairs' entities are its candidates
            entities = {}
            for e, d, s in zip(
                ds["entity_id"], ds["entity_description"], ds["entity_sentence_spans"], strict=True
            ):
                entities.setdefault(e, entity_text(d, s))
            for key, ids in zip(entities, encode(list(entities.values())), strict=True):
                self.append_row(out, ids, [], "candidate", key, [])
        return schema.from_dict(out, FEATURES)

    def write_predictions(self, predictions, path: Path) -> None:
        """``{example id: [entity ids]}`` (ranked, or for the labels the gold one)."""
        doc = {key: list(ranked) for key, ranked in predictions}
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


# mentions refer to the first entities, which every demo pool has (demo_size's floor is 200)
_DEMO_ENTITIES = 200


def _demo_keys(entity: int) -> list[int]:
    rng = np.random.default_rng(demo.row_seed(f"mewslix/entity/{entity}", "*"))
    return [int(k) for k in rng.choice(len(demo.lexicon("en")), size=2, replace=False)]


def _demo_description(entity: int) -> tuple[str, list[list[int]]]:
    """Entity ``entity``'s description: two English sentences, its key words in the first."""
    writer = demo.Writer("en", demo.row_seed(f"mewslix/description/{entity}", "en"))
    lexicon = demo.lexicon("en")
    first = " ".join([lexicon[k] for k in _demo_keys(entity)] + writer.words_(3, 6)) + "."
    second = writer.sentence(3, 6) + "."
    return f"{first} {second}", [[0, len(first)], [len(first) + 1, len(first) + 1 + len(second)]]


TASKS = [
    EntityRetrievalTask(
        name="mewslix",
        role="target",
        description="Mewsli-X: a mention in its sentence against ~1M entity descriptions in "
        "50 languages; dual encoder trained on English Wikipedia pairs; MRR@20 (mAP@20)",
        languages=MENTION_LANGS,
        metrics=("map@20",),
        avg_metrics=("map@20",),
        train=(_source("wikipedia_pairs", "train", PAIRS, 167_719),),
        validation=(_source("wikipedia_pairs", "validation", PAIRS, 14_051),),
        pool=(_source("entities", "pool", ENTITIES, 1_003_893),),
        test=tuple(_source(lang, "test", MENTIONS, 14_624 // 11, lang) for lang in MENTION_LANGS),
        default_max_seq_length=64,
    ),
]
