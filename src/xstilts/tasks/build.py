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


# The entry points of the data rules, called as ``function(cell, inputs, outputs, ...)`` by
# xstilts.job.run; the split a job builds is its wildcards (``repo``, ``subset``, ``split``).


def fetch_job(cell: None, inputs: dict, outputs: dict, repo: str, subset: str, split: str) -> int:
    """Rule fetch_dataset: one split of a Hub dataset into ``outputs["data"]``, checked against
    the ``Source`` of the task that reads it (sources.fetch)."""
    from xstilts.data.sources import fetch

    known = task_registry.all_sources().get(f"{repo}/{subset}/{split}")
    return fetch(repo, subset, split, outputs["data"], source=known[1] if known else None)


def demo_split_job(cell: dict, inputs: dict, outputs: dict, repo: str, subset: str, split: str):
    """Rule build_demo_dataset: the demo copy of one Hub split, at ``cell["demo_scale"]``."""
    return build_demo_split(f"{repo}/{subset}/{split}", outputs["data"], cell["demo_scale"])


def demo_local_job(cell: dict, inputs: dict, outputs: dict, name: str) -> None:
    """Rule build_demo_local: the demo's files of local dataset ``name``, at
    ``cell["demo_scale"]``, into ``outputs["directory"]``."""
    build_demo_local(name, outputs["directory"], cell["demo_scale"])


def import_local_job(cell: dict, inputs: dict, outputs: dict, name: str, subset: str, split: str):
    """Rule import_local_dataset: one split of local dataset ``name`` from the folder
    ``cell["directory"]`` (the user's, or the demo's copy) into ``outputs["data"]``."""
    from xstilts.data.sources import LOCAL_PREFIX

    return import_local(
        f"{LOCAL_PREFIX}{name}/{subset}/{split}", cell["directory"], outputs["data"]
    )
