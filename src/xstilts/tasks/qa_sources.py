"""Where the QA tasks' data lives: the Hub datasets' schemas and splits, the languages, and the
sources of SQuAD 1.1 / 2.0, XQuAD, MLQA and TyDiQA-GoldP (tasks/qa.py defines the tasks).

Hub ids, configs, splits and columns: ../shared/reference/PAPER.md §5.
"""

from __future__ import annotations

from xstilts.data.schema import Features, List, Value
from xstilts.data.sources import Source

_S = Value("string")
SQUAD = Features(
    {
        "id": _S,
        "title": _S,
        "context": _S,
        "question": _S,
        "answers": {"text": List(_S), "answer_start": List(Value("int32"))},
    }
)
XQUAD = Features(
    {
        "id": _S,
        "context": _S,
        "question": _S,
        "answers": {"text": List(_S), "answer_start": List(Value("int32"))},
    }
)
XTREME_QA = Features(  # google/xtreme MLQA.* and tydiqa configs
    {
        "id": _S,
        "title": _S,
        "context": _S,
        "question": _S,
        "answers": {"answer_start": List(Value("int32")), "text": List(_S)},
    }
)

XQUAD_LANGS = tuple("ar de el en es hi ru th tr vi zh".split())
# XTREME-R's addition: Romanian (google/xquad has the config xquad.ro; google/xtreme does not)
XQUAD_MORE_LANGS = ("ro",)
MLQA_LANGS = tuple("ar de en es hi vi zh".split())
# TyDiQA-GoldP names the language in the id; XTREME evaluates these nine on the dev set
TYDIQA_PREFIX = {
    "ar": "arabic-",
    "bn": "bengali-",
    "en": "english-",
    "fi": "finnish-",
    "id": "indonesian-",
    "ko": "korean-",
    "ru": "russian-",
    "sw": "swahili-",
    "te": "telugu-",
}
TYDIQA_LANGS = tuple(TYDIQA_PREFIX)
# XTREME's translate-train SQuAD: the languages of XQuAD but English
SQUAD_TRANSLATED_LANGS = tuple(lang for lang in XQUAD_LANGS if lang != "en")
SQUAD_TRANSLATED = "squad_translate_train"  # its data.local key


def squad(split: str, n: int) -> Source:
    return Source("rajpurkar/squad", "plain_text", split, SQUAD, num_rows=n)


def squad_v2(split: str, n: int) -> Source:
    return Source("rajpurkar/squad_v2", "squad_v2", split, SQUAD, num_rows=n)


def squad_translated(lang: str) -> Source:
    """SQuAD 1.1's training set machine-translated into ``lang`` (XTREME's translate-train)."""
    return Source(
        f"local/{SQUAD_TRANSLATED}",
        f"en-{lang}",
        "train",
        SQUAD,
        language=lang,
        num_rows=87_599,
        local_files=(f"squad.translate.train.en-{lang}.json",),
    )


def xquad(lang: str) -> Source:
    return Source(
        "google/xquad", f"xquad.{lang}", "validation", XQUAD, language=lang, num_rows=1_190
    )


def mlqa(split: str, lang: str, n: int) -> Source:
    return Source(
        "google/xtreme", f"MLQA.{lang}.{lang}", split, XTREME_QA, language=lang, num_rows=n
    )


# Model selection on SQuAD 1.1 dev never reads XQuAD's test questions: XQuAD is "a subset of
# 240 paragraphs and 1190 question-answer pairs from the development set of SQuAD v1.1"
# (google/xquad dataset card, https://huggingface.co/datasets/google/xquad), each under its
# SQuAD question id (the card of XQuAD-R, built from XQuAD, google-research-datasets/xquad_r,
# shows the first English question, from SQuAD dev's Super Bowl 50 article, under the SQuAD id
# "56beb4343aeaaa14008c925b"). Selection data of a model
# trained on SQuAD is therefore SQuAD dev less every id of XQuAD's English split: 10,570 - 1,190
# = 9,380 questions.
SQUAD_DEV_SELECTION = "SQuAD 1.1 dev without XQuAD's questions"


def squad_selection() -> Source:
    """SQuAD 1.1 dev less XQuAD's questions (by id): English validation for model selection."""
    return Source(
        "rajpurkar/squad",
        "plain_text",
        "validation",
        SQUAD,
        num_rows=10_570,
        exclude_ids=(xquad("en"),),
    )


# SQuAD 2.0's validation (model selection) scores at the best no-answer threshold, as jiant's
# SQuAD 2.0 metric, (best_f1 + best_exact) / 2 (jiant/tasks/evaluate/core.py,
# SQuADEvaluationScheme), with the official evaluate-v2.0.py's search for it (metrics/qa.py)
SQUAD_V2_SELECTION = "SQuAD 2.0 dev at the best no-answer threshold (official evaluate-v2.0)"

# TyDiQA-GoldP has no English validation split: XTREME's test set is its dev set, English
# included, which jiant validated on. Its model trains on all English training questions (3,696,
# as XTREME fine-tunes it), so neither its model selection nor the choice of arm may read them
# or test data: both read SQuAD 1.1 dev without XQuAD's questions, scored by the TyDiQA model
# itself (English Wikipedia extractive QA in the same format; the data of no test set and no
# training set of the model chosen).
TYDIQA_VALIDATION = "SQuAD 1.1 dev without XQuAD's questions (TyDiQA-GoldP has no English dev)"


# TyDiQA-GoldP keeps every language in one file (train 49,881, validation 5,077 rows: the
# google/xtreme card); a source keeps its language's rows. English train: 3,696 questions (the
# English part XTREME fine-tunes on, tydiqa.en.train.json); validation per language, as XTREME
# tests them (they sum to the card's 5,077)
TYDIQA_ROWS = {
    "train": {"en": 3_696},
    "validation": {"en": 440, "ar": 921, "bn": 113, "fi": 782, "id": 565, "ko": 276,
                   "ru": 812, "sw": 499, "te": 669},
}  # fmt: skip


def tydiqa(split: str, lang: str, n: int) -> Source:
    return Source(
        "google/xtreme",
        "tydiqa",
        split,
        XTREME_QA,
        language=lang,
        num_rows=n,
        kept_rows=TYDIQA_ROWS[split].get(lang, 0),
        id_prefix=TYDIQA_PREFIX[lang],
    )
