"""Fetch a hub encoder once into resources/models/<name>; jobs then load it offline."""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModel, AutoTokenizer

from xstilts.errors import UserError, download_error


def fetch_model(hub_id: str, out: str | Path, revision: str | None = None) -> None:
    """The model ``hub_id`` (a Hub id, or a folder holding a downloaded copy) saved to ``out``."""
    from xstilts.grid import is_model_folder

    local = is_model_folder(hub_id)
    source = str(Path(hub_id).expanduser()) if local else hub_id
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
