"""Token tagging: CCG supertagging (intermediate); UD-POS and PAN-X / WikiANN NER (targets).

A sentence is a list of words with one tag each. Each word is split into sub-tokens; the tag
sits on the word's first sub-token and the others are ignored by the loss (label -100), as in
google-research/xtreme's run_tag.py and jiant's tagging template. A sentence whose sub-tokens do
not fit in one window is cut between words into several windows (never inside a word, unless a
single word alone is longer than the window: then its extra pieces are dropped, its first piece
and tag kept), so every word gets exactly one prediction. Decoding takes the argmax at each
word's first sub-token and joins the windows back into one tag per original word.

Metrics as xtreme's evaluate.py: seqeval's F1, precision and recall for UD-POS and PAN-X, with
seqeval 0.0.12's rules, as the published numbers were scored (metrics/tagging.py: an un-prefixed
UPOS tag is a chunk type of its own, so runs of one tag merge, and CCONJ and SCONJ stay two
types; the XTREME average uses that official number); UD-POS also reports plain token accuracy;
CCG is scored by token accuracy as jiant's CCG task is.

Hub ids, configs, splits and columns: ../shared/reference/PAPER.md §5. CCGbank (LDC2005T13) is
licence-restricted and not on the Hub: it is imported from jiant's file format (see
``read_ccg_files``) at the path the config names in ``data.local.ccgbank``.

UD-POS comes in two readings, two targets: ``udpos``, the Hub's google/xtreme copy, whose words
split multiword tokens (German "zu dem"), and ``udpos_fused``, XTREME's words as its download
script converts the UD releases (``data.local.ud_v25``, ``ud_v27``; "zum" one word, with its
head word's UPOS: ``tagging_formats.fused_sentence``), the words the published numbers used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from xstilts.data import demo, schema
from xstilts.data.sources import Source
from xstilts.metrics import tagging as tag_metrics
from xstilts.tasks.base import Task, map_rows, pad
from xstilts.tasks.tagging_formats import (
    CCG_TAGS,
    PANX_TAGS,
    UD_SPLIT_FILES,
    UDPOS_MORE,
    UPOS,
    read_ccg_files,
    read_ud_release,
    read_ud_xtreme,
    write_ccg_files,
    write_ud_fused,
    write_ud_release,
)
from xstilts.tasks.tagging_sources import (  # noqa: F401 (the task module's sources)
    PANX_LANGS,
    PANX_MORE,
    UDPOS_CONFIG,
    UDPOS_LANGS,
    UDPOS_NAMES,
    TagSource,
    ccgbank,
    entity_spans,
    panx,
    ud_release,
    ud_xtreme,
    udpos,
    wikiann,
)

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


IGNORE = -100  # label of sub-tokens after a word's first one, and of special tokens


# ---- sub-token alignment ----
def word_pieces(tokenizer, sentences: list[list[str]]) -> list[list[list[int]]]:
    """Sub-token ids of every word (a word with no pieces, e.g. a lone control character,
    becomes <unk>, as xtreme's utils_tag does)."""
    enc = tokenizer(sentences, is_split_into_words=True, add_special_tokens=False)
    out = []
    for i, words in enumerate(sentences):
        pieces: list[list[int]] = [[] for _ in words]
        for token_id, word in zip(enc["input_ids"][i], enc.word_ids(i), strict=True):
            if word is not None:
                pieces[word].append(token_id)
        out.append([p or [tokenizer.unk_token_id] for p in pieces])
    return out


def split_into_windows(pieces: list[list[int]], room: int) -> list[tuple[int, int]]:
    """Cut a sentence into runs of whole words whose pieces fit in ``room`` tokens:
    [(first word, end word), ...], covering every word once and in order."""
    spans, start, used = [], 0, 0
    for i, p in enumerate(pieces):
        n = min(len(p), room)
        if used + n > room and i > start:
            spans.append((start, i))
            start, used = i, 0
        used += n
    spans.append((start, len(pieces)))
    return spans


def window_features(
    pieces: list[list[int]], tags: list[int], max_length: int, bos: int, eos: int
) -> list[dict]:
    """Model inputs of one sentence: one dict per window with input_ids, labels (tag on the
    first piece of each word, IGNORE elsewhere) and word_starts (positions of first pieces)."""
    room = max_length - 2
    out = []
    for first, end in split_into_windows(pieces, room):
        ids, labels, starts = [bos], [IGNORE], []
        for word in range(first, end):
            p = pieces[word][:room]
            starts.append(len(ids))
            ids.extend(p)
            labels.extend([tags[word]] + [IGNORE] * (len(p) - 1))
        ids.append(eos)
        labels.append(IGNORE)
        out.append({"input_ids": ids, "labels": labels, "word_starts": starts})
    return out


@dataclass(frozen=True)
class TaggingTask(Task):
    TOKENS_PER_EXAMPLE: ClassVar[int] = 40  # one sentence
    example_column: ClassVar[str | None] = "example"  # a long sentence spans windows
    label_names: tuple[str, ...] = tuple(UPOS)
    scheme: str = "seqeval"  # "seqeval" (xtreme's F1, P, R [+ accuracy]) or "accuracy" (CCG)
    # UD-POS: what its words are (the summary's notes say it beside every UD-POS score)
    tokenisation: str = ""
    signal: str = "pos"  # demo: which cue words carry the tags

    def _label_index(self, source: TagSource):
        feature = source.features[source.tags].feature
        index = {name: i for i, name in enumerate(self.label_names)}
        lookup = [index.get(name) for name in feature.names]
        if None in lookup:
            missing = feature.names[lookup.index(None)]
            raise ValueError(f"{source.key}: tag {missing!r} is not one of {self.name}'s tags")
        return lookup

    # ---- demo data ----
    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:

        assert isinstance(source, TagSource)
        writer = demo.Writer(source.language, seed)
        names = source.features[source.tags].feature.names
        rows: dict[str, list] = {col: [] for col in source.features}
        for _ in range(n):
            if self.signal == "ner":
                words, tags = _demo_ner_sentence(writer)
            else:
                words, tags = _demo_tag_sentence(writer, self.signal, len(self.label_names))
            rows[source.tokens].append(words)
            rows[source.tags].append([names.index(self.label_names[t]) for t in tags])
            if "langs" in rows:  # PAN-X: the language of every token
                rows["langs"].append([source.language] * len(words))
            if "spans" in rows:  # WikiANN: the entities
                rows["spans"].append(entity_spans(words, [self.label_names[t] for t in tags]))
        return schema.from_dict(rows, source.features)

    # ---- features ----
    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        assert isinstance(source, TagSource)
        lookup = self._label_index(source)

        def encode(batch, indices):
            out: dict[str, list] = {
                k: [] for k in ("example", "input_ids", "labels", "word_starts", "tags", "length")
            }
            all_pieces = word_pieces(tokenizer, batch[source.tokens])
            for ex, pieces, tags in zip(indices, all_pieces, batch[source.tags], strict=True):
                mapped = [lookup[t] for t in tags]
                starts_done = 0
                for feat in window_features(
                    pieces, mapped, max_length, tokenizer.bos_token_id, tokenizer.eos_token_id
                ):
                    n_words = len(feat["word_starts"])
                    out["example"].append(ex)
                    out["input_ids"].append(feat["input_ids"])
                    out["labels"].append(feat["labels"])
                    out["word_starts"].append(feat["word_starts"])
                    out["tags"].append(mapped[starts_done : starts_done + n_words])
                    out["length"].append(len(feat["input_ids"]))
                    starts_done += n_words
            return out

        return map_rows(
            ds,
            encode,
            batched=True,
            with_indices=True,
            remove_columns=ds.column_names,
            batch_size=500,
        )

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        ids = pad(rows["input_ids"], pad_id)
        return {
            "input_ids": ids,
            "attention_mask": (ids != pad_id).long(),
            "labels": pad(rows["labels"], IGNORE)[:, : ids.shape[1]],
        }

    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        from xstilts.tasks.heads import TokenHead

        return TokenHead(hidden_size, len(self.label_names), dropout)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        from torch import nn

        return nn.functional.cross_entropy(
            logits.float().flatten(0, 1), batch["labels"].flatten(), ignore_index=IGNORE
        )

    # ---- decoding and scoring ----
    def _join(self, per_window: list[list[int]], examples: list[int]) -> list[list[str]]:
        """Windows → sentences (windows of one sentence are consecutive rows, in order)."""
        sentences: dict[int, list[str]] = {}
        for ex, tags in zip(examples, per_window, strict=True):
            sentences.setdefault(ex, []).extend(self.label_names[t] for t in tags)
        return list(sentences.values())

    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset) -> list[list[str]]:
        per_window = [
            row[starts].argmax(-1).tolist() if starts else []
            for row, starts in zip(logits, features["word_starts"], strict=True)
        ]
        return self._join(per_window, features["example"])

    def gold(self, features: datasets.Dataset) -> list[list[str]]:
        return self._join(features["tags"], features["example"])

    def score(self, predictions, gold, lang: str = "en") -> dict[str, float]:
        if self.scheme == "accuracy":
            return {"accuracy": tag_metrics.token_accuracy(predictions, gold)}
        out = tag_metrics.seqeval_scores(predictions, gold)
        if "accuracy" in self.metrics:
            out["accuracy"] = tag_metrics.token_accuracy(predictions, gold)
        return out

    def example_stats(self, predictions, gold, lang: str) -> list[dict]:
        """Per sentence: seqeval's chunk counts (true positives, predicted, gold: micro F1 is
        2·tp / (predicted + gold) over the corpus; tag_metrics.chunk_counts) and the tagged
        words right and in all."""
        chunks = (
            tag_metrics.chunk_counts(predictions, gold)
            if self.scheme != "accuracy"
            else [{} for _ in gold]
        )
        return [
            counts
            | {"correct": sum(p == g for p, g in zip(pred, ref, strict=True)), "words": len(ref)}
            for counts, pred, ref in zip(chunks, predictions, gold, strict=True)
        ]

    def metrics_from_sums(self, sums: dict, n) -> dict:
        if self.scheme == "accuracy":
            return {"accuracy": 100.0 * sums["correct"] / sums["words"]}
        return tag_metrics.metrics_from_counts(sums) | {
            "accuracy": 100.0 * sums["correct"] / sums["words"]
        }

    # local sources: CCGbank in jiant's format, UD release files (v2.5, v2.7)
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:
        if getattr(source, "fused", False):
            return read_ud_xtreme(directory, source.language, source.split, source.local_name)
        if source.local_name == "ud_v27":
            return read_ud_release(directory, source.language)
        return read_ccg_files(directory, source.split)

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        if all(src.local_name.startswith("ud_") for src in splits):
            # one treebank per language; a language with a fused source gets that source's
            # rows with multiword tokens (its split-word import then reads their parts)
            fused = {(s.language, s.split): ds for s, ds in splits.items() if s.fused}
            for src, ds in splits.items():
                if src.fused:
                    name = UDPOS_NAMES[src.language]
                    split = UD_SPLIT_FILES[src.split]
                    path = directory / f"UD_{name}-Demo" / f"{src.language}_demo-ud-{split}.conllu"
                    write_ud_fused(ds, path)
                elif (src.language, src.split) not in fused:
                    write_ud_release(ds, directory, src.language)
            return
        write_ccg_files({src.split: ds for src, ds in splits.items()}, directory)

    def write_predictions(self, predictions, path: Path) -> None:
        # xtreme's evaluate.py (read_tag): one tag per line, a blank line after each sentence
        path.write_text(
            "".join("".join(f"{t}\n" for t in sent) + "\n" for sent in predictions),
            encoding="utf-8",
        )


# ---- demo sentences ----
def _demo_tag_sentence(writer: demo.Writer, signal: str, num_tags: int, used: int = 40):
    """Words whose tag follows from the word: each tag has its own cue words (shared across
    languages at the language's transfer rate); LABEL_NOISE of the tags are random."""
    n = int(writer.rng.integers(5, 21))
    true = [int(t) for t in writer.rng.integers(min(num_tags, used), size=n)]
    words = [writer.cue(signal, t) for t in true]
    return words, [writer.noisy(t, min(num_tags, used)) for t in true]


def _demo_ner_sentence(writer: demo.Writer):
    """Plain words with 0-3 entities of 1-3 words; each entity word is a cue word of its tag
    (B-/I- of PER, ORG, LOC: shared across languages at the language's transfer rate). With
    LABEL_NOISE an entity gets a random type."""
    words, tags = [], []
    for _ in range(int(writer.rng.integers(0, 4))):
        for w in writer.words_(1, 5):
            words.append(w)
            tags.append(0)
        kind = int(writer.rng.integers(3))
        shown = writer.noisy(kind, 3)
        for j in range(int(writer.rng.integers(1, 4))):
            words.append(writer.cue("ner", 1 + 2 * kind + (j > 0)))  # B-x, then I-x
            tags.append(1 + 2 * shown + (j > 0))
    words.extend(writer.words_(1, 5))
    tags.extend([0] * (len(words) - len(tags)))
    return words, tags


# what a UD-POS target's words are (the summary's notes carry it beside each score)
SPLIT_WORDS = (
    "split words: multiword tokens split into their syntactic words (the Hub's google/xtreme "
    "udpos copy; XTREME-R's five from data.local.ud_v27 read so too), not the published numbers' "
    "words"
)
FUSED_FORMS = (
    "fused forms: XTREME's words (conllu_to_conll.py --replace_subtokens_with_fused_forms, a "
    "multiword token one word with its head word's UPOS), as the published numbers"
)

_SEQEVAL = dict(metrics=("f1", "precision", "recall"), avg_metrics=("f1",))
# what UD-POS's two readings (split words, fused forms) share: languages, metrics and tags
_UDPOS = dict(
    languages=UDPOS_LANGS,
    more_languages=tuple(UDPOS_MORE),
    metrics=("f1", "precision", "recall", "accuracy"),
    avg_metrics=("f1",),
    label_names=tuple(UPOS),
    signal="pos",
)

TASKS = [
    TaggingTask(
        name="ccg",
        role="intermediate",
        description="CCGbank supertagging (1,363 tags), local files in jiant's format",
        languages=("en",),
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        train=(ccgbank("train", 39_604),),
        validation=(ccgbank("validation", 1_913),),
        label_names=CCG_TAGS,
        scheme="accuracy",
        signal="ccg",
    ),
    TaggingTask(
        name="udpos",
        role="target",
        description=(
            "UD-POS (UD v2.5, 17 UPOS tags): train English, test 33 languages (XTREME-R: 38, "
            "the 5 added from UD v2.7)"
        ),
        **_UDPOS,
        train=(udpos("train", "en", 21_253),),
        validation=(udpos("validation", "en", 3_974),),
        test=(
            *(udpos("test", lang, 5_440 if lang == "en" else 1_000) for lang in UDPOS_LANGS),
            *(ud_release(lang, 1_000) for lang in UDPOS_MORE),
        ),
        tokenisation=SPLIT_WORDS,
    ),
    # UD-POS as XTREME builds it (scripts/download_data.sh): the UD v2.5 release (v2.7 for
    # XTREME-R's five) converted with fused multiword tokens, the words of the published
    # numbers; English train and dev are all English treebanks' train and dev files
    # (utils_preprocess.py udpos_preprocess), sizes as google/xtreme's udpos.English (the same
    # sentences: only their words differ)
    TaggingTask(
        name="udpos_fused",
        role="target",
        description=(
            "UD-POS with XTREME's words (multiword tokens fused, UD v2.5 release in "
            "data.local.ud_v25; XTREME-R's 5 from data.local.ud_v27)"
        ),
        **_UDPOS,
        train=(ud_xtreme("ud_v25", "en", "train", 21_253),),
        validation=(ud_xtreme("ud_v25", "en", "validation", 3_974),),
        test=(
            *(
                ud_xtreme("ud_v25", lang, "test", 5_440 if lang == "en" else 1_000)
                for lang in UDPOS_LANGS
            ),
            *(ud_xtreme("ud_v27", lang, "test", 1_000) for lang in UDPOS_MORE),
        ),
        tokenisation=FUSED_FORMS,
    ),
    TaggingTask(
        name="panx",
        role="target",
        description="PAN-X / WikiANN NER: train English, test 40 languages (XTREME-R: 48)",
        languages=PANX_LANGS,
        more_languages=tuple(PANX_MORE),
        train=(panx("train", "en", 20_000),),
        validation=(panx("validation", "en", 10_000),),
        test=(
            *(panx("test", lang, 10_000 if lang == "en" else 1_000) for lang in PANX_LANGS),
            *(wikiann(lang, n) for lang, n in PANX_MORE.items()),
        ),
        label_names=PANX_TAGS,
        signal="ner",
        **_SEQEVAL,
    ),
]
