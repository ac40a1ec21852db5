"""Data sources: one parquet file per (hub dataset, config, split).

A source is where a task's rows come from. Real sources are fetched once from the Hugging Face
Hub into ``resources/datasets/<repo>/<config>/<split>.parquet``; the demo writes files with the
same schema into ``resources/demo/datasets/...``. Everything downstream reads the parquet file,
so real and demo data go through one code path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from xstilts.data.schema import Features
from xstilts.errors import FETCH_COMMAND, UserError, download_error

if TYPE_CHECKING:
    import datasets

DATA_ROOTS = {"hub": "resources/datasets", "demo": "resources/demo/datasets"}
LOCAL_PREFIX = "local/"


@dataclass(frozen=True)
class Source:
    """One split of one Hugging Face dataset config, in that dataset's exact schema."""

    repo: str  # hub id, e.g. "nyu-mll/glue"
    config: str  # dataset config name, e.g. "mnli"
    split: str  # e.g. "train", "validation_matched"
    features: Features = field(compare=False, hash=False, repr=False)
    language: str = "en"
    num_rows: int = 0  # size of the real split (dataset card), scales the demo copy
    # the rows of the real split this source keeps, when it keeps a part (TyDiQA's one
    # language of a file of all); 0: all of num_rows. Read by the cost projection only
    kept_rows: int = 0
    # rows to drop after loading, as (column, value): e.g. SNLI's unlabelled rows (label -1)
    drop: tuple[tuple[str, object], ...] = ()
    # keep only rows whose "id" starts with this prefix (TyDiQA keeps all languages in one file
    # and names the language in the id: "english-...", "arabic-...")
    id_prefix: str | None = None
    # sources whose question ids are dropped from this one when features are prepared (SQuAD
    # dev without XQuAD's questions, for model selection: see tasks/qa.py); their files are
    # inputs of the prepare step (features.source_paths)
    exclude_ids: tuple[Source, ...] = ()
    # a local source: the files of its directory this split needs (checked by the config
    # validation, so a missing licence-restricted dataset is reported before any job runs)
    local_files: tuple[str, ...] = ()
    # files its import also reads when they are there (BUCC's test gold)
    local_optional: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """The real rows this source gives (``kept_rows``, else ``num_rows``)."""
        return self.kept_rows or self.num_rows

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.config}/{self.split}"

    @property
    def is_local(self) -> bool:
        """Not on the Hub (licence-restricted, e.g. CCGbank): imported from files the user
        has, named by ``data.local.<name>`` in the config; ``repo`` is "local/<name>"."""
        return self.repo.startswith(LOCAL_PREFIX)

    @property
    def local_name(self) -> str:
        return self.repo.removeprefix(LOCAL_PREFIX)

    def path(self, source_kind: str) -> Path:
        return Path(DATA_ROOTS[source_kind]) / f"{self.key}.parquet"


def fetch(repo: str, config: str, split: str, out: str | Path, source: Source | None = None) -> int:
    """Download one split from the Hub (as data/hub.py says to read it) and store it as parquet,
    the Hub's features kept in its metadata. With ``source``, the served columns and label
    names must be the ones the task reads (``check_features``)."""
    import datasets

    from xstilts.data.hub import load_arguments

    arguments = load_arguments(repo, config)
    try:
        ds = datasets.load_dataset(**arguments, split=split)
    except Exception as err:  # not found, a changed layout, or no network: see _load_error
        raise _load_error(err, repo, config, split, arguments.get("revision")) from err
    if source is not None:
        check_features(ds.features, source.features, f"{repo} ({config}, {split})")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    try:  # the commit and the data files' hashes, as the Hub lists them
        origin = _origin(arguments, split)
    except Exception as err:  # noqa: BLE001 (the same failures as the load: see _load_error)
        raise _load_error(err, repo, config, split, arguments.get("revision")) from err
    manifest = write_manifest(out, origin)
    print(f"{repo} ({config}, {split}): commit {manifest['commit']}, {manifest['rows']} rows")
    return len(ds)


MANIFEST_SUFFIX = ".manifest.json"


def manifest_path(data: str | Path) -> Path:
    """Where the manifest of a fetched split is: beside it, ``<split>.manifest.json``."""
    data = Path(data)
    return data.with_name(data.name.removesuffix(".parquet") + MANIFEST_SUFFIX)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(data: str | Path, origin: dict) -> dict:
    """Record beside the parquet file ``data`` what it was made from (``origin``: the
    repository, the revision asked for, the commit got, the source files and their hashes) and
    the file's own SHA-256 and rows; returns the manifest."""
    import pyarrow.parquet as pq

    import xstilts

    data = Path(data)
    manifest = {
        **origin,
        "file": data.name,
        "sha256": file_sha256(data),
        "rows": pq.ParquetFile(data).metadata.num_rows,
        "xstilts": xstilts.__version__,
    }
    manifest_path(data).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def read_manifest(data: str | Path) -> dict | None:
    """The manifest beside ``data``, or None (fetched before xstilts recorded them)."""
    path = manifest_path(data)
    return json.loads(path.read_text()) if path.exists() else None


def _origin(arguments: dict, split: str) -> dict:
    """Where a loaded split came from: the commit the revision resolved to and each data file
    of the split with its hash (the Hub's LFS SHA-256 or git blob id; SHA-256 of a local file),
    as the datasets library resolved them."""
    import datasets

    repo, revision = arguments["path"], arguments.get("revision")
    origin = {"repo": repo, "config": arguments.get("name") or arguments.get("data_dir")}
    origin |= {"split": split, "revision": revision or "main", "datasets": datasets.__version__}
    builder = datasets.load_dataset_builder(**arguments)
    data_files = (builder.config.data_files or {}).get(split, [])
    if Path(repo).expanduser().is_dir():  # a local copy of a repository (tests, mirrors)
        origin["commit"] = None
        origin["files"] = [
            {"path": str(Path(f).relative_to(Path(repo).resolve())), "sha256": file_sha256(f)}
            for f in sorted(str(Path(f).resolve()) for f in data_files)
        ]
        return origin
    from huggingface_hub import HfApi

    api = HfApi()
    commit = api.dataset_info(repo, revision=revision).sha
    prefix = f"hf://datasets/{repo}@"
    paths = sorted(str(f).removeprefix(prefix).partition("/")[2] for f in data_files)
    infos = api.get_paths_info(repo, paths, revision=commit, repo_type="dataset")
    origin["commit"] = commit
    origin["files"] = [
        {
            "path": info.path,
            "size": info.size,
            "sha256": info.lfs.sha256 if info.lfs else None,
            "blob_id": info.blob_id,
        }
        for info in sorted(infos, key=lambda i: i.path)
    ]
    return origin


def _load_error(err: Exception, repo: str, config: str, split: str, revision) -> UserError:
    """What a failed load means: the source is not on the Hub as xstilts reads it (say so, and
    where the table of sources is), or the Hub could not be reached (a network failure)."""
    from datasets.data_files import EmptyDatasetError
    from datasets.exceptions import DataFilesNotFoundError, DatasetNotFoundError
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    from huggingface_hub.utils import httpx  # the client the Hub library downloads with

    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    at = f"revision {revision}" if revision else "its main branch"
    missing = (DatasetNotFoundError, RepositoryNotFoundError, RevisionNotFoundError)
    # no data files in the config's folder, or none that match: FileNotFoundErrors, no network's
    missing += (EmptyDatasetError, DataFilesNotFoundError)
    script = isinstance(err, RuntimeError) and "scripts are no longer supported" in str(err)
    if isinstance(err, missing + (EntryNotFoundError, ValueError)) or script:
        return UserError(
            f"{repo} ({config}, {split}) is not on the Hugging Face Hub as xstilts reads it, at "
            f"{at} ({reason}); this is no network failure: the dataset, its config, split or "
            "revision changed on the Hub, so correct its entry in src/xstilts/data/hub.py (or "
            "the task's source) and run the fetch again"
        )
    if isinstance(err, (OSError, httpx.HTTPError)):  # no connection, offline mode, HTTP errors
        return download_error(f"the dataset {repo} ({config}, {split})", err)
    raise err


def _kind(feature) -> str:
    """A feature's kind as the task reads it: its labels, text, a number, a list or a record
    (the width of a number does not matter)."""
    from xstilts.data import schema

    feature = schema.to_datasets(feature) if not hasattr(feature, "_type") else feature
    kind = getattr(feature, "_type", type(feature).__name__)
    if kind == "ClassLabel":
        return f"labels {list(feature.names)}"
    if kind == "Value":
        return "text" if feature.dtype in ("string", "large_string") else "a number"
    return kind


def check_features(served, expected: Features, what: str) -> None:
    """Stop with one sentence when the Hub serves other columns or label names (or another
    label order) than the task reads: the column, what was expected and what was served."""
    import datasets

    def walk(got, want, column):
        if isinstance(want, dict):
            if not isinstance(got, dict):
                return column, "its fields " + ", ".join(want), _kind(got)
            for name, sub in want.items():
                if name not in got:
                    return f"{column}.{name}" if column else name, "that column", "none"
                found = walk(got[name], sub, f"{column}.{name}" if column else name)
                if found:
                    return found
            return None
        from xstilts.data.schema import List

        if isinstance(want, List):
            inner = getattr(got, "feature", None)
            if not isinstance(got, datasets.List | datasets.Sequence) or inner is None:
                return column, "a list", _kind(got)
            return walk(inner, want.feature, column)
        if _kind(got) != _kind(want):
            return column, _kind(want), _kind(got)
        return None

    difference = walk(dict(served), dict(expected), "")
    if difference:
        column, wanted, got = difference
        raise UserError(
            f"{what} on the Hub has changed: column {column} should be {wanted} and is {got}; "
            "xstilts would read it wrongly, so update the task's source (src/xstilts/tasks/) to "
            "what the Hub serves now"
        )


def load(path: str | Path, source: Source | None = None) -> datasets.Dataset:
    """Read a source parquet file, with its Hugging Face features restored from the metadata."""
    import datasets
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise UserError(
            f"data file {path} is missing: run the workflow, which fetches it "
            f"(`{FETCH_COMMAND}` on a machine with internet) or builds the demo copy"
        )
    try:
        # read directly (features come from the file's metadata): no copy in the HF cache, and
        # no stale cached map() results when the featurization code changes
        ds = datasets.Dataset(pq.read_table(path))
    except Exception as err:  # pyarrow raises several types for a corrupt file
        raise UserError(
            f"data file {path} is not a readable parquet file ({err}); delete it and run the "
            "workflow again to fetch or rebuild it"
        ) from None
    if source is not None:
        missing = [c for c in source.features if c not in ds.column_names]
        if missing:
            raise UserError(
                f"data file {path} lacks the column(s) {missing} of {source.repo} "
                f"({source.config}); delete it and run the workflow again"
            )
        for column, value in source.drop:
            ds = ds.filter(lambda v, value=value: v != value, input_columns=column)
        if source.id_prefix is not None:
            ds = ds.filter(lambda v: v.startswith(source.id_prefix), input_columns="id")
    return ds
