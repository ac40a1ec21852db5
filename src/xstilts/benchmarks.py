"""The XTREME benchmark table (google-research/xtreme evaluate.py): task → group.

The XTREME score is the unweighted mean over its nine tasks of each task's language-averaged
summary metric; a summary over fewer tasks is marked incomplete, never silently averaged.
"""

XTREME_GROUPS: dict[str, str] = {
    "xnli": "classification",
    "pawsx": "classification",
    "udpos": "tagging",
    "panx": "tagging",
    "xquad": "qa",
    "mlqa": "qa",
    "tydiqa": "qa",
    "bucc2018": "retrieval",
    "tatoeba": "retrieval",
}
XTREME_TASKS = tuple(XTREME_GROUPS)
