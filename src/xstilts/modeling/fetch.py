"""Fetch a hub encoder once into resources/models/<name>; jobs then load it offline.

What a fetch got is recorded in the model folder (``MANIFEST``): the Hub commit, and every file
saved with its SHA-256, so a result says which weights it came from.
"""

from __future__ import annotations

import json
from pathlib import Path

from transformers import AutoModel, AutoTokenizer

from xstilts.errors import UserError, download_error

MANIFEST = "xstilts-manifest.json"

# The commit each Hub model of the shipped configs is read at (models.<name>.revision in the
# config overrides it). A model without a commit SHA that a public reference gives says why.
MODEL_PINS: dict[str, dict] = {
    # "remove ipynb ckpt", 2022-03-04, the newest commit whose full id a public page gives:
    # https://huggingface.co/FacebookAI/xlm-roberta-large/commits/6193590440e1d5c577e934e5635bcf9cfa8faac4
    # (its history: the 2019 weights, tokenizer.json of 2020-10-12, the model card, flax weights)
    "FacebookAI/xlm-roberta-large": {"revision": "6193590440e1d5c577e934e5635bcf9cfa8faac4"},
    # "Migrate model card from transformers-repo", 2020-12-11:
    # https://huggingface.co/FacebookAI/xlm-roberta-base/commits/d9d8a8ea5eb94b1c6654ae9249df7793cd2933d3
    "FacebookAI/xlm-roberta-base": {"revision": "d9d8a8ea5eb94b1c6654ae9249df7793cd2933d3"},
}


def model_revision(hub_id: str, revision: str | None = None) -> str | None:
    """The revision a fetch of ``hub_id`` reads: the config's, else the table's pin."""
    return revision or MODEL_PINS.get(hub_id, {}).get("revision")


def fetch_model(hub_id: str, out: str | Path, revision: str | None = None) -> None:
    """The model ``hub_id`` (a Hub id, or a folder holding a downloaded copy) saved to ``out``."""
    from xstilts.grid import is_model_folder

    local = is_model_folder(hub_id)
    source = str(Path(hub_id).expanduser()) if local else hub_id
    revision = None if local else model_revision(hub_id, revision)
    try:  # OSError: transformers' "couldn't connect", offline mode, an unknown repository
        tokenizer = AutoTokenizer.from_pretrained(source, revision=revision, local_files_only=local)
        model = AutoModel.from_pretrained(
            source, revision=revision, add_pooling_layer=False, local_files_only=local
        )
    except OSError as err:
        if local:
            raise UserError(
                f"the model folder {hub_id} could not be read ({str(err).splitlines()[0]}); give "
                "a folder that save_pretrained wrote, tokenizer included"
            ) from err
        raise download_error(f"the model {hub_id}", err) from err
    Path(out).mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out)
    model.save_pretrained(out)
    commit = getattr(model.config, "_commit_hash", None)
    if not local and commit is None:  # not in the config: ask the Hub
        from huggingface_hub import HfApi
        from huggingface_hub.utils import httpx  # the client the Hub library downloads with

        try:
            commit = HfApi().model_info(hub_id, revision=revision).sha
        except (OSError, httpx.HTTPError) as err:  # the Hub's HTTP errors are OSErrors too
            raise download_error(f"the model {hub_id}", err) from err
    manifest = write_model_manifest(
        out, {"hub_id": hub_id, "revision": revision or "main", "commit": None if local else commit}
    )
    print(f"{hub_id}: commit {manifest['commit']}, {len(manifest['files'])} files")


def fetch_model_job(cell: dict, inputs: dict, outputs: dict) -> None:
    """Rule fetch_model: the model of the config's ``models.<name>`` entry (``cell``: its
    ``hub_id`` and, when set, its ``revision``) into ``outputs["model"]``."""
    fetch_model(cell["hub_id"], outputs["model"], revision=cell.get("revision"))


def write_model_manifest(folder: str | Path, origin: dict) -> dict:
    """Record in the model ``folder`` where it came from (``origin``) and each of its files with
    its SHA-256 (the manifest itself left out); returns the manifest."""
    import xstilts
    from xstilts.data.sources import file_sha256

    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {
        **origin,
        "files": [{"path": str(p.relative_to(folder)), "sha256": file_sha256(p)} for p in files],
        "xstilts": xstilts.__version__,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def read_model_manifest(folder: str | Path) -> dict | None:
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None
