"""Shared fixtures: the demo model and demo features, and the finished quick-start grid, built
once per test session."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO_SPEC = {
    "vocab_size": 3000,
    "hidden_size": 64,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 128,
    "max_position_embeddings": 512,
}


def hub_config(**over) -> dict:
    """A small hub grid (XLM-R Large; mnli; XNLI on en and de; no multitask, no retrieval) for
    config and cost tests; ``over`` replaces top-level keys. A new dict on every call."""
    return {
        "data": {"source": "hub"},
        "models": {"xlmr_large": {"hub_id": "FacebookAI/xlm-roberta-large"}},
        "intermediate": {"mnli": {"epochs": 3, "batch_size": 32}},
        "multitask": {"enabled": False},
        "targets": {"xnli": {"epochs": 2, "batch_size": 32, "languages": ["en", "de"]}},
        "retrieval": {},
    } | over


@contextlib.contextmanager
def chdir(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory) -> Path:
    from xstilts.modeling import demo_model as builder

    out = tmp_path_factory.mktemp("model") / "demo_tiny"
    builder.build(out, DEMO_SPEC)
    return out


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory, demo_model) -> Path:
    """A work directory with demo data and features for mnli, xnli and pawsx."""
    from xstilts import features, tasks
    from xstilts.tasks.build import build_demo_split

    work = tmp_path_factory.mktemp("work")
    with chdir(work):
        for name in ("mnli", "xnli", "pawsx"):
            for split in tasks.get(name).splits().values():
                for src in split:
                    if not src.path("demo").exists():
                        build_demo_split(src.key, src.path("demo"), scale=100)
            features.prepare(name, demo_model, "demo", 128, work / "features" / name)
    return work


@pytest.fixture(scope="session")
def ccg_dir(tmp_path_factory) -> Path:
    """CCGbank stand-in: the demo's CCG data in jiant's file format (train, dev, tags_to_id)."""
    from xstilts.tasks.build import build_demo_local

    out = tmp_path_factory.mktemp("ccgbank")
    build_demo_local("ccgbank", out, scale=100)
    return out


@pytest.fixture(scope="session")
def bucc_dir(tmp_path_factory) -> Path:
    """BUCC 2018 stand-in: the demo's copy in the release layout xtreme's download script
    writes (<lang>-en.{dev,test}.{<lang>,en,gold})."""
    from xstilts.tasks.build import build_demo_local

    out = tmp_path_factory.mktemp("bucc2018")
    build_demo_local("bucc2018", out, scale=100)
    return out


@pytest.fixture(scope="session")
def local_dirs(ccg_dir, bucc_dir) -> dict[str, str]:
    """data.local of the paper config, pointed at the stand-ins."""
    return {"ccgbank": str(ccg_dir), "bucc2018": str(bucc_dir)}


# ---- the quick-start grid (config/quickstart.yaml) ----
# Its files decide what the grid computes: a finished grid of the same files is the same grid.
QUICKSTART_INPUTS = (
    "Snakefile",
    "pyproject.toml",
    "config/quickstart.yaml",
    "src",
    "workflow",
    "profiles/default",
)


def code_hash() -> str:
    """A digest of every file the quick-start grid's results depend on."""
    digest = hashlib.sha256()
    for name in QUICKSTART_INPUTS:
        root = REPO / name
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _grid_cache(config) -> Path | None:
    """Where a finished quick-start grid of this code is kept between test sessions (pytest's
    cache), so the second tier extends it instead of running it again; None without a cache."""
    cache = getattr(config, "cache", None)
    return None if cache is None else cache.mkdir("xstilts-quickstart") / code_hash()


@pytest.fixture(scope="session")
def quickstart_run(tmp_path_factory, request):
    """The quick-start grid run to completion from a clean directory: (workdir, config, jobs
    run). A copy of the finished grid is kept for the second tier (``quickstart_base``)."""
    from smk import run_shipped

    work = tmp_path_factory.mktemp("quickstart")
    config, jobs = run_shipped(work, "quickstart.yaml")
    cached = _grid_cache(request.config)
    if cached is not None:
        shutil.rmtree(cached.parent, ignore_errors=True)  # older code's grids
        shutil.copytree(work, cached, symlinks=True)
    return work, config, jobs


@pytest.fixture(scope="session")
def quickstart_base(request) -> Path:
    """A finished quick-start grid for the research-axis grids to extend (copied, never
    changed): the one kept by an earlier session of the same code, else this session's run."""
    cached = _grid_cache(request.config)
    if cached is not None and (cached / "results/summary/arm_target.csv").exists():
        return cached
    return request.getfixturevalue("quickstart_run")[0]


# the README header of a Hub dataset in parquet, as nyu-mll/glue declares its mnli config
GLUE_README = """---
configs:
- config_name: mnli
  data_files:
  - split: train
    path: mnli/train-*
  - split: validation_matched
    path: mnli/validation_matched-*
---
"""
