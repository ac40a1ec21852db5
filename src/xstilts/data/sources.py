"""Data sources: one parquet file per (hub dataset, config, split).

A source is where a task's rows come from. Real sources are fetched once from the Hugging Face
Hub into ``resources/datasets/<repo>/<config>/<split>.parquet``; the demo writes files with the
same schema into ``resources/demo/datasets/...``. Everything downstream reads the parquet file,
so real and demo data go through one code path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from xstilts.data.schema import Features
from xstilts.errors import FETCH_COMMAND, UserError, unreachable

if TYPE_CHECKING:
    import datasets

DATA_ROOTS = {"hub": "resources/datasets", "demo": "resources/demo/datasets"}
LOCAL_PREFIX = "local/"
# the demo writes the raw files of a local dataset here, in the format its importer reads
DEMO_LOCAL_ROOT = "resources/demo/local"


@dataclass(frozen=True)
class Source:
    """One split of one Hugging Face dataset config, in that dataset's exact schema."""

    repo: str  # hub id, e.g. "nyu-mll/glue"
    config: str  # dataset config name, e.g. "mnli"
    split: str  # e.g. "train", "validation_matched"
    features: Features = field(compare=False, hash=False, repr=False)
    language: str = "en"
    num_rows: int = 0  # size of the real split (dataset card), scales the demo copy
    # rows to drop after loading, as (column, value): e.g. SNLI's unlabelled rows (label -1)
    drop: tuple[tuple[str, object], ...] = ()
    # keep only rows whose "id" starts with this prefix (TyDiQA keeps all languages in one file
    # and names the language in the id: "english-...", "arabic-...")
    id_prefix: str | None = None
    # a fold of the rows by their "id": (k, True) keeps the rows whose id's SHA-256 is 0 mod k,
    # (k, False) all the others (TyDiQA's held-out English validation, see tasks/qa.py)
    id_fold: tuple[int, bool] | None = None
    # a hub branch or tag to read instead of main (e.g. "refs/convert/parquet" for a dataset
    # whose main branch still holds only a loading script, which datasets >= 4 cannot run)
    revision: str | None = None
    # a local source: the files of its directory this split needs (checked by the config
    # validation, so a missing licence-restricted dataset is reported before any job runs)
    local_files: tuple[str, ...] = ()
    # files its import also reads when they are there (BUCC's test gold)
    local_optional: tuple[str, ...] = ()

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


def fetch(repo: str, config: str, split: str, out: str | Path, revision: str | None = None) -> int:
    """Download one split from the Hub and store it as parquet (features kept in its metadata)."""
    import datasets

    try:  # ConnectionError and DatasetNotFoundError are OSErrors too
        ds = datasets.load_dataset(repo, config, split=split, revision=revision)
    except OSError as err:
        raise unreachable(f"the dataset {repo} ({config}, {split})", err) from err
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return len(ds)


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
        if source.id_fold is not None:
            k, inside = source.id_fold
            ds = ds.filter(lambda v: in_fold(v, k) == inside, input_columns="id")
    return ds


def in_fold(example_id: str, k: int) -> bool:
    """Whether an example falls in the held-out fold: its id's SHA-256, as a number, is 0 mod
    ``k`` (the same rows whatever the order or the copy of the file)."""
    return int.from_bytes(hashlib.sha256(example_id.encode()).digest(), "big") % k == 0
