"""Every Hugging Face Hub dataset the grid reads, as the Hub serves it today: the revision to read
(datasets 5 runs no loading script, so a repository whose main branch still holds one is read
from its parquet branch), how a config is named there, and the reference that shows each fact.

The config and split names, columns and label names of each source are in the task modules
(``Source`` and its ``Features``); ``sources.fetch`` checks what the Hub returns against them.
Checked against the dataset cards, the repositories' files and commit histories and the viewer
(stored copies, 2024-2026); the commits are the Hub's short ids.

A split already fetched is not fetched again when its entry here changes (the fetch job's params
do not carry it, so that no grid finished before a change of this table refetches and retrains):
after moving a revision, delete ``resources/datasets/<repo>/<config>/`` to fetch it anew.
"""

from __future__ import annotations

from dataclasses import dataclass

PARQUET_BRANCH = "refs/convert/parquet"


@dataclass(frozen=True)
class HubDataset:
    revision: str | None = None  # None: main
    # the parquet branch has no dataset card, so datasets 5 sees one config, "default", there:
    # a config of the original script is then a folder, read with data_dir=<config>
    config_is_folder: bool = False
    reference: str = ""


HUB: dict[str, HubDataset] = {
    # ---- intermediate tasks ----
    "nyu-mll/glue": HubDataset(
        reference="parquet on main since 11762d9 'Delete loading script' "
        "(https://huggingface.co/datasets/nyu-mll/glue/commit/11762d92f088f525c9548bf8a16ff55e0514a851)"
        "; configs mnli (train, validation_matched) and qqp (train, validation), label names "
        "and idx int32 in the card's dataset_info (commits 4c50f6d, 169a67d)",
    ),
    "stanfordnlp/snli": HubDataset(
        reference="parquet on main since PR #6, merge cdb5c3d "
        "(https://huggingface.co/datasets/stanfordnlp/snli/discussions/6); config plain_text; "
        "label -1 marks rows without a gold label, in every split (snli.py)",
    ),
    "facebook/anli": HubDataset(
        reference="parquet on main since PR #5, merge 8e4813d "
        "(https://huggingface.co/datasets/facebook/anli/discussions/5); config plain_text, "
        "splits train_r1..3 and dev_r1..3, columns uid premise hypothesis label reason",
    ),
    "rajpurkar/squad": HubDataset(
        reference="parquet on main, card 7b6d24c: configs plain_text/{train,validation}-* "
        "(https://huggingface.co/datasets/rajpurkar/squad/blob/main/README.md)",
    ),
    "rajpurkar/squad_v2": HubDataset(
        reference="parquet on main since 80596c4 'Convert dataset to Parquet (#6)' "
        "(https://huggingface.co/datasets/rajpurkar/squad_v2/commit/80596c4f2b9ffcd716039dfc7e564c4e491802ec)"
        "; config squad_v2",
    ),
    "Rowan/hellaswag": HubDataset(
        revision=PARQUET_BRANCH,
        reference="main still held hellaswag.py (head 6002345; the conversion PR #7 open), which "
        "datasets 5 refuses; the parquet branch holds default/{train,validation,test} "
        "(https://huggingface.co/datasets/Rowan/hellaswag/tree/refs%2Fconvert%2Fparquet/default/"
        "validation), ind int32 and label a string as the card's dataset_info says",
    ),
    "allenai/cosmos_qa": HubDataset(
        revision=PARQUET_BRANCH,
        reference="main holds cosmos_qa.py (head f386421, no parquet conversion); the viewer's "
        "parquet branch of a one-config script is default/<split>; columns and label int32 from "
        "cosmos_qa.py and the card's dataset_info",
    ),
    "tau/commonsense_qa": HubDataset(
        reference="parquet on main since 34986e8 'Convert dataset to Parquet' "
        "(https://huggingface.co/datasets/tau/commonsense_qa/commit/34986e86317f29c06cc232315de682a88959f89f)"
        "; config default",
    ),
    # ---- targets ----
    "facebook/xnli": HubDataset(
        reference="parquet on main since PR #10, merge b8dd5d7 "
        "(https://huggingface.co/datasets/facebook/xnli/tree/b8dd5d7af51114dbda02c0e3f6133f332186418e)"
        "; one config per language, each with train (machine-translated MNLI; English: MNLI), "
        "validation and test",
    ),
    "google-research-datasets/paws-x": HubDataset(
        reference="parquet on main since PR #5, merge 4cd8187 "
        "(https://huggingface.co/datasets/google-research-datasets/paws-x/tree/main); configs "
        "de en es fr ja ko zh, id int32, label ClassLabel ['0', '1']",
    ),
    "google/xtreme": HubDataset(
        reference="parquet on main since ec5f1f4 'Convert dataset to Parquet (#9)' "
        "(https://huggingface.co/datasets/google/xtreme/tree/main/PAN-X.af): configs PAN-X.<lang>, "
        "udpos.<Language> (udpos.Afrikaans: commit 5d0e5de), tatoeba.<iso3> (validation only), "
        "MLQA.<lang>.<lang>, SQuAD, tydiqa; features in the card's dataset_info",
    ),
    "google/xquad": HubDataset(
        reference="parquet on main since 51adfef (PR #3, xquad.py deleted); configs "
        "xquad.<lang>, split validation (https://huggingface.co/datasets/google/xquad)",
    ),
    "unimelb-nlp/wikiann": HubDataset(
        reference="parquet on main since f21bf98 'Delete loading script' "
        "(https://huggingface.co/datasets/unimelb-nlp/wikiann/commit/f21bf98636015a4166119304dca50f935763bc82)"
        "; configs are language codes, columns tokens ner_tags langs spans",
    ),
    "mteb/tatoeba-bitext-mining": HubDataset(
        revision="69e8f12da6e31d59addadda9a9c8a2e601a0e282",  # as MTEB pins it
        reference="script-free since 69e8f12 'fast loading' (test/<pair>.jsonl.gz and configs "
        "<iso3>-eng in the card; https://huggingface.co/datasets/mteb/tatoeba-bitext-mining/tree/"
        "main); columns sentence1 (the language), sentence2 (English), lang",
    ),
    "mteb/BUCC": HubDataset(
        revision="414572247440f0ccacf7eb0bb70a31533a0e5443",  # as MTEB pins it
        reference="parquet upload 4145722 (https://huggingface.co/datasets/mteb/BUCC/blob/main/"
        "README.md): configs <lang>-en, one test row of sentence1, sentence2 and 1-based gold "
        "pairs; it is BUCC 2018's training release (mteb PR #3609)",
    ),
    "cambridgeltl/xcopa": HubDataset(
        reference="parquet on main since 042f789 'Convert dataset to Parquet (#3)' "
        "(https://huggingface.co/datasets/xcopa/blob/main/README.md); a config per language, "
        "split test, columns premise choice1 choice2 question label idx changed",
    ),
    "allenai/social_i_qa": HubDataset(
        revision=PARQUET_BRANCH,
        reference="main holds social_i_qa.py (head 53620e5); the parquet branch holds "
        "default/train (https://huggingface.co/datasets/allenai/social_i_qa/tree/"
        "refs%2Fconvert%2Fparquet/default/train); label a string '1'..'3'",
    ),
    "aps/super_glue": HubDataset(
        revision=PARQUET_BRANCH,
        config_is_folder=True,
        reference="main held super_glue.py; the parquet branch holds copa/{train,validation,test} "
        "(commit 5ac8656), which datasets 5 reads as data_dir='copa' (the branch has no card, so "
        "its only config is 'default'); label ClassLabel [choice1, choice2], idx int32",
    ),
}


def load_arguments(repo: str, config: str) -> dict:
    """The keyword arguments of ``datasets.load_dataset`` that read ``config`` of ``repo``."""
    hub = HUB.get(repo, HubDataset())
    if hub.config_is_folder:
        return {"path": repo, "name": None, "data_dir": config, "revision": hub.revision}
    return {"path": repo, "name": config, "revision": hub.revision}
