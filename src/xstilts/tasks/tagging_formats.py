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
UDPOS_MORE = {"lt": "Lithuanian", "pl": "Polish", "uk": "Ukrainian", "wo": "Wolof",
              "ro": "Romanian"}  # fmt: skip


def ud_test_pattern(lang: str) -> str:
    """The test files of every treebank of ``lang`` in a UD release directory."""
    return f"UD_{UDPOS_MORE[lang]}-*/{lang}_*-ud-test.conllu"


def read_conllu(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Words (FORM) and UPOS tags of each sentence of a CoNLL-U file: its syntactic words, as
    the HF universal_dependencies reader takes them (the lines of multiword tokens, IDs like
    "1-2", and of empty nodes, IDs like "8.1", are skipped)."""
    words: list[list[str]] = []
    tags: list[list[str]] = []
    sentence: tuple[list[str], list[str]] = ([], [])
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if sentence[0]:
                    words.append(sentence[0])
                    tags.append(sentence[1])
                sentence = ([], [])
                continue
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 10:
                raise UserError(
                    f"{path} line {number}: a CoNLL-U word line has 10 tab-separated fields, "
                    f"this one {len(fields)}"
                )
            if "-" in fields[0] or "." in fields[0]:
                continue
            if fields[3] not in UPOS:
                raise UserError(f"{path} line {number}: {fields[3]!r} is not a UPOS tag")
            sentence[0].append(fields[1])
            sentence[1].append(fields[3])
    if sentence[0]:
        words.append(sentence[0])
        tags.append(sentence[1])
    return words, tags


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
