"""Shared fixtures: the demo model and demo features, built once per test session."""

from __future__ import annotations

import contextlib
import os
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
    from xstilts.data.build import build_demo_split

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
    from xstilts.data.build import build_demo_local

    out = tmp_path_factory.mktemp("ccgbank")
    build_demo_local("ccgbank", out, scale=100)
    return out


@pytest.fixture(scope="session")
def bucc_dir(tmp_path_factory) -> Path:
    """BUCC 2018 stand-in: the demo's copy in the release layout xtreme's download script
    writes (<lang>-en.{dev,test}.{<lang>,en,gold})."""
    from xstilts.data.build import build_demo_local

    out = tmp_path_factory.mktemp("bucc2018")
    build_demo_local("bucc2018", out, scale=100)
    return out


@pytest.fixture(scope="session")
def local_dirs(ccg_dir, bucc_dir) -> dict[str, str]:
    """data.local of the paper config, pointed at the stand-ins."""
    return {"ccgbank": str(ccg_dir), "bucc2018": str(bucc_dir)}
