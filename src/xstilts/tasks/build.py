"""Build one demo parquet file in the exact schema of the real split it stands in for."""

from __future__ import annotations

from pathlib import Path

from xstilts import tasks as task_registry
from xstilts.data import demo


def _source(key: str):
    known = task_registry.all_sources()
    if key not in known:
        raise KeyError(f"no task reads the dataset split {key}; nothing to build")
    return known[key]


def _demo_rows(task, source, scale: int):
    n = demo.demo_size(source.num_rows, scale)
    return task.demo_rows(source, n, demo.row_seed(source.key, source.language))


def build_demo_split(key: str, out: str | Path, scale: int) -> int:
    """``key`` = "<repo>/<config>/<split>" of a hub source some task reads."""
    task, source = _source(key)
    ds = _demo_rows(task, source, scale)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return len(ds)


def build_demo_local(name: str, out_dir: str | Path, scale: int) -> None:
    """The raw files of local dataset ``name`` (e.g. CCGbank in jiant's format), every split,
    as a user would have them: the import step then reads them like the real ones."""
    sources = [
        (task, src)
        for task, src in task_registry.all_sources().values()
        if src.is_local and src.local_name == name
    ]
    if not sources:
        raise KeyError(f"no task reads a local dataset named {name}")
    task = sources[0][0]
    task.export_local({src: _demo_rows(t, src, scale) for t, src in sources}, Path(out_dir))


def import_local(key: str, directory: str | Path, out: str | Path) -> int:
    """Read one split of a local dataset from the user's files into the parquet layout."""
    task, source = _source(key)
    ds = task.import_local(Path(directory), source)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return len(ds)
