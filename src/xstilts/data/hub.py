"""Every Hugging Face Hub dataset the grid reads, as the Hub serves it today: the revision to read
(datasets 5 runs no loading script, so a repository whose main branch still holds one is read
from its parquet branch), how a config is named there, and the reference that shows each fact.

The config and split names, columns and label names of each source are in the task modules
(``Source`` and its ``Features``); ``sources.fetch`` checks what the Hub returns against them.
Checked against the dataset cards, the repositories' files and commit histories and the viewer
(stored copies, 2024-2026); the commits are the Hub's short ids.

Every entry is pinned: ``revision`` is a full commit SHA found in a public reference (cited in
``reference``), or, where no public reference gives the commit, ``unpinned`` says why and the entry
keeps the branch it read before (``PARQUET_BRANCH`` or main). ``fetch`` records the commit it got
(``sources.write_manifest``), so a result says which data it came from either way.

A changed entry fetches its splits again: each repository's entry is the params of its own small
job (``pin_dataset`` writes ``resources/datasets/<repo>/pin.json``), and the fetch of a split
reads that file, so only that repository's splits are fetched anew. A split fetched before
xstilts recorded revisions (no ``<split>.manifest.json`` beside it) is left as it is (a grid
finished before this table was pinned refetches and retrains nothing): delete the split's
parquet file to fetch it at the pinned revision. docs/outputs.md says what reruns after a refetch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PARQUET_BRANCH = "refs/convert/parquet"
# why an entry keeps a branch (``HubDataset.unpinned``), searched for in 2026-12: the Hub's commit
# pages, the repositories' histories and other projects' code that pins them (MTEB, lm-eval)
BRANCH_ONLY = (
    "no public reference found gives the parquet branch's commit: the branch is read, and a "
    "fetch records the commit it got"
)


@dataclass(frozen=True)
class HubDataset:
    revision: str | None = None  # None: main
    # the parquet branch has no dataset card, so datasets 5 sees one config, "default", there:
    # a config of the original script is then a folder, read with data_dir=<config>
    config_is_folder: bool = False
    reference: str = ""
    # no commit SHA in any public reference found (2026-12): why, and what is read instead
    unpinned: str = ""


HUB: dict[str, HubDataset] = {
    # ---- intermediate tasks ----
    "nyu-mll/glue": HubDataset(
        revision="11762d92f088f525c9548bf8a16ff55e0514a851",  # the commit the reference links
        reference="parquet on main since 11762d9 'Delete loading script' "
        "(https://huggingface.co/datasets/nyu-mll/glue/commit/11762d92f088f525c9548bf8a16ff55e0514a851)"
        "; configs mnli (train, validation_matched) and qqp (train, validation), label names "
        "and idx int32 in the card's dataset_info (commits 4c50f6d, 169a67d)",
    ),
    "stanfordnlp/snli": HubDataset(
        # the full id of cdb5c3d, as public code pins it and links the card at it (GitHub,
        # found 2026-12); the Hub's card page gives cdb5c3d as 'Convert dataset to Parquet (#6)'
        revision="cdb5c3d5eed6ead6e5a341c8e56e669bb666725b",
        reference="parquet on main since PR #6, merge cdb5c3d 'Convert dataset to Parquet (#6)' "
        "(https://huggingface.co/datasets/stanfordnlp/snli/discussions/6; card at that commit: "
        "https://huggingface.co/datasets/stanfordnlp/snli/blob/cdb5c3d5eed6ead6e5a341c8e56e669bb666725b/README.md"
        ", plain_text/{train,validation,test}-00000-of-00001.parquet); config plain_text; "
        "label -1 marks rows without a gold label, in every split (snli.py)",
    ),
    "facebook/anli": HubDataset(
        # the full id of 8e4813d, as public code pins it to read plain_text/dev_r1-00000-of-
        # 00001.parquet and the train_r1..3 files (GitHub, found 2026-12)
        revision="8e4813d81f46d313dac7892e1c28076917cfcdf9",
        reference="parquet on main since PR #5, merge 8e4813d "
        "(https://huggingface.co/datasets/facebook/anli/discussions/5); config plain_text, "
        "splits train_r1..3 and dev_r1..3, columns uid premise hypothesis label reason",
    ),
    "rajpurkar/squad": HubDataset(
        # the Hub API's sha of the repository (lastModified 2024-03-04T13:54:37Z), the card
        # commit 7b6d24c; public code reads plain_text/train-00000-of-00001.parquet at it
        revision="7b6d24c440a36b6815f21b70d25016731768db1f",
        reference="parquet on main, card 7b6d24c (2024-03-04): configs "
        "plain_text/{train,validation}-* "
        "(https://huggingface.co/datasets/rajpurkar/squad/blob/main/README.md; the full id as "
        "https://huggingface.co/api/datasets/rajpurkar/squad gave it)",
    ),
    "rajpurkar/squad_v2": HubDataset(
        revision="80596c4f2b9ffcd716039dfc7e564c4e491802ec",  # the commit the reference links
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
        unpinned=BRANCH_ONLY + " (the source repository was taken down in 2026-09). Main "
        "itself became parquet later: public code reads data/validation-00000-of-00001.parquet "
        "at main's 218ec52e09a7e7462a5400043bb9a69a41d06b76 (the head from 2026-06 to "
        "2026-09-15; no public page found gives its message), a pin that would move this entry "
        "off the branch, not done here",
    ),
    "allenai/cosmos_qa": HubDataset(
        # the parquet branch's commit, as public code pins it to read default/train/0000.parquet
        # (GitHub, found 2026-12; no public page found gives its date)
        revision="ed50fe83db62b355759053b1cd5eef344ee371e0",
        reference="main holds cosmos_qa.py (head f386421, no parquet conversion); the viewer's "
        "parquet branch of a one-config script is default/<split> (branch commit ed50fe8); "
        "columns and label int32 from cosmos_qa.py and the card's dataset_info",
    ),
    "tau/commonsense_qa": HubDataset(
        revision="34986e86317f29c06cc232315de682a88959f89f",  # the commit the reference links
        reference="parquet on main since 34986e8 'Convert dataset to Parquet' "
        "(https://huggingface.co/datasets/tau/commonsense_qa/commit/34986e86317f29c06cc232315de682a88959f89f)"
        "; config default",
    ),
    # ---- targets ----
    "facebook/xnli": HubDataset(
        revision="b8dd5d7af51114dbda02c0e3f6133f332186418e",  # the commit the reference links
        reference="parquet on main since PR #10, merge b8dd5d7 "
        "(https://huggingface.co/datasets/facebook/xnli/tree/b8dd5d7af51114dbda02c0e3f6133f332186418e)"
        "; one config per language, each with train (machine-translated MNLI; English: MNLI), "
        "validation and test",
    ),
    "google-research-datasets/paws-x": HubDataset(
        # the full id of 4cd8187, as public code pins it and downloads
        # zh/validation-00000-of-00001.parquet at it (GitHub, found 2026-12). Not MTEB's
        # 8a04d940a42cd40658986fdd8e3da561533a3646: MTEB reads that one with
        # trust_remote_code=True, i.e. a commit that still held the loading script
        revision="4cd8187c404bda33cb1f62b49b001115862acf37",
        reference="parquet on main since PR #5, merge 4cd8187 "
        "(https://huggingface.co/datasets/google-research-datasets/paws-x/resolve/"
        "4cd8187c404bda33cb1f62b49b001115862acf37/zh/validation-00000-of-00001.parquet); "
        "configs de en es fr ja ko zh, id int32, label ClassLabel ['0', '1']",
    ),
    "google/xtreme": HubDataset(
        reference="parquet on main since ec5f1f4 'Convert dataset to Parquet (#9)' "
        "(https://huggingface.co/datasets/google/xtreme/tree/main/PAN-X.af): configs PAN-X.<lang>, "
        "udpos.<Language> (udpos.Afrikaans: commit 5d0e5de), tatoeba.<iso3> (validation only), "
        "MLQA.<lang>.<lang>, SQuAD, tydiqa; features in the card's dataset_info",
        unpinned="the full id of the conversion, ec5f1f46e9af79639a90684a7a70a956c4998f04, is "
        "public (code pins it for MLQA.en.en and PAWS-X.es), but the udpos.Afrikaans files came "
        "in 5d0e5de 'Add udpos.Afrikaans data files', and no public reference says whether "
        "that commit is before ec5f1f4 or after it, nor gives its full id: main is read, and "
        "a fetch records the commit it got",
    ),
    "google/xquad": HubDataset(
        revision="51adfef1c1287aab1d2d91b5bead9bcfb9c68583",  # as MTEB pins it (XQuADRetrieval)
        reference="parquet on main since 51adfef (PR #3, xquad.py deleted; MTEB's "
        "XQuADRetrieval task and other public code pin it and read "
        "xquad.<lang>/validation-00000-of-00001.parquet at it); configs xquad.<lang>, split "
        "validation (https://huggingface.co/datasets/google/xquad)",
    ),
    "unimelb-nlp/wikiann": HubDataset(
        revision="f21bf98636015a4166119304dca50f935763bc82",  # the commit the reference links
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
        # the full id of 042f789, as public code pins it (config tr, zh; split test) and links
        # the card at it (GitHub, found 2026-12)
        revision="042f78955ba48e6404616762fa6e05e839c3907a",
        reference="parquet on main since 042f789 'Convert dataset to Parquet (#3)' "
        "(https://huggingface.co/datasets/cambridgeltl/xcopa/blob/"
        "042f78955ba48e6404616762fa6e05e839c3907a/README.md); a config per language, "
        "split test, columns premise choice1 choice2 question label idx changed",
    ),
    "allenai/social_i_qa": HubDataset(
        # the parquet branch's commit (its tip dated 2024-05-23), as public code pins it to read
        # default/train/0000.parquet and default/validation/0000.parquet (GitHub, found 2026-12)
        revision="537a2ec8ec565adc0b70b70752893e59e024df26",
        reference="main holds social_i_qa.py (head 53620e5); the parquet branch holds "
        "default/train (https://huggingface.co/datasets/allenai/social_i_qa/tree/"
        "refs%2Fconvert%2Fparquet/default/train), at commit 537a2ec; label a string '1'..'3'",
    ),
    "aps/super_glue": HubDataset(
        revision=PARQUET_BRANCH,
        config_is_folder=True,
        reference="main held super_glue.py; the parquet branch holds copa/{train,validation,test} "
        "(commit 5ac8656), which datasets 5 reads as data_dir='copa' (the branch has no card, so "
        "its only config is 'default'); label ClassLabel [choice1, choice2], idx int32",
        unpinned="the reference gives only the parquet branch's short id 5ac8656, and no public "
        "reference found gives its full SHA; the branch is read, and a fetch records the "
        "commit it got. Main itself holds parquet now: public code pins main at "
        "3de24cf8022e94f4ee4b9d55a6f539891524d646 and loads its configs (boolq, copa, wsc.fixed; "
        "copa/validation-00000-of-00001.parquet) with datasets 5, a pin that would read "
        "name='copa' (config_is_folder False), not done here",
    ),
}


def load_arguments(repo: str, config: str) -> dict:
    """The keyword arguments of ``datasets.load_dataset`` that read ``config`` of ``repo``."""
    hub = HUB.get(repo, HubDataset())
    if hub.config_is_folder:
        return {"path": repo, "name": None, "data_dir": config, "revision": hub.revision}
    return {"path": repo, "name": config, "revision": hub.revision}


SHA = re.compile(r"[0-9a-f]{40}")


def is_pinned(repo: str) -> bool:
    """Whether ``repo``'s entry reads one commit (a full SHA), not a branch."""
    revision = HUB.get(repo, HubDataset()).revision
    return revision is not None and SHA.fullmatch(revision) is not None


def pin(repo: str) -> dict:
    """What the fetch of a split of ``repo`` reads (the entry without its reference text): the
    params of ``pin_dataset``, so a change fetches that repository's splits again."""
    hub = HUB.get(repo, HubDataset())
    return {
        "repo": repo,
        "revision": hub.revision or "main",
        "config_is_folder": hub.config_is_folder,
        "pinned": is_pinned(repo),
    }
