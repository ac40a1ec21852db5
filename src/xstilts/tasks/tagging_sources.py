"""Where the tagging tasks' data lives: UD-POS (the Hub's google/xtreme copy and the UD
releases read as XTREME converts them), PAN-X / WikiANN and CCGbank, their languages and
sources (tasks/tagging.py defines the tasks)."""

from __future__ import annotations

from dataclasses import dataclass

from xstilts.data.sources import Source
from xstilts.tasks.tagging_formats import (
    CCG,
    CCG_FILES,
    CCG_TAG_FILE,
    PANX,
    UDPOS,
    UDPOS_MORE,
    WIKIANN,
    ud_test_pattern,
    xtreme_ud_pattern,
)

# google/xtreme names the UD-POS configs by language name, Afrikaans included ("udpos.Afrikaans",
# huggingface.co/datasets/google/xtreme commit 5d0e5de "Add udpos.Afrikaans data files"; the
# old card listed "udpos.Afrikans", a name no version served)
UDPOS_CONFIG = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "bg": "Bulgarian",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "kk": "Kazakh",
    "ko": "Korean",
    "mr": "Marathi",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ru": "Russian",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "yo": "Yoruba",
    "zh": "Chinese",
}
UDPOS_LANGS = tuple(sorted(UDPOS_CONFIG))
UDPOS_NAMES = UDPOS_CONFIG | UDPOS_MORE  # the language's name in UD's treebank folders
# xtreme evaluate.py's PAN-X language list (40)
PANX_LANGS = tuple(
    sorted(
        "ar he vi id jv ms tl eu ml ta te af nl en de el bn hi mr ur fa fr it pt es bg ru ja ka "
        "ko th sw yo my zh kk tr et fi hu".split()
    )
)
# XTREME-R's additions, with the size of their WikiANN test split (Rahimi et al.'s splits)
PANX_MORE = {"qu": 100, "pl": 10_000, "uk": 10_000, "az": 1_000, "lt": 10_000, "pa": 100,
             "gu": 100, "ro": 10_000}  # fmt: skip


@dataclass(frozen=True)
class TagSource(Source):
    tokens: str = "tokens"
    tags: str = "pos_tags"
    # a UD release file read with XTREME's conversion (multiword tokens fused, one word each)
    fused: bool = False


def udpos(split: str, lang: str, n: int) -> TagSource:
    return TagSource(
        "google/xtreme", f"udpos.{UDPOS_CONFIG[lang]}", split, UDPOS, language=lang, num_rows=n
    )


def panx(split: str, lang: str, n: int) -> TagSource:
    return TagSource(
        "google/xtreme", f"PAN-X.{lang}", split, PANX, language=lang, num_rows=n, tags="ner_tags"
    )


def wikiann(lang: str, n: int) -> TagSource:
    return TagSource("unimelb-nlp/wikiann", lang, "test", WIKIANN, lang, n, tags="ner_tags")


def entity_spans(words: list[str], tags: list[str]) -> list[str]:
    """WikiANN's ``spans``: each entity of a BIO-tagged sentence as "<type>: <words>"."""
    spans: list[tuple[str, list[str]]] = []
    inside = None  # the type of the entity the previous word was in
    for word, tag in zip(words, tags, strict=True):
        kind = None if tag == "O" else tag[2:]
        if tag.startswith("I-") and kind == inside:
            spans[-1][1].append(word)
        elif kind:  # B-, or an I- that starts an entity (seqeval reads it so too)
            spans.append((kind, [word]))
        inside = kind
    return [f"{kind}: {' '.join(ws)}" for kind, ws in spans]


def ud_release(lang: str, n: int) -> TagSource:
    return TagSource(
        "local/ud_v27", lang, "test", UDPOS, lang, n, local_files=(ud_test_pattern(lang),)
    )


def ud_xtreme(name: str, lang: str, split: str, n: int) -> TagSource:
    """One split of ``lang`` from the UD release in data.local.<name> (ud_v25: XTREME's
    languages; ud_v27: XTREME-R's), as XTREME's download converts it (fused forms). The
    config is "<lang>_fused", so the v2.7 test files keep their split-word import beside."""
    return TagSource(
        f"local/{name}",
        f"{lang}_fused",
        split,
        UDPOS,
        lang,
        n,
        local_files=(xtreme_ud_pattern(lang, split),),
        fused=True,
    )


def ccgbank(split: str, n: int) -> TagSource:
    return TagSource(
        "local/ccgbank",
        "jiant",
        split,
        CCG,
        num_rows=n,
        tags="tags",
        local_files=(CCG_FILES[split], CCG_TAG_FILE),
    )
