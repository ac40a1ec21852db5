"""Fetch a hub encoder once into resources/models/<name>; jobs then load it offline."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModel, AutoTokenizer


def fetch_model(hub_id: str, out: str | Path, revision: str | None = None) -> None:
    tokenizer = AutoTokenizer.from_pretrained(hub_id, revision=revision)
    model = AutoModel.from_pretrained(hub_id, revision=revision, add_pooling_layer=False)
    Path(out).mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
