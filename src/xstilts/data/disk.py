"""Reading a split saved with datasets' ``save_to_disk`` (prepared features, raw data)."""

from __future__ import annotations

from pathlib import Path

from xstilts.errors import UserError


def load_split(path: str | Path):
    """A prepared split (``results/features/<model>/<task>/<split>``); one that is damaged (a
    truncated or corrupt file) stops with the folder to delete."""
    import datasets

    path = Path(path)
    try:
        return datasets.load_from_disk(str(path))
    except Exception as err:  # datasets and pyarrow raise several types for a damaged file
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(
            f"the prepared features in {path} cannot be read ({reason}); delete the folder "
            f"{path.parent} and run the workflow again, which prepares it anew (the jobs that "
            "read it then run again)"
        ) from None
