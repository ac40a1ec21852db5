"""The tagging datasets' label sets and schemas, and the two file formats read from local
folders: UD release CoNLL-U files (XTREME-R's UD-POS additions, ``data.local.ud_v27``) and
CCGbank in jiant's format (``data.local.ccgbank``). The tasks are in :mod:`xstilts.tasks.tagging`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from xstilts.data import schema
from xstilts.data.schema import ClassLabel, Features, List, Value
from xstilts.errors import UserError

if TYPE_CHECKING:
    import datasets

UPOS = ("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X").split()
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
CCG_NUM_TAGS = 1363  # jiant's CCG task: LABELS = range(1363)
CCG_TAGS = tuple(str(i) for i in range(CCG_NUM_TAGS))

_S = Value("string")
UDPOS = Features({"tokens": List(_S), "pos_tags": List(ClassLabel(names=UPOS))})
PANX = Features(
    {"tokens": List(_S), "ner_tags": List(ClassLabel(names=list(PANX_TAGS))), "langs": List(_S)}
)
# unimelb-nlp/wikiann (the PAN-X splits; XTREME-R's added languages, which google/xtreme lacks):
# PAN-X's columns and tags, plus each sentence's entities as "<type>: <words>"
WIKIANN = Features(
    {
        "tokens": List(_S),
        "ner_tags": List(ClassLabel(names=list(PANX_TAGS))),
        "langs": List(_S),
        "spans": List(_S),
    }
)
# what the CCG importer writes: words and supertag ids (jiant's tags_to_id numbering)
CCG = Features({"tokens": List(_S), "tags": List(ClassLabel(names=list(CCG_TAGS)))})


# ---- UD v2.7 release files (XTREME-R's UD-POS additions) ----
# XTREME-R tests these on UD v2.7 (XTREME's 33 on v2.5, google/xtreme's udpos configs, which
# lack them): read from the release's CoNLL-U files (data.local.ud_v27 = the unpacked
# ud-treebanks-v2.7), the test files of all of a language's treebanks together
UDPOS_MORE = {
    "lt": "Lithuanian",
    "pl": "Polish",
    "uk": "Ukrainian",
    "wo": "Wolof",
    "ro": "Romanian",
}


def ud_test_pattern(lang: str) -> str:
    """The test files of every treebank of ``lang`` in a UD release directory."""
    return f"UD_{UDPOS_MORE[lang]}-*/{lang}_*-ud-test.conllu"


def read_conllu(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Words (FORM) and UPOS tags of each sentence of a CoNLL-U file: its syntactic words, as
    the HF universal_dependencies reader takes them (the lines of multiword tokens, IDs like
    "1-2", and of empty nodes, IDs like "8.1", are skipped)."""
    words: list[list[str]] = []
    tags: list[list[str]] = []
    for rows in read_conllu_rows(path):
        kept = [f for f in rows if "-" not in f[0] and "." not in f[0]]
        if kept:
            words.append([f[1] for f in kept])
            tags.append([f[3] for f in kept])
    return words, tags


# ---- XTREME's conversion of UD releases (fused multiword tokens) ----
# google-research/xtreme scripts/download_data.sh (download_treebank, commit 838c13b) converts
# every <lang>_*.conllu of the release (UD v2.5 for XTREME's 33 languages, v2.7 for XTREME-R's
# lt pl uk wo ro) with
#   third_party/ud-conversion-tools/conllu_to_conll.py $x $y --lang $lang
#       --replace_subtokens_with_fused_forms --print_fused_forms
# and utils_preprocess.py udpos_preprocess then reads FORM and UPOS of the converted files of
# the language's folder in file-name order, train/dev/test by "train"/"dev"/"test" in the name,
# drops a sentence whose words are nearly all "_" (num_empty == 0 or num_empty < len - 1 is
# kept: treebanks that withhold their text), and removes spaces and U+200C inside words
# (remove_empty_space). lib/conll.py _keep_fused_form keeps ONE word per multiword token: the
# span's head (_choose_spanhead_from_heuristics), whose FORM becomes the token's form and whose
# UPOS stays; the other words of the span are removed. The head is the span's word with the
# fewest ancestors in the sentence graph (basic HEAD edges plus the DEPS edges with an integer
# head, as read_conll_u adds both; node 0 is the root); on a tie, the tied word whose UPOS
# comes first in the --lang list below (POSRANKPRECEDENCEDICT in conllu_to_conll.py).
POS_PRECEDENCE = {
    "default": "VERB NOUN PROPN PRON ADJ NUM ADV INTJ AUX ADP DET PART CCONJ SCONJ X PUNCT".split(),
    "es": "VERB AUX PRON ADP DET".split(),
    "fr": "VERB AUX PRON NOUN ADJ ADV ADP DET PART SCONJ CONJ".split(),
    "it": "VERB AUX ADV PRON ADP DET INTJ".split(),
}


class ConversionFailure(Exception):
    """conllu_to_conll.py stops on this file (a tie between UPOS tags its list lacks:
    ``list.index`` raises ValueError), so XTREME's data has no converted copy of it."""


def fused_sentence(rows: list[list[str]], lang: str) -> tuple[list[str], list[str]]:
    """Words and UPOS of one CoNLL-U sentence (its 10-field lines: words, multiword-token
    ranges "1-2", empty nodes "8.1") as conllu_to_conll.py --replace_subtokens_with_fused_forms
    writes them: each multiword token is one word, with its form and its head word's UPOS."""
    words: dict[int, tuple[str, str]] = {}
    parents: dict[int, set[int]] = {}
    spans: list[tuple[int, int, str]] = []
    for fields in rows:
        wid = fields[0]
        if "." in wid:  # an empty node: parse_id gives None, nothing is added
            continue
        if "-" in wid:
            first, last = map(int, wid.split("-"))
            spans.append((first, last, fields[1]))
            continue
        word = int(wid)
        words[word] = (fields[1], fields[3])
        heads = parents.setdefault(word, set())
        if fields[6] != "_":
            heads.add(int(fields[6]))
        if fields[8] != "_":  # parse_deps: the pairs whose head is all digits
            heads.update(
                int(h) for h, *_ in (p.split(":") for p in fields[8].split("|")) if h.isdigit()
            )

    def ancestors(node: int) -> int:  # len(nx.ancestors(graph, node))
        seen: set[int] = set()
        todo = list(parents.get(node, ()))
        while todo:
            n = todo.pop()
            if n not in seen and n != node:
                seen.add(n)
                todo.extend(parents.get(n, ()))
        return len(seen)

    order = POS_PRECEDENCE.get(lang, POS_PRECEDENCE["default"])
    keep: dict[int, str] = {}  # span head → the token's form
    dropped: set[int] = set()
    for first, last, form in sorted(spans):
        span = list(range(first, last + 1))
        depth = [ancestors(w) for w in span]
        highest = [w for w, d in zip(span, depth, strict=True) if d == min(depth)]
        head = highest[0]
        if len(highest) > 1:  # heuristic 2: the first UPOS in the language's list
            try:
                head = min(highest, key=lambda w: order.index(words[w][1]))
            except ValueError:
                raise ConversionFailure(
                    f"tied words {highest} with a UPOS outside {order}"
                ) from None
        keep[head] = form
        dropped.update(w for w in span if w != head)
    out_words, out_tags = [], []
    for word in sorted(words):
        if word not in dropped:
            out_words.append(keep.get(word, words[word][0]))
            out_tags.append(words[word][1])
    return out_words, out_tags


def read_conllu_rows(path: Path) -> list[list[list[str]]]:
    """The 10-field lines of every sentence of a CoNLL-U file (comments left out)."""
    sentences: list[list[list[str]]] = []
    sentence: list[list[str]] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if sentence:
                    sentences.append(sentence)
                sentence = []
                continue
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 10:
                raise UserError(
                    f"{path} line {number}: a CoNLL-U word line has 10 tab-separated fields, "
                    f"this one {len(fields)}"
                )
            if "-" not in fields[0] and "." not in fields[0] and fields[3] not in UPOS:
                raise UserError(f"{path} line {number}: {fields[3]!r} is not a UPOS tag")
            sentence.append(fields)
    if sentence:
        sentences.append(sentence)
    return sentences


def xtreme_sentences(path: Path, lang: str) -> tuple[list[list[str]], list[list[str]]]:
    """Words and UPOS of a CoNLL-U file as XTREME's UD-POS data holds them: converted with
    fused forms (``fused_sentence``), then utils_preprocess.py's filter of withheld text and
    its removal of spaces and U+200C inside words."""
    words: list[list[str]] = []
    tags: list[list[str]] = []
    for rows in read_conllu_rows(path):
        sent, upos = fused_sentence(rows, lang)
        empty = sum(w == "_" for w in sent)
        if not (empty == 0 or empty < len(sent) - 1):
            continue
        words.append(["".join(w.replace("\u200c", "").split(" ")) for w in sent])
        tags.append(upos)
    return words, tags


# the split a UD file name says (utils_preprocess.py: "train" in f, "dev" in f, "test" in f)
UD_SPLIT_FILES = {"train": "train", "validation": "dev", "test": "test"}


def xtreme_ud_pattern(lang: str, split: str) -> str:
    """download_treebank's files of ``lang``: */*.conllu whose name's part before the first
    "_" is the language code, here those of one split."""
    return f"*/{lang}_*-ud-{UD_SPLIT_FILES[split]}.conllu"


def read_ud_xtreme(directory: str | Path, lang: str, split: str, key: str) -> datasets.Dataset:
    """One split of ``lang`` from an unpacked UD release as XTREME's download builds it: every
    treebank's file of the split in file-name order (the converted files of a language share
    one folder, read in sorted order), words with fused multiword tokens. ``key`` names the
    config key of the folder in messages."""
    import logging

    pattern = xtreme_ud_pattern(lang, split)
    files = sorted(Path(directory).glob(pattern), key=lambda p: (p.name, str(p)))
    if not files:
        raise UserError(
            f"data.local.{key} ({directory}) has no {pattern}: it must name the unpacked UD "
            "release (ud-treebanks-v2.5 for XTREME's languages, v2.7 for XTREME-R's)"
        )
    tokens: list[list[str]] = []
    tags: list[list[int]] = []
    for f in files:
        try:
            words, upos = xtreme_sentences(f, lang)
        except ConversionFailure as err:
            logging.getLogger("xstilts").warning(
                "%s left out, as XTREME's conllu_to_conll.py fails on it: %s", f, err
            )
            continue
        tokens += words
        tags += [[UPOS.index(t) for t in sent] for sent in upos]
    return schema.from_dict({"tokens": tokens, "pos_tags": tags}, UDPOS)


DEMO_CLITIC = ("el", "DET")  # the second word of a demo multiword token


def write_ud_fused(ds: datasets.Dataset, path: Path) -> None:
    """A CoNLL-U file whose fused reading (``xtreme_sentences``) gives back ``ds`` (the demo
    writes its UD release this way): every third word, from the second, is a multiword token
    of two words, the word itself with its tag (the span's head) and a clitic that depends on
    it; the split reading (``read_conllu``) sees both words."""
    lines = []
    for k, (words, tags) in enumerate(zip(ds["tokens"], ds["pos_tags"], strict=True), 1):
        lines += [f"# sent_id = demo-{k}", f"# text = {' '.join(words)}"]
        n = 0  # syntactic words so far
        for i, (w, t) in enumerate(zip(words, tags, strict=True)):
            head = 0 if n == 0 else 1
            rel = "root" if n == 0 else "dep"
            if i % 3 == 1:
                lines.append(f"{n + 1}-{n + 2}\t{w}\t_\t_\t_\t_\t_\t_\t_\t_")
                lines.append(f"{n + 1}\t{w}\t_\t{UPOS[t]}\t_\t_\t{head}\t{rel}\t_\t_")
                clitic, tag = DEMO_CLITIC
                lines.append(f"{n + 2}\t{clitic}\t_\t{tag}\t_\t_\t{n + 1}\tdet\t_\t_")
                n += 2
            else:
                lines.append(f"{n + 1}\t{w}\t_\t{UPOS[t]}\t_\t_\t{head}\t{rel}\t_\t_")
                n += 1
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")


def read_ud_release(directory: str | Path, lang: str) -> datasets.Dataset:
    """The test sentences of all treebanks of ``lang`` in a UD release, in google/xtreme's
    udpos schema (treebanks in name order)."""

    files = sorted(Path(directory).glob(ud_test_pattern(lang)))
    if not files:
        raise UserError(
            f"data.local.ud_v27 ({directory}) has no {ud_test_pattern(lang)}: it must name the "
            "unpacked UD v2.7 release (ud-treebanks-v2.7)"
        )
    tokens: list[list[str]] = []
    tags: list[list[int]] = []
    for f in files:
        words, upos = read_conllu(f)
        tokens += words
        tags += [[UPOS.index(t) for t in sent] for sent in upos]
    return schema.from_dict({"tokens": tokens, "pos_tags": tags}, UDPOS)


def write_ud_release(ds: datasets.Dataset, directory: Path, lang: str) -> None:
    """One treebank's test file holding ``ds`` (the demo writes its copy this way)."""
    treebank = directory / f"UD_{UDPOS_MORE[lang]}-Demo"
    treebank.mkdir(parents=True, exist_ok=True)
    lines = []
    for k, (words, tags) in enumerate(zip(ds["tokens"], ds["pos_tags"], strict=True), 1):
        lines += [f"# sent_id = demo-{k}", f"# text = {' '.join(words)}"]
        lines += [
            f"{i}\t{w}\t_\t{UPOS[t]}\t_\t_\t{0 if i == 1 else 1}\t{'root' if i == 1 else 'dep'}"
            "\t_\t_"
            for i, (w, t) in enumerate(zip(words, tags, strict=True), 1)
        ]
        lines.append("")
    (treebank / f"{lang}_demo-ud-test.conllu").write_text("\n".join(lines) + "\n", "utf-8")


# ---- CCGbank in jiant's format ----
CCG_FILES = {"train": "train.tsv", "validation": "dev.tsv"}
CCG_TAG_FILE = "tags_to_id.json"


def read_ccg_files(directory: str | Path, split: str) -> datasets.Dataset:
    """One split of CCGbank in jiant's CCG format: ``<split file>`` holds one sentence per line,
    ``space-separated words <TAB> space-separated supertags``; ``tags_to_id.json`` maps every
    supertag to its id (0-1362). Files: train.tsv, dev.tsv, tags_to_id.json."""

    directory = Path(directory)
    tag_file, data_file = directory / CCG_TAG_FILE, directory / CCG_FILES[split]
    for f in (tag_file, data_file):
        if not f.exists():
            raise UserError(
                f"CCGbank file {f} is missing: data.local.ccgbank must name a directory with "
                f"{', '.join(CCG_FILES.values())} and {CCG_TAG_FILE} in jiant's CCG format"
            )
    try:
        tags_to_id = {k: int(v) for k, v in json.loads(tag_file.read_text("utf-8")).items()}
    except (ValueError, TypeError, AttributeError) as err:  # truncated, or not {tag: id}
        reason = getattr(err, "msg", None) or "not a JSON object of supertag → integer id"
        raise UserError(
            f"CCGbank file {tag_file} is damaged ({reason}); copy it again from your jiant "
            "CCG files (data.local.ccgbank) and run the workflow again"
        ) from None
    bad = [t for t, i in tags_to_id.items() if not 0 <= i < CCG_NUM_TAGS]
    if bad:
        raise UserError(
            f"{tag_file}: supertag ids must be in 0-{CCG_NUM_TAGS - 1}; {bad[0]!r} is not"
        )
    tokens, tags = [], []
    with data_file.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                text, tag_text = line.rstrip("\n").split("\t")
            except ValueError:
                raise UserError(
                    f"{data_file} line {number}: expected 'words<TAB>supertags' "
                    "(jiant's CCG format)"
                ) from None
            words, supertags = text.split(" "), tag_text.split()
            if len(words) != len(supertags):
                raise UserError(
                    f"{data_file} line {number}: {len(words)} words but {len(supertags)} supertags"
                )
            unknown = [t for t in supertags if t not in tags_to_id]
            if unknown:
                raise UserError(
                    f"{data_file} line {number}: supertag {unknown[0]!r} is not in {tag_file}"
                )
            tokens.append(words)
            tags.append([tags_to_id[t] for t in supertags])
    return schema.from_dict({"tokens": tokens, "tags": tags}, CCG)


def write_ccg_files(splits: dict[str, datasets.Dataset], directory: str | Path) -> None:
    """The inverse of ``read_ccg_files`` (the demo writes its CCG data this way); supertags
    are written as ``T<id>``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CCG_TAG_FILE).write_text(
        json.dumps({f"T{i}": i for i in range(CCG_NUM_TAGS)}) + "\n"
    )
    for split, ds in splits.items():
        with (directory / CCG_FILES[split]).open("w", encoding="utf-8") as fh:
            for words, tags in zip(ds["tokens"], ds["tags"], strict=True):
                fh.write(" ".join(words) + "\t" + " ".join(f"T{t}" for t in tags) + "\n")
