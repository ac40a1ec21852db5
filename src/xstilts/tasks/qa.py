"""Extractive question answering: SQuAD 1.1 / 2.0 (intermediate); XQuAD, MLQA, TyDiQA-GoldP.

Features are sliding windows over the context (max length 384, document stride 128, question
cut to 64 tokens), as jiant's ``squad_style`` template and google-research/xtreme's
run_squad.py build them; a start/end head scores every token; decoding takes the n-best (20)
start and end logits of every window, keeps spans inside the context of at most 30 tokens, and
maps the best span back to the exact characters of the original context through the
tokenizer's offset mapping. SQuAD 2.0 adds the no-answer option: the null score (start and end
on <s>) is compared with the best span, as the official run_squad does.

Hub ids, configs, splits and columns: ../shared/reference/PAPER.md §5.

SQuAD 1.1 machine-translated into XQuAD's ten other languages (XTREME's translate-train files,
``squad.translate.train.en-<lang>.json``, in SQuAD's JSON layout) is SQuAD's training data by
language, for a translated arm (config key ``translated``); the files are the user's, read from
``data.local.squad_translate_train``. A translated answer that is not at its ``answer_start`` in
the translated context is dropped, as run_squad.py drops one it cannot find.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from xstilts.data import demo, schema
from xstilts.data.sources import Source
from xstilts.errors import UserError
from xstilts.metrics import qa as qa_metrics
from xstilts.tasks.base import Task, map_rows, pad
from xstilts.tasks.qa_sources import (  # noqa: F401 (the task module's sources)
    MLQA_LANGS,
    SQUAD,
    SQUAD_DEV_SELECTION,
    SQUAD_TRANSLATED,
    SQUAD_TRANSLATED_LANGS,
    SQUAD_V2_SELECTION,
    TYDIQA_LANGS,
    TYDIQA_PREFIX,
    TYDIQA_ROWS,
    TYDIQA_VALIDATION,
    XQUAD,
    XQUAD_LANGS,
    XQUAD_MORE_LANGS,
    XTREME_QA,
    mlqa,
    squad,
    squad_selection,
    squad_translated,
    squad_v2,
    tydiqa,
    xquad,
)
from xstilts.tasks.qa_spans import answer_positions, best_span, windows

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


log = logging.getLogger("xstilts")


@dataclass(frozen=True)
class QATask(Task):
    TOKENS_PER_EXAMPLE: ClassVar[int] = 200  # question + context, mostly one window of <= 384
    with_negative: bool = False  # SQuAD 2.0: unanswerable questions, null prediction ""
    metric_style: str = "squad"  # "squad" (v1.1 script), "squad_v2", or "mlqa"
    default_max_seq_length: int = 384
    prediction_suffix: str = "json"
    example_column: ClassVar[str | None] = "example_id"

    # ---- demo data ----
    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:
        """Long contexts; the answer is the words between a start cue and an end cue."""

        if source.id_prefix is not None:  # one file with every language (TyDiQA): n rows each
            per_lang = n
            langs = list(TYDIQA_PREFIX.items())
        else:
            per_lang, langs = n, [(source.language, f"{source.split}-")]
        if source.key == squad_selection().key:
            # XQuAD's questions are SQuAD dev's, under their ids: the demo XQuAD's ids are
            # "validation-000000" on, fewer than SQuAD dev's demo rows at any scale, so SQuAD
            # dev's copy holds twice its demo size: the ids XQuAD may take, then as many that
            # are no XQuAD question (selection data)
            per_lang = 2 * n
        rows: dict[str, list] = {col: [] for col in source.features}
        for lang, prefix in langs:
            writer = demo.Writer(lang, seed + demo.row_seed(prefix, lang) % 1000)
            for i in range(per_lang):
                unanswerable = self.with_negative and writer.rng.random() < 1 / 3
                context, answer, start = _demo_context(writer, unanswerable)
                values = {
                    "id": f"{prefix}{i:06d}",
                    "title": writer.sentence(1, 3),
                    "context": context,
                    "question": writer.sentence(4, 8) + "?",
                    "answers": {
                        "text": [] if answer is None else [answer],
                        "answer_start": [] if answer is None else [start],
                    },
                }
                for col in source.features:
                    rows[col].append(values[col])
        return schema.from_dict(rows, source.features)

    # ---- local files: SQuAD's JSON layout (XTREME's translate-train SQuAD) ----
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:

        (name,) = source.local_files
        path = Path(directory) / name
        try:
            articles = json.loads(path.read_text(encoding="utf-8"))["data"]
        except (OSError, ValueError, KeyError) as err:
            raise UserError(
                f"{path} is not a SQuAD JSON file with a 'data' list ({err}); put XTREME's "
                f"{name} there, or remove {source.language} from the translated arm's languages"
            ) from err
        rows: dict[str, list] = {col: [] for col in SQUAD}
        dropped = 0
        for article in articles:
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                for qa in paragraph["qas"]:
                    answers = qa["answers"][:1]  # training keeps the first answer (run_squad)
                    found = [
                        a
                        for a in answers
                        if a["answer_start"] >= 0
                        and context[a["answer_start"] :].startswith(a["text"])
                    ]
                    if answers and not found:
                        dropped += 1
                        continue
                    rows["id"].append(qa["id"])
                    rows["title"].append(article.get("title", ""))
                    rows["context"].append(context)
                    rows["question"].append(qa["question"])
                    rows["answers"].append(
                        {
                            "text": [a["text"] for a in found],
                            "answer_start": [a["answer_start"] for a in found],
                        }
                    )
        if not rows["id"]:
            raise UserError(
                f"{path} has no question whose answer is found in its context; check the file"
            )
        if dropped:
            log.info(
                "%s: %d questions whose answer is not at its answer_start were dropped",
                path,
                dropped,
            )
        return schema.from_dict(rows, SQUAD)

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        """SQuAD's JSON layout: an article per title, a paragraph per context."""
        directory.mkdir(parents=True, exist_ok=True)
        for src, ds in splits.items():
            articles: dict[str, dict[str, list]] = {}
            for row in ds:
                paragraphs = articles.setdefault(row["title"], {})
                qas = paragraphs.setdefault(row["context"], [])
                answers = row["answers"]
                qas.append(
                    {
                        "id": row["id"],
                        "question": row["question"],
                        "answers": [
                            {"text": t, "answer_start": a}
                            for t, a in zip(answers["text"], answers["answer_start"], strict=True)
                        ],
                    }
                )
            data = [
                {
                    "title": title,
                    "paragraphs": [{"context": c, "qas": q} for c, q in paragraphs.items()],
                }
                for title, paragraphs in articles.items()
            ]
            (name,) = src.local_files
            (directory / name).write_text(
                json.dumps({"version": "1.1", "data": data}, ensure_ascii=False),
                encoding="utf-8",
            )

    # ---- features ----
    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        def encode(batch):
            out = {
                k: []
                for k in (
                    "example_id",
                    "input_ids",
                    "offsets",
                    "start_positions",
                    "end_positions",
                    "length",
                    "context",
                    "answer_texts",
                )
            }
            questions = [q.lstrip() for q in batch["question"]]  # as HF run_qa
            for ex, input_ids, offsets in windows(
                tokenizer, questions, batch["context"], max_length
            ):
                answers = batch["answers"][ex]
                if answers["text"]:
                    start_char = answers["answer_start"][0]
                    end_char = start_char + len(answers["text"][0])
                    s, e = answer_positions(offsets, start_char, end_char)
                else:
                    s, e = 0, 0
                out["example_id"].append(batch["id"][ex])
                out["input_ids"].append(input_ids)
                out["offsets"].append([list(o) if o is not None else [-1, -1] for o in offsets])
                out["start_positions"].append(s)
                out["end_positions"].append(e)
                out["length"].append(len(input_ids))
                out["context"].append(batch["context"][ex])
                out["answer_texts"].append(list(answers["text"]))
            return out

        return map_rows(ds, encode, batched=True, batch_size=256, remove_columns=ds.column_names)

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        import torch

        ids = pad(rows["input_ids"], pad_id)
        return {
            "input_ids": ids,
            "attention_mask": (ids != pad_id).long(),
            "start_positions": torch.as_tensor(rows["start_positions"], dtype=torch.long),
            "end_positions": torch.as_tensor(rows["end_positions"], dtype=torch.long),
        }

    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        from xstilts.tasks.heads import SpanHead

        return SpanHead(hidden_size, dropout)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        from torch import nn

        logits = logits.float()
        start = nn.functional.cross_entropy(logits[..., 0], batch["start_positions"])
        end = nn.functional.cross_entropy(logits[..., 1], batch["end_positions"])
        return (start + end) / 2

    # ---- decoding and scoring ----
    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset):
        """One (question id, answer text) per example, in the order examples first appear."""
        best: dict[str, tuple[float, int, int] | None] = {}
        null: dict[str, float] = {}
        contexts: dict[str, str] = {}
        for row_logits, ex_id, offsets, context in zip(
            logits, features["example_id"], features["offsets"], features["context"], strict=True
        ):
            offs = [tuple(o) if o[0] >= 0 else None for o in offsets]
            arr = row_logits[: len(offs)].numpy()
            span = best_span(arr[:, 0], arr[:, 1], offs)
            contexts[ex_id] = context
            if span is not None and (best.get(ex_id) is None or span[0] > best[ex_id][0]):
                best[ex_id] = span
            else:
                best.setdefault(ex_id, None)
            score_null = float(arr[0, 0] + arr[0, 1])
            null[ex_id] = min(score_null, null.get(ex_id, score_null))  # as HF run_squad
        out = []
        for ex_id, span in best.items():
            text = "" if span is None else contexts[ex_id][span[1] : span[2]]
            if not self.with_negative:
                out.append((ex_id, text))
                continue
            # SQuAD 2.0: the null score less the best span's (the official script's na_prob,
            # run_squad's null odds), and the prediction at threshold 0 ("" when it is above);
            # the best span stays, for the best threshold (metrics.qa.squad_v2)
            diff = math.inf if span is None else null[ex_id] - span[0]
            out.append((ex_id, "" if diff > 0 else text, diff, text))
        return out

    def text_fields(self, source: Source) -> tuple[str, ...]:
        # the question only: answers are character offsets into the context
        return ("question",)

    def gold(self, features: datasets.Dataset):
        seen: dict[str, list[str]] = {}
        for ex_id, answers in zip(features["example_id"], features["answer_texts"], strict=True):
            seen.setdefault(ex_id, answers)
        return list(seen.items())

    def score(self, predictions, gold, lang: str = "en") -> dict[str, float]:
        golds = dict(gold)
        if self.metric_style == "mlqa":
            return qa_metrics.mlqa(_texts(predictions), golds, lang)
        if self.metric_style == "squad_v2":
            # the official evaluate-v2.0.py with its na_prob file: the best span of every
            # question, its null-score difference as na_prob; EM and F1 at threshold 0 (the
            # predictions written), best_exact_match / best_f1 at the best threshold (what
            # jiant's SQuAD 2.0 metric reports, and the task's summary score)
            spans = {p[0]: p[3] for p in predictions}
            na_probs = {p[0]: p[2] for p in predictions}
            return qa_metrics.squad_v2(spans, golds, na_probs=na_probs, na_prob_thresh=0.0)
        return qa_metrics.squad_v1(_texts(predictions), golds)

    def example_stats(self, predictions, gold, lang: str) -> list[dict]:
        """EM and F1 of each gold question alone (a missing prediction scores 0)."""
        preds = {p[0]: p for p in predictions}
        return [
            self.score([preds[qid]] if qid in preds else [], [(qid, answers)], lang)
            for qid, answers in gold
        ]

    def write_labels(self, gold, path: Path) -> None:
        # xtreme's evaluate.py reads SQuAD-format JSON: data → paragraphs → qas → answers
        qas = [{"id": qid, "answers": [{"text": t} for t in answers]} for qid, answers in gold]
        doc = {"version": "1.1", "data": [{"title": self.name, "paragraphs": [{"qas": qas}]}]}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def write_predictions(self, predictions, path: Path) -> None:
        # xtreme's evaluate.py reads a JSON object {question id: answer text}
        path.write_text(
            json.dumps(_texts(predictions), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


def _texts(predictions) -> dict[str, str]:
    """Question id → the answer predicted (SQuAD 2.0's predictions also carry the null-score
    difference and the best span: see ``QATask.decode``)."""
    return {p[0]: p[1] for p in predictions}


def _demo_context(writer: demo.Writer, unanswerable: bool) -> tuple[str, str | None, int]:
    """A context of 90-180 words; unless unanswerable, the answer is a run of 1-3 name-like
    words after a cue word (names are shared across languages at the language's transfer rate,
    like real names). Returns (context, answer, answer_start)."""
    words = writer.words_(90, 180)
    pos = int(writer.rng.integers(5, len(words) - 5))
    if unanswerable:  # the cue without a name after it
        words.insert(pos, writer.cue("qa", 0))
        return demo.join(words, writer.lang), None, -1
    answer_words = [writer.name() for _ in range(int(writer.rng.integers(1, 4)))]
    words[pos:pos] = [writer.cue("qa", 0), *answer_words]
    sep = "" if demo.join(["a", "b"], writer.lang) == "ab" else " "
    start = len(demo.join(words[: pos + 1], writer.lang)) + len(sep)
    answer = demo.join(answer_words, writer.lang)
    context = demo.join(words, writer.lang)
    assert context[start : start + len(answer)] == answer
    return context, answer, start


_QA = dict(metrics=("exact_match", "f1"), avg_metrics=("exact_match", "f1"))

TASKS = [
    QATask(
        name="squad_v1",
        role="intermediate",
        description="SQuAD 1.1, extractive QA",
        languages=("en",),
        train=(squad("train", 87_599),),
        # the squad_v1 arm's encoder is tested on XQuAD too: selected without its questions
        validation=(squad_selection(),),
        validation_rule=SQUAD_DEV_SELECTION,
        language_sources=tuple(squad_translated(lang) for lang in SQUAD_TRANSLATED_LANGS),
        **_QA,
    ),
    QATask(
        name="squad_v2",
        role="intermediate",
        description="SQuAD 2.0, extractive QA with unanswerable questions",
        languages=("en",),
        train=(squad_v2("train", 130_319),),
        validation=(squad_v2("validation", 11_873),),
        # scored at the best no-answer threshold, as jiant's SQuAD 2.0 metric
        validation_rule=SQUAD_V2_SELECTION,
        with_negative=True,
        metric_style="squad_v2",
        metrics=("exact_match", "f1", "best_exact_match", "best_f1"),
        avg_metrics=("best_exact_match", "best_f1"),
    ),
    QATask(
        name="xquad",
        role="target",
        description="XQuAD: train SQuAD 1.1, test 11 languages (XTREME-R: 12, with Romanian)",
        languages=XQUAD_LANGS,
        more_languages=XQUAD_MORE_LANGS,
        train=(squad("train", 87_599),),
        validation=(squad_selection(),),
        validation_rule=SQUAD_DEV_SELECTION,
        test=tuple(xquad(lang) for lang in XQUAD_LANGS + XQUAD_MORE_LANGS),
        **_QA,
    ),
    QATask(
        name="mlqa",
        role="target",
        description="MLQA: train SQuAD 1.1, test 7 languages (context = question)",
        languages=MLQA_LANGS,
        train=(squad("train", 87_599),),
        validation=(squad_selection(),),
        validation_rule=SQUAD_DEV_SELECTION,
        test=tuple(mlqa("test", lang, 5_000) for lang in MLQA_LANGS),
        metric_style="mlqa",
        **_QA,
    ),
    QATask(
        name="tydiqa",
        role="target",
        description="TyDiQA-GoldP: train its English part only, test 9 languages",
        languages=TYDIQA_LANGS,
        # every English training question (the file holds all languages: 49,881 rows)
        train=(tydiqa("train", "en", 49_881),),
        validation=(squad_selection(),),
        validation_rule=TYDIQA_VALIDATION,
        test=tuple(tydiqa("validation", lang, 5_077) for lang in TYDIQA_LANGS),
        **_QA,
    ),
]
