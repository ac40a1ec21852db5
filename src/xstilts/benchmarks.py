"""The XTREME and XTREME-R benchmark tables of google-research/xtreme's ``evaluate.py``.

Read (not copied) from ``evaluate.py`` @ da430dd06cc7344ceb2e7cb030219656ebf0606a, the version
with ``--xtreme_version`` and ``--output_file``: ``XTREME_TASK2LANGS`` and
``XTREME_R_TASK2LANGS`` (task → test languages; their order is the order tasks and languages
are scored and reported in), ``XTREME_GROUP2TASK`` and ``XTREME_R_GROUP2TASK`` (group → tasks),
``READER_FUNCTION``, ``METRIC_FUNCTION`` and ``get_suffix`` (how each task's files are read,
scored and named).

A benchmark's score (``all_task``) is the unweighted mean over all its tasks of each task's
language-averaged summary metric (``avg_metric``), and a group's score the same over the group's
tasks; either is reported only when every task it needs is there, never over fewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Reader = Literal["label", "tag", "json", "xcopa", "ranking"]
Metric = Literal["accuracy", "seqeval", "bucc_f1", "squad", "mlqa", "map@20"]


@dataclass(frozen=True)
class Scoring:
    """How evaluate.py reads and scores a task's ``test-<lang>.<suffix>`` files.

    ``reader``: ``label`` (one stripped line per example), ``tag`` (one tag per line, sentences
    separated by blank lines), ``json`` (a JSON document, its ``"data"`` value if it has one),
    ``xcopa`` (JSON lines, the ``"label"`` of each), ``ranking`` (LAReQA, which evaluate.py
    lists without a reader: xstilts's layout, a line per question with its id, then ranked or
    gold candidate ids, tab-separated). ``metric``: the metric function's kind.
    """

    reader: Reader
    metric: Metric

    @property
    def suffix(self) -> str:
        """evaluate.py's ``get_suffix``: json for QA and Mewsli-X, jsonl for XCOPA, else tsv."""
        return {"json": "json", "xcopa": "jsonl"}.get(self.reader, "tsv")


# The same task is read and scored the same way in both benchmarks.
TASKS: dict[str, Scoring] = {
    "pawsx": Scoring("label", "accuracy"),
    "xnli": Scoring("label", "accuracy"),
    "xcopa": Scoring("xcopa", "accuracy"),
    "panx": Scoring("tag", "seqeval"),
    "udpos": Scoring("tag", "seqeval"),
    "bucc2018": Scoring("label", "bucc_f1"),
    "tatoeba": Scoring("label", "accuracy"),
    "mewslix": Scoring("json", "map@20"),
    # XTREME-R reports LAReQA as mAP@20 too; evaluate.py cannot score it (see below)
    "lareqa": Scoring("ranking", "map@20"),
    "xquad": Scoring("json", "squad"),
    "mlqa": Scoring("json", "mlqa"),
    "tydiqa": Scoring("json", "squad"),
}


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: task → test languages (evaluate.py's task and language order) and
    group → tasks (evaluate.py's group order; a task may be in several groups)."""

    name: str
    languages: Mapping[str, tuple[str, ...]]
    groups: Mapping[str, tuple[str, ...]]

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.languages)

    def groups_of(self, task: str) -> tuple[str, ...]:
        """The groups a task belongs to, in group order."""
        return tuple(group for group, tasks in self.groups.items() if task in tasks)


def _langs(codes: str) -> tuple[str, ...]:
    return tuple(codes.split())


_PANX = (
    "ar he vi id jv ms tl eu ml ta te af nl en de el bn hi mr ur fa fr it pt es bg ru ja ka ko "
    "th sw yo my zh kk tr et fi hu"
)
_UDPOS = (
    "af ar bg de el en es et eu fa fi fr he hi hu id it ja kk ko mr nl pt ru ta te th tl tr ur "
    "vi yo zh"
)
_TATOEBA = (
    "ar he vi id jv tl eu ml ta te af nl de el bn hi mr ur fa fr it pt es bg ru ja ka ko th sw "
    "zh kk tr et fi hu"
)
_XNLI = "ar bg de el en es fr hi ru sw th tr ur vi zh"
_XQUAD = "en es de el ru tr ar vi th zh hi"
_MLQA = "en es de ar hi vi zh"
_TYDIQA = "en ar bn fi id ko ru sw te"

BENCHMARKS: dict[str, Benchmark] = {
    "xtreme": Benchmark(
        name="xtreme",
        languages={
            "pawsx": _langs("de en es fr ja ko zh"),
            "xnli": _langs(_XNLI),
            "panx": _langs(_PANX),
            "udpos": _langs(_UDPOS),
            "bucc2018": _langs("de fr ru zh"),
            "tatoeba": _langs(_TATOEBA),
            "xquad": _langs(_XQUAD),
            "mlqa": _langs(_MLQA),
            "tydiqa": _langs(_TYDIQA),
        },
        groups={
            "classification": ("pawsx", "xnli"),
            "tagging": ("udpos", "panx"),
            "qa": ("xquad", "mlqa", "tydiqa"),
            "retrieval": ("bucc2018", "tatoeba"),
        },
    ),
    # XTREME-R drops PAWS-X and BUCC, adds XCOPA, LAReQA and Mewsli-X, and adds languages to
    # PAN-X, UD-POS, Tatoeba and XQuAD.
    "xtreme-r": Benchmark(
        name="xtreme-r",
        languages={
            "xnli": _langs(_XNLI),
            "panx": _langs(_PANX + " qu pl uk az lt pa gu ro"),
            "udpos": _langs(_UDPOS + " lt pl uk wo ro"),
            "tatoeba": _langs(_TATOEBA + " az lt pl uk ro"),
            "xcopa": _langs("et ht id it qu sw ta th tr vi zh"),
            # evaluate.py lists LAReQA with no language (so it cannot score it, and its
            # XTREME-R all_task fails); here XQuAD-R's 11, the languages XTREME-R reports
            "lareqa": _langs("ar de el en es hi ru th tr vi zh"),
            "mewslix": _langs("ar de en es fa ja pl ro ta tr uk"),
            "xquad": _langs(_XQUAD + " ro"),
            "mlqa": _langs(_MLQA),
            "tydiqa": _langs(_TYDIQA),
        },
        groups={
            "classification": ("xnli", "xcopa"),
            "tagging": ("udpos", "panx"),
            "qa": ("xquad", "mlqa", "tydiqa"),
            "retrieval": ("tatoeba", "mewslix"),
            "multi_choice": ("xcopa",),
        },
    ),
}

# The XTREME tasks in the order the project's tables list them (the paper's), each with its
# group (every XTREME task is in exactly one).
XTREME_TASKS: tuple[str, ...] = (
    "xnli",
    "pawsx",
    "udpos",
    "panx",
    "xquad",
    "mlqa",
    "tydiqa",
    "bucc2018",
    "tatoeba",
)
