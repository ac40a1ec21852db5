"""Fetch a hub encoder once into resources/models/<name>; jobs then load it offline."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModel, AutoTokenizer

from xstilts.errors import unreachable


def fetch_model(hub_id: str, out: str | Path, revision: str | None = None) -> None:
    try:  # OSError: transformers' "couldn't connect", offline mode, an unknown repository
        tokenizer = AutoTokenizer.from_pretrained(hub_id, revision=revision)
        model = AutoModel.from_pretrained(hub_id, revision=revision, add_pooling_layer=False)
    except OSError as err:
        raise unreachable(f"the model {hub_id}", err) from err
    Path(out).mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
