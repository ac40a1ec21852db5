"""Staged fine-tuning: a task trained through several feature splits in order, each stage from
the encoder and heads the one before left (XTREME-R's XCOPA: Social IQa, then COPA)."""

from __future__ import annotations

import json
from pathlib import Path

from xstilts.training import sharding
from xstilts.training.loop import train


def train_in_stages(
    *,
    splits: tuple[str, ...] | list[str],
    encoder_dir: str | Path,
    out_dir: str | Path,
    checkpoint_dir: str | Path,
    curve: dict | None = None,
    **kwargs,
) -> dict | None:
    """``train`` through the feature ``splits`` in order (a task's ``train_splits``: XCOPA trains
    on Social IQa's "first_stage", then on COPA's "train"), each stage starting from the encoder
    and heads the one before left. An earlier stage's model stays in ``checkpoint_dir`` until
    the last stage finishes (which removes that directory), so a restarted job skips finished
    stages. A learning curve follows the last stage. Returns the last stage's summary with the
    earlier ones under "stages", or None when ``stop_at_step`` interrupted a stage."""
    heads_from, earlier = None, []
    for split in splits[:-1]:
        stage = Path(checkpoint_dir) / f"stage.{split}"
        summary = train(
            encoder_dir=encoder_dir,
            out_dir=stage / "model",
            checkpoint_dir=stage / "checkpoint",
            train_split=split,
            heads_from=heads_from,
            **kwargs,
        )
        if summary is None:
            return None
        earlier.append(summary)
        encoder_dir = heads_from = stage / "model"
    summary = train(
        encoder_dir=encoder_dir,
        out_dir=out_dir,
        checkpoint_dir=checkpoint_dir,
        curve=curve,
        train_split=splits[-1],
        heads_from=heads_from,
        **kwargs,
    )
    if summary is not None and earlier and sharding.world()[0] == 0:
        summary["stages"] = earlier
        Path(out_dir, "train_summary.json").write_text(
            json.dumps(summary, indent=1, sort_keys=True) + "\n"
        )
    return summary
