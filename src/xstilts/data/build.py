"""Build one demo parquet file in the exact schema of the real split it stands in for."""

from __future__ import annotations

from pathlib import Path

from xstilts import tasks as task_registry
from xstilts.data import demo


def build_demo_split(key: str, out: str | Path, scale: int) -> int:
    """``key`` = "<repo>/<config>/<split>" of a source some task reads."""
    known = task_registry.all_sources()
    if key not in known:
        raise KeyError(f"no task reads the dataset split {key}; nothing to build")
    task, source = known[key]
    n = demo.demo_size(source.num_rows, scale)
    ds = task.demo_rows(source, n, demo.row_seed(key, source.language))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return len(ds)
