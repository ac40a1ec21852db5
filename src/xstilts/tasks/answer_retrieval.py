"""LAReQA: language-agnostic answer retrieval from a multilingual pool (an XTREME-R target).

A dual encoder, as XTREME-R trains it (``scripts/train_lareqa.sh``,
``third_party/run_retrieval_qa.py``, ``third_party/bert.py`` ``BertForRetrieval``,
google-research/xtreme @ 4fd68dc): one shared encoder embeds a question alone and an answer
candidate as the pair (sentence, its paragraph); each embedding is the first token's final
hidden state through a dense + tanh pooler, L2-normalised. Training is on English SQuAD 1.1:
the positive of a question is the sentence holding its answer (sentences found by
:mod:`xstilts.data.sentence_breaks`, sb_sed's rules), the other answers in the batch are its
negatives, and the loss is the cross-entropy of the question's dot products with the batch's
answers times a learnt scale that starts at 100.

Test (``evaluate_retrieval.py --task_name lareqa``, ``third_party/utils_lareqa.py``): the pool
holds every sentence of every XQuAD-R paragraph in all 11 languages (about 13,400; the task's
``pool`` split, embedded once for all languages); a question (in one language) is right on any
of the 11 translations of its answer sentence (the same question id in every language). Its
score is the average precision at 20 over that ranking, mAP@20 the mean over the questions of a
language, in percent.

Data:

* training: XTREME's copy of SQuAD 1.1 (``google/xtreme`` config ``SQuAD``, the
  ``train-v1.1.json`` train_lareqa.sh reads), the first answer of each question; a question
  whose answer does not lie inside one sentence is left out, as the reference leaves it out,
  and so is one whose answer text is not at its ``answer_start`` (the reference's check is
  looser: the answer's whitespace tokens found among the document's).
* validation: the same copy's SQuAD 1.1 dev set as English retrieval (its questions against
  all its sentences), for model selection; the reference logs only an eval loss on it.
* test: XQuAD-R (github.com/google-research-datasets/lareqa, ``xquad-r/<lang>.json``: SQuAD's
  layout plus each paragraph's ``sentence_breaks``) from ``data.local.lareqa``. The Hub's
  ``google-research-datasets/xquad_r`` drops the sentence breaks, without which the candidate
  pool cannot be rebuilt, so the files are read instead, as XTREME-R's download script fetches
  them.

Lengths: questions up to 96 tokens (XTREME-R's ``MAX_QUERY_LEN``), candidates up to the
target's ``max_seq_length`` (XTREME-R: 256).

Deliberate differences:

* mAP@20 is reported per question language and averaged over languages, as XTREME-R's tables
  report it; ``mean_avg_prec_at_k`` prints one mean over all questions of all languages (the
  same number when every language keeps all of its questions);
* training batches are grouped by length, as for every task here (the reference samples them
  at random), so a question's negatives come from paragraphs of similar length;
* the embeddings and their dot products are computed in fp32 also under bf16 autocast (a
  cosine step of bf16, about 0.004, would be 0.4 in a logit scaled by 100);
* the reference encodes a test candidate as the sentence and paragraph run together as one
  text (``(sentence + context).replace("\\n", "")``) but trains on the pair; here both are the
  pair, the input the encoder was trained on;
* the pooler is the head's own, trained from scratch (the encoder is loaded without XLM-R's
  pretrained pooler, as for every task here);
* a sharded run (several GPUs) draws each question's negatives from its process's share of the
  batch only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from xstilts.data import demo, schema
from xstilts.data.schema import Features, List, Value
from xstilts.data.sentence_breaks import sentence_breaks
from xstilts.data.sources import Source
from xstilts.errors import UserError
from xstilts.metrics.ranking import TOP_K, mean_average_precision
from xstilts.tasks.base import Task, map_rows, pad
from xstilts.tasks.qa import XTREME_QA

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


XQUAD_R_LANGS = tuple("ar de el en es hi ru th tr vi zh".split())
LAREQA = "lareqa"  # the data.local key of the XQuAD-R files
QUERY_LENGTH = 96  # XTREME-R's MAX_QUERY_LEN
_S = Value("string")
# One row per question of an XQuAD-R file; ``paragraph`` counts the file's paragraphs from 1,
# as utils_lareqa names candidates ("<lang>_<paragraph>_<sentence>").
XQUAD_R = Features(
    {
        "language": _S,
        "paragraph": Value("int32"),
        "context": _S,
        "sentence_breaks": List(List(Value("int32"))),
        "id": _S,
        "question": _S,
        "answers": {"text": List(_S), "answer_start": List(Value("int32"))},
    }
)


def squad(split: str, n: int) -> Source:
    return Source("google/xtreme", "SQuAD", split, XTREME_QA, num_rows=n)


def xquad_r(lang: str | None = None) -> Source:
    """Language ``lang``'s questions, or (``lang`` None) the pool of every language's
    sentences. A question's answers are in every language, so every source reads all files."""
    return Source(
        f"local/{LAREQA}",
        lang or "pool",
        "test",
        XQUAD_R,
        language=lang or "en",
        num_rows=1_190,
        local_files=tuple(f"xquad-r/{code}.json" for code in XQUAD_R_LANGS),
    )


@dataclass
class _Pool:
    """Questions and candidate sentences of one split, named as utils_lareqa names them."""

    questions: list[dict]  # {"key", "language", "question", "xling_id"}
    candidates: dict[str, tuple[str, str]]  # key → (sentence, paragraph)
    answers: dict[str, list[str]]  # question id → keys of its answer sentence in every language
    skipped: int = 0


def answer_sentence(context: str, breaks, answer_start: int) -> str | None:
    """The sentence holding character ``answer_start`` (None when no sentence does)."""
    for start, end in breaks:
        if start <= answer_start < end:
            return context[start:end]
    return None


def build_pool(rows: datasets.Dataset) -> _Pool:
    """utils_lareqa's ``load_data``: every sentence of a paragraph with a usable question is a
    candidate (``<lang>_<paragraph>_<position>``); a sentence equal to a question's answer
    sentence is a target of every question with that id. A question whose answer lies in no
    sentence is skipped. Rows without ``sentence_breaks`` (SQuAD) get sb_sed's breaks and their
    paragraphs are numbered in order of appearance."""
    pool = _Pool([], {}, {})
    numbers: dict[tuple[str, str], int] = {}
    for row in rows:
        lang = row.get("language") or "en"
        context = row["context"]
        if "paragraph" in row:
            paragraph, breaks = row["paragraph"], row["sentence_breaks"]
        else:
            paragraph = numbers.setdefault((lang, context), len(numbers) + 1)
            breaks = sentence_breaks(context)
        starts = row["answers"]["answer_start"]
        sentence = answer_sentence(context, breaks, starts[0]) if starts else None
        if sentence is None:
            pool.skipped += 1
            continue
        targets = pool.answers.setdefault(row["id"], [])
        for position, (start, end) in enumerate(breaks):
            key = f"{lang}_{paragraph}_{position}"
            pool.candidates.setdefault(key, (context[start:end], context))
            if context[start:end] == sentence and key not in targets:
                targets.append(key)
        key = f"{row['id']}_{lang}"
        pool.questions.append(
            {"key": key, "language": lang, "question": row["question"], "xling_id": row["id"]}
        )
    return pool


_IDS = List(Value("int32"))
FEATURES = Features(  # one schema for every split, so a test split and the pool concatenate
    {
        "input_ids": _IDS,
        "answer_ids": _IDS,
        "length": Value("int32"),
        "kind": _S,
        "row_key": _S,
        "targets": List(_S),
    }
)
COLUMNS = tuple(FEATURES)


@dataclass(frozen=True)
class AnswerRetrievalTask(Task):
    TOKENS_PER_EXAMPLE: ClassVar[int] = 300  # a question (~20) and a sentence with its paragraph
    prediction_suffix: str = "tsv"

    # ---- demo data ----
    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:
        """Paragraphs of 3-4 short sentences, two questions each; a question and its answer
        sentence share two key words (English words at the language's transfer rate, else the
        language's own), the same key in every language for the same question id, so a
        question can find its answer's translations. SQuAD's schema for the training and
        validation sources, XQuAD-R's (one language per file) for the test sources."""

        lang = source.language
        writer = demo.Writer(lang, seed)
        rows: dict[str, list] = {col: [] for col in source.features}
        shared, own = demo.lexicon("en"), demo.lexicon(lang)

        def key_words(key) -> list[str]:
            words = shared if writer.rng.random() < demo.transfer_rate(lang) else own
            return [words[int(k)] for k in key]

        for i in range(n):
            paragraph = i // 2
            # the layout of question i is the same in every language (seeded without lang)
            layout = np.random.default_rng(
                demo.row_seed(f"{source.repo}/{source.split}/{paragraph}", "*")
            )
            width = int(layout.integers(3, 5))
            positions = layout.permutation(width)[:2]
            keys = layout.integers(len(shared), size=(2, 2))
            if i % 2 == 0:  # a new paragraph: its sentences, each question's key in its answer
                sentences = []
                for position in range(width):
                    words = writer.words_(3, 6)
                    for q in range(2):
                        if positions[q] == position:
                            words[:0] = key_words(keys[q])
                    sentence = demo.join(words, lang)
                    sentences.append(sentence[:1].upper() + sentence[1:] + ".")
                context, breaks = "", []
                for sentence in sentences:
                    context += " " if context else ""
                    breaks.append([len(context), len(context) + len(sentence)])
                    context += sentence
            q = i % 2
            start, end = breaks[int(positions[q])]
            question = demo.join([*writer.words_(1, 2), *key_words(keys[q])], lang)
            values = {
                "language": lang,
                "paragraph": paragraph + 1,
                "context": context,
                "sentence_breaks": breaks,
                "id": f"{source.split}-{i:06d}",
                "title": f"demo {paragraph}",
                "question": question + "?",
                # the demo's answer is its whole sentence
                "answers": {"text": [context[start:end]], "answer_start": [start]},
            }
            for col in source.features:
                rows[col].append(values[col])
        return schema.from_dict(rows, source.features)

    # ---- local files: XQuAD-R's JSON layout ----
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:
        """Every language's file (the pool needs them all), one row per question."""

        rows: dict[str, list] = {col: [] for col in XQUAD_R}
        for name in source.local_files:
            path = Path(directory) / name
            lang = Path(name).stem
            if not path.is_file():
                raise UserError(
                    f"{path} is missing: put the lareqa repository's xquad-r/{lang}.json there "
                    "(github.com/google-research-datasets/lareqa), or remove lareqa from targets"
                )
            try:
                articles = json.loads(path.read_text(encoding="utf-8"))["data"]
                paragraph = 0
                for article in articles:
                    for par in article["paragraphs"]:
                        paragraph += 1
                        breaks = [[int(s), int(e)] for s, e in par["sentence_breaks"]]
                        for qa in par["qas"]:
                            answers = qa["answers"]
                            rows["language"].append(lang)
                            rows["paragraph"].append(paragraph)
                            rows["context"].append(par["context"])
                            rows["sentence_breaks"].append(breaks)
                            rows["id"].append(qa["id"])
                            rows["question"].append(qa["question"])
                            rows["answers"].append(
                                {
                                    "text": [a["text"] for a in answers],
                                    "answer_start": [int(a["answer_start"]) for a in answers],
                                }
                            )
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise UserError(
                    f"{path} is not an XQuAD-R file (SQuAD JSON with each paragraph's "
                    f"sentence_breaks; {err!r}): put the lareqa repository's xquad-r/{lang}.json "
                    "there"
                ) from err
        return schema.from_dict(rows, XQUAD_R)

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        """``xquad-r/<lang>.json`` per source: an article per paragraph, with its breaks."""
        (directory / "xquad-r").mkdir(parents=True, exist_ok=True)
        for src, ds in splits.items():
            if src not in self.test:  # the pool is read from the test sources' files
                continue
            paragraphs: dict[int, dict] = {}
            for row in ds:
                par = paragraphs.setdefault(
                    row["paragraph"],
                    {"context": row["context"], "sentence_breaks": row["sentence_breaks"]}
                    | {"qas": []},
                )
                answers = row["answers"]
                par["qas"].append(
                    {
                        "id": row["id"],
                        "question": row["question"],
                        "answers": [
                            {"text": t, "answer_start": a}
                            for t, a in zip(answers["text"], answers["answer_start"], strict=True)
                        ],
                    }
                )
            data = [{"title": f"{k}", "paragraphs": [p]} for k, p in paragraphs.items()]
            (directory / "xquad-r" / f"{src.language}.json").write_text(
                json.dumps({"version": "1.1", "data": data}, ensure_ascii=False),
                encoding="utf-8",
            )

    # ---- features ----
    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        """Training: a row per usable question (its ids, and its answer sentence's pair as
        ``answer_ids``). Test: a row per question of the source's language; the pool: a row
        per candidate of all languages; validation: both, of its English rows. ``row_key``
        names each row, ``targets`` a question's answer keys."""

        query_length = min(QUERY_LENGTH, max_length)
        if source in self.train:
            return self._training_features(ds, tokenizer, query_length, max_length)
        pool = build_pool(ds)
        out: dict[str, list] = {col: [] for col in COLUMNS}
        if source not in self.pool:
            questions = [q for q in pool.questions if q["language"] == source.language]
            texts = [q["question"] for q in questions]
            enc = tokenizer(texts, truncation=True, max_length=query_length)
            for q, ids in zip(questions, enc["input_ids"], strict=True):
                self.append_row(out, ids, [], "question", q["key"], pool.answers[q["xling_id"]])
        if source not in self.test:
            keys = list(pool.candidates)
            pairs = [pool.candidates[k] for k in keys]
            enc = tokenizer(
                [s for s, _ in pairs], [p for _, p in pairs], truncation=True, max_length=max_length
            )
            for key, ids in zip(keys, enc["input_ids"], strict=True):
                self.append_row(out, ids, [], "candidate", key, [])
        return schema.from_dict(out, FEATURES)

    @staticmethod
    def append_row(out, ids, answer_ids, kind, key, targets) -> None:
        """One row of the features (``out``: column → values), shared with the subclasses."""
        for col, value in zip(
            COLUMNS, (ids, answer_ids, len(ids) + len(answer_ids), kind, key, targets), strict=True
        ):
            out[col].append(value)

    def _training_features(self, ds, tokenizer, query_length: int, max_length: int):
        def encode(batch):
            out: dict[str, list] = {col: [] for col in COLUMNS}
            questions, sentences, contexts, ids = [], [], [], []
            for j, context in enumerate(batch["context"]):
                answers = batch["answers"][j]
                if not answers["answer_start"]:
                    continue
                start, text = answers["answer_start"][0], answers["text"][0]
                if context[start : start + len(text)] != text:
                    continue
                sentence = answer_sentence(context, sentence_breaks(context), start)
                if sentence is None:
                    continue
                questions.append(batch["question"][j])
                sentences.append(sentence)
                contexts.append(context)
                ids.append(batch["id"][j])
            if not ids:
                return out
            q = tokenizer(questions, truncation=True, max_length=query_length)["input_ids"]
            a = tokenizer(sentences, contexts, truncation=True, max_length=max_length)["input_ids"]
            for row in zip(q, a, ids, strict=True):
                self.append_row(out, row[0], row[1], "pair", row[2], [])
            return out

        return map_rows(
            ds,
            encode,
            batched=True,
            remove_columns=ds.column_names,
            features=FEATURES.to_datasets(),
        )

    def padded_lengths(self, features: datasets.Dataset) -> list[int]:
        # questions and answers are padded apart, to the same set of fixed shapes
        answers = [len(a) for a in features["answer_ids"] if a]
        return [len(q) for q in features["input_ids"]] + answers

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        ids = pad(rows["input_ids"], pad_id)
        batch = {"input_ids": ids, "attention_mask": (ids != pad_id).long()}
        if rows["answer_ids"][0]:  # training pairs
            answers = pad(rows["answer_ids"], pad_id)
            batch |= {"answer_ids": answers, "answer_mask": (answers != pad_id).long()}
        return batch

    def first_examples(self, features: datasets.Dataset, n: int) -> datasets.Dataset:
        """The first ``n`` questions, with the whole pool (every candidate row)."""
        kinds = features["kind"]
        questions = [i for i, k in enumerate(kinds) if k == "question"][:n]
        return features.select(questions + [i for i, k in enumerate(kinds) if k == "candidate"])

    # ---- model ----
    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        from xstilts.tasks.heads import DualEncoderHead

        return DualEncoderHead(hidden_size, dropout)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Each question's answer is the one in its own row; the batch's others are negatives."""
        import torch
        from torch import nn

        labels = torch.arange(len(logits), device=logits.device)
        return nn.functional.cross_entropy(logits.float(), labels)

    # ---- decoding and scoring ----
    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset) -> list[tuple]:
        """(question key, the ``TOP_K`` best candidate keys by dot product) per question."""
        import torch

        kinds, keys = features["kind"], features["row_key"]
        questions = [i for i, k in enumerate(kinds) if k == "question"]
        candidates = [i for i, k in enumerate(kinds) if k == "candidate"]
        if not candidates:
            return [(keys[i], []) for i in questions]
        pool = torch.stack([logits[i] for i in candidates]).float()
        out = []
        # a block of questions at a time, its score matrix at most 2^28 floats (1 GiB): 256
        # questions against Mewsli-X's million entities
        step = max(1, (1 << 28) // len(candidates))
        for start in range(0, len(questions), step):
            block = questions[start : start + step]
            scores = torch.stack([logits[i] for i in block]).float() @ pool.T
            top = scores.topk(min(TOP_K, len(candidates)), dim=1).indices.tolist()
            out += [
                (keys[i], [keys[candidates[j]] for j in row])
                for i, row in zip(block, top, strict=True)
            ]
        return out

    def gold(self, features: datasets.Dataset) -> list[tuple]:
        kinds, keys, targets = features["kind"], features["row_key"], features["targets"]
        return [(keys[i], targets[i]) for i, k in enumerate(kinds) if k == "question"]

    def score(self, predictions, gold, lang: str = "en") -> dict[str, float]:
        for (p, _), (g, _) in zip(predictions, gold, strict=True):
            if p != g:
                raise ValueError(f"prediction for {p} where the gold has {g}")
        return {"map@20": mean_average_precision([t for _, t in gold], [r for _, r in predictions])}

    def write_predictions(self, predictions, path: Path) -> None:
        """A line per question: its key, then its ranked candidate keys (or, for the labels,
        its answer keys), tab-separated."""
        lines = ("\t".join([key, *ranked]) + "\n" for key, ranked in predictions)
        path.write_text("".join(lines), encoding="utf-8")


TASKS = [
    AnswerRetrievalTask(
        name="lareqa",
        role="target",
        description="LAReQA: dual-encoder answer-sentence retrieval from the 11-language "
        "XQuAD-R pool, trained on SQuAD 1.1; mAP@20",
        languages=XQUAD_R_LANGS,
        metrics=("map@20",),
        avg_metrics=("map@20",),
        train=(squad("train", 87_599),),
        validation=(squad("validation", 10_570),),
        test=tuple(xquad_r(lang) for lang in XQUAD_R_LANGS),
        pool=(xquad_r(),),
        default_max_seq_length=256,
    ),
]
