"""Datasets the Hub does not serve as the grid needs them, read from folders the user names in
``data.local.<name>``: where each comes from, and the content of the files a split reads.

An import reruns when the content of the files it reads changes, not when their folder is
touched: its params carry a digest of those files (cached by their size and time, so a run
that finds them unchanged hashes nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

# .snakemake/ holds Snakemake's own state of a working directory; this is ours beside it
DIGEST_CACHE = Path(".snakemake/xstilts/local-digests.json")


@dataclass(frozen=True)
class LocalDataset:
    what: str  # the dataset, as a user knows it
    where: str  # how to get the folder data.local.<name> names (an imperative clause)
    # what a grid may do instead when the folder is missing (an imperative clause); empty: the
    # config validation says what reads it and how to drop that
    instead: str = ""


# name (data.local.<name>, the "local/<name>" repo of its sources) → where to get it
LOCAL_DATASETS: dict[str, LocalDataset] = {
    "ccgbank": LocalDataset(
        "CCGbank, licence-restricted: LDC2005T13",
        "license it from https://catalog.ldc.upenn.edu/LDC2005T13 and convert it to jiant's "
        "CCG format",
    ),
    "bucc2018": LocalDataset(
        "BUCC 2018 with its dev set",
        "use the bucc2018 folder that google-research/xtreme's scripts/download_data.sh writes",
    ),
    # XTREME's UD-POS words (google-research/xtreme scripts/download_data.sh, download_treebank
    # "xtreme": .../bitstream/handle/11234/1-3105/ud-treebanks-v2.5.tgz), read by udpos_fused
    "ud_v25": LocalDataset(
        "the UD v2.5 release (UD-POS with XTREME's fused words)",
        "unpack ud-treebanks-v2.5 from http://hdl.handle.net/11234/1-3105 (as XTREME's "
        "download script fetches it)",
        "replace udpos_fused by udpos in targets (the Hub's google/xtreme copy, whose words "
        "split multiword tokens, so its F1 is not comparable with the published numbers)",
    ),
    "ud_v27": LocalDataset(
        "the UD v2.7 release (UD-POS's XTREME-R languages)",
        "unpack ud-treebanks-v2.7 from http://hdl.handle.net/11234/1-3424 (as XTREME-R's "
        "download script fetches it)",
    ),
    "lareqa": LocalDataset(
        "LAReQA's XQuAD-R with its sentence breaks",
        "use a checkout of https://github.com/google-research-datasets/lareqa (the folder "
        "that holds xquad-r/)",
    ),
    "mewslix": LocalDataset(
        "Mewsli-X",
        "use the folder that XTREME-R's download_mewslix_data.sh writes (get-mewsli-x.sh of "
        "google-research/dense_representations_for_entity_retrieval/mel)",
    ),
    "mlm_text": LocalDataset(
        "plain text for the mlm arms",
        "write your own text, <lang>.txt per language (for example a sample of CC-100)",
    ),
    "squad_translate_train": LocalDataset(
        "XTREME's translate-train SQuAD",
        "download it from https://storage.googleapis.com/xtreme_translations/SQuAD/"
        "translate-train/ (the Translations link of google-research/xtreme's README)",
    ),
}


def split_files(directory: str | Path, patterns: tuple[str, ...]) -> list[Path]:
    """The files of ``directory`` that match ``patterns`` (names, or globs: a UD release names
    its files by treebank), in name order."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in Path(directory).glob(pattern) if p.is_file())
    return sorted(found)


def _file_digest(path: Path, cache: dict) -> str:
    stat = path.stat()
    key = str(path.resolve())
    # ctime too: an edit in place that restores the mtime (cp -p, touch -r) still changes it
    stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]
    entry = cache.get(key)
    if entry and entry["stamp"] == stamp:
        return entry["sha256"]
    sha = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    cache[key] = {"stamp": stamp, "sha256": sha.hexdigest()}
    return cache[key]["sha256"]


def content_digest(directory: str | Path, patterns: tuple[str, ...]) -> str:
    """One digest of the names and contents of the files a split reads; the same files give
    the same digest whatever their time stamps."""
    cache: dict = {}
    if DIGEST_CACHE.exists():
        try:
            cache = json.loads(DIGEST_CACHE.read_text())
        except (OSError, ValueError):
            cache = {}
    before = json.dumps(cache, sort_keys=True)
    digest = hashlib.sha256()
    for path in split_files(directory, patterns):
        digest.update(f"{path.relative_to(directory)}\0{_file_digest(path, cache)}\n".encode())
    if json.dumps(cache, sort_keys=True) != before:
        DIGEST_CACHE.parent.mkdir(parents=True, exist_ok=True)
        temporary = DIGEST_CACHE.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(cache))
        temporary.replace(DIGEST_CACHE)  # atomic: another process never reads half a file
    return digest.hexdigest()
