"""Sentence breaks of English Wikipedia paragraphs, as XTREME-R finds LAReQA's answer sentences.

XTREME-R trains its LAReQA dual encoder on SQuAD 1.1, whose paragraphs carry no sentence
breaks; ``third_party/processors/lareqa.py`` breaks them with ``third_party/processors/sb_sed.py``
(google-research/xtreme @ f5d1269310feadf26fabc5789554f20897788897), a sed-style breaker tuned
on SQuAD (F1 .9961 against SQuAD's own sentences, by its docstring). This module applies the
same rules in the same order (read, then written here as a rule table): newlines become spaces,
a break goes after sentence-final punctuation followed by a capital or a digit, then breaks are
taken back after titles, abbreviations, initials and a few SQuAD names, and added before common
sentence openers. XQuAD-R's own files carry their sentence breaks; this is only for SQuAD.
"""

from __future__ import annotations

import re

_CLOSE_QUOTE, _OPEN_QUOTE = "\u201d", "\u201c"

# (pattern, replacement) in the order they apply; "\n" in the text marks a break
_RULES: tuple[tuple[str, str], ...] = (
    # the main break: [.?!], closing quotes/parens/spaces, whitespace, an optional opening
    # quote/bracket/paren, then a capital letter or a digit
    (rf"""([.?!][)'" {_CLOSE_QUOTE}]*)\s(\s*[\['"({_OPEN_QUOTE}]?[A-Z0-9])""", r"\1\n\2"),
    # Wikipedia's editorial marks after a sentence: ".[citation needed] ", ".[note 1] "
    (r"""([.?!]['"]?)((\[[a-zA-Z0-9 ?]+\])+)\s(\s*['"(]?[A-Z0-9])""", r"\1\2\n\4"),
    # an elided quote between sentences: "[...] But"
    (r"(\[\.\.\.\]\s*)\s(\[?[A-Z])", r"\1\n\2"),
    # no break after titles, literary and month abbreviations, places
    (r"\b(Mrs?|Ms|Dr|Prof|Fr|Rev|Msgr|Sta?)\.\n", r"\1. "),
    (r"\b(Lt|Gen|Col|Maj|Adm|Capt|Sgt|Rep|Gov|Sen|Pres)\.\n", r"\1. "),
    (r"\b(e\.g|i\.?e|vs?|pp?|cf|a\.k\.a|approx|app|es[pt]|tr)\.\n", r"\1. "),
    (r"\b(Jan|Aug|Oct|Nov|Dec)\.\n", r"\1. "),
    (r"\b(Mt|Ft)\.\n", r"\1. "),
    (r"\b([ap]\.m)\.\n(Eastern|EST)\b", r"\1. \2"),
    # nor after one to three initials before a surname
    (r'\b([A-Z]\.)[ \n]([A-Z]\.)[ \n]([A-Z]\.)[ \n]("?[A-Z][a-z])', r"\1 \2 \3 \4"),
    (r'\b([A-Z]\.)[ \n]([A-Z]\.)[ \n]("?[A-Z][a-z])', r"\1 \2 \3"),
    (r'\b([A-Z]\.[A-Z]\.)\n("?[A-Z][a-z])', r"\1 \2"),
    (r'\b([A-Z]\.)\n("?[A-Z][a-z])', r"\1 \2"),
    # a break before common sentence openers
    (r"""([.!?]['")]*) (The|This|That|These|It) """, r"\1\n\2 "),
    (r"(\.) (Meanwhile|However)", r"\1\n\2"),
    (
        r"(\.) (In|On|By|During|After|Under|Although|Yet|As |Several|According to) ",
        r"\1\n\2 ",
    ),
    # no break in numbered parts, life dates, citations, bill numbers
    (r"\b([Aa]rt|[Nn]o|Opp?|ch|Sec|cl|Rec|Ecl|Cor|Lk|Jn|Vol)\.\n([0-9IVX]+)\b", r"\1. \2"),
    (r"\b([bdrc]|ca|fl)\.\n([A-Z0-9])", r"\1. \2"),
    (r"\b(et al)\.\n(\(?[0-9]{4}\b)", r"\1. \2"),
    (r"\b(H\.R\.)\n([0-9])", r"\1 \2"),
    # SQuAD's own names that the rules above would break
    (r"(I Am\.\.\.)\n(Sasha Fierce|World Tour)", r"\1 \2"),
    (r"(Warner Bros\.)\n(Records|Entertainment)", r"\1 \2"),
    (r"(U\.S\.)\n(\(?\d\d+)", r"\1 \2"),
    (r"\b(Rs\.)\n(\d)", r"\1 \2"),
    # and SQuAD's sentences that they would miss
    (r"\b(Jay Z\.) ([A-Z])", r"\1\n\2"),
    (r"\b(Washington, D\.C\.) ([A-Z])", r"\1\n\2"),
    (r"\b(for 4\.\)) ([A-Z])", r"\1\n\2"),
    (r"\b(Wii U\.) ([A-Z])", r"\1\n\2"),
    (r"\. (iPod|iTunes)", r".\n\1"),
    (r" (\[\.\.\.\]\n)", r"\n\1"),
    (r"(\.Sc\.)\n", r"\1 "),
    (r" (\u2022 [A-Z])", r"\n\1"),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in _RULES)


def sentence_breaks(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence of ``text``, in order: ``text[start:end]``
    is the sentence without the whitespace around it."""
    marked = text.replace("\n", " ")  # every rule keeps the length, so offsets stay valid
    for pattern, replacement in _COMPILED:
        marked = pattern.sub(replacement, marked)
    spans, offset = [], 0
    for line in marked.split("\n"):
        stripped = line.strip()
        start = offset + (len(line) - len(line.lstrip()))
        spans.append((start, start + len(stripped)))
        offset += len(line) + 1
    return spans
