"""Checkpoints for resume: a run's identity (a checkpoint resumes only the same run), the
atomic write, and the signals (SIGTERM, SIGUSR1) after which a run checkpoints and exits."""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path

import torch


def fingerprint(
    encoder_dir: str | Path,
    features: dict,
    settings: dict,
    seed: int,
    train_split: str = "train",
    heads_from: str | Path | None = None,
    curve: dict | None = None,
) -> str:
    """What makes a run the same run: its settings, data and encoder weights (a retrained
    intermediate encoder keeps its path, so its files' identity counts too)."""
    weights = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in Path(encoder_dir).glob("*.safetensors")
    )
    identity = [str(encoder_dir), weights, {n: str(p) for n, p in features.items()}, settings]
    identity.append(seed)
    if train_split != "train" or heads_from is not None:  # (the default keeps old fingerprints)
        identity += [train_split, str(heads_from)]
    if curve:  # the points logged so far belong to this curve (no curve: identity as before)
        identity.append(curve)
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class StopSignals:
    """Note SIGTERM / SIGUSR1 (what SLURM sends before preemption or a time limit, the latter
    when asked with ``--signal=USR1@<seconds>``); the loop checkpoints and exits at the next
    step boundary, so the job's rerun resumes there."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self):
        self.received: int | None = None
        self._previous: dict = {}

    def __enter__(self):
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._note)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _note(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def save_checkpoint(path: Path, state: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / "checkpoint.pt.tmp"
    torch.save(state, tmp)
    tmp.replace(path / "checkpoint.pt")  # atomic: a job killed mid-write keeps the old one
