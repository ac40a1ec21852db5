"""Checkpoints for resume: a run's identity (a checkpoint resumes only the same run), the
atomic and durable write, the load that sets an unreadable checkpoint aside, a full disk said in
one sentence, and the signals (SIGTERM, SIGUSR1, SIGINT) after which a run checkpoints and
exits."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import signal
from pathlib import Path

import torch

from xstilts.errors import UserError
from xstilts.settings import Curve, Training

log = logging.getLogger("xstilts")


def fingerprint(
    encoder_dir: str | Path,
    features: dict,
    settings: Training,
    seed: int,
    train_split: str = "train",
    heads_from: str | Path | None = None,
    curve: Curve | None = None,
) -> str:
    """What makes a run the same run: its settings, data and encoder weights (a retrained
    intermediate encoder keeps its path, so its files' identity counts too). The settings and
    the curve count as the cell's params give them (``Training.params``): a checkpoint or a
    finished run of an older xstilts, of the same cell, is this run."""
    weights = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in Path(encoder_dir).glob("*.safetensors")
    )
    identity = [str(encoder_dir), weights, {n: str(p) for n, p in features.items()}]
    identity += [settings.params(), seed]
    if train_split != "train" or heads_from is not None:  # (the default keeps old fingerprints)
        identity += [train_split, str(heads_from)]
    if curve:  # the points logged so far belong to this curve (no curve: identity as before)
        identity.append(curve.params())
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class Stopped(SystemExit):
    """A run that checkpointed and stopped on a signal: its message is the one line a job
    prints (xstilts.job.run); the exit status is 128 + the signal's number, as a shell's."""

    def __init__(self, signum: int, message: str):
        super().__init__(128 + signum)
        self.message = message


class StopSignals:
    """Note SIGTERM / SIGUSR1 (what SLURM sends before preemption or a time limit, the latter
    when asked with ``--signal=USR1@<seconds>``) and SIGINT (Ctrl-C); the loop checkpoints and
    exits at the next step boundary, so the job's rerun resumes there. A second Ctrl-C before
    then stops at once (KeyboardInterrupt), keeping the last checkpoint written."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)

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
        if signum == signal.SIGINT and self.received == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def is_disk_full(err: BaseException, folder: Path) -> bool:
    """Whether a failed write failed for want of space: ENOSPC (or EDQUOT, a quota) from the
    OS, safetensors' "No space left on device", or torch's bare "file write failed" with no
    space left where it wrote."""
    if getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(err)
    if "No space left on device" in text or "Disk quota exceeded" in text:
        return True
    try:
        return shutil.disk_usage(folder).free < 64 * 2**20
    except OSError:
        return False


@contextlib.contextmanager
def disk_full_said(folder: Path, what: str, checkpoint_dir: Path):
    """Turn a write that failed for want of space into one sentence naming the folder and the
    fix (the job's last checkpoint is kept; the rerun resumes from it)."""
    try:
        yield
    except Exception as err:  # OSError, torch's RuntimeError, SafetensorError
        if isinstance(err, UserError) or not is_disk_full(err, Path(folder)):
            raise
        kept = Path(checkpoint_dir) / CHECKPOINT
        resume = (
            f"the checkpoint {kept} is kept and the rerun resumes from it"
            if kept.exists()
            else "the rerun starts the run again"
        )
        raise UserError(
            f"no space left on the disk holding {folder} while writing {what}: free space "
            f"there (or move results/ to a larger disk) and run the workflow again; {resume}"
        ) from None


CHECKPOINT = "checkpoint.pt"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``path/checkpoint.pt`` atomically and durably: to a temporary file, flushed to
    disk, then renamed over the old one (a job killed mid-write, or a full disk, keeps the old
    checkpoint; the temporary file of a failed write is removed, freeing its space)."""
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / (CHECKPOINT + ".tmp")
    with disk_full_said(path, f"the checkpoint {path / CHECKPOINT}", path):
        try:
            with open(tmp, "wb") as handle:  # a file object: a full disk raises ENOSPC
                torch.save(state, handle)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path / CHECKPOINT)
        _fsync_dir(path)


def load_checkpoint(path: Path, map_location) -> dict | None:
    """The checkpoint in folder ``path``, or None when there is none or it cannot be read (a
    kill or a full disk during a write that was not atomic, a damaged disk): such a file is
    set aside (renamed ``checkpoint.unreadable-<n>.pt``, named in the log) and the run starts
    from the beginning instead of failing on every rerun."""
    file = path / CHECKPOINT
    if not file.exists():
        return None
    try:
        state = torch.load(file, map_location=map_location, weights_only=False)
        if not isinstance(state, dict) or "fingerprint" not in state:
            raise ValueError("not a training checkpoint")
        return state
    except Exception as err:  # torch's zip errors, EOF, unpickling errors: all unreadable
        n = 1
        while (aside := path / f"checkpoint.unreadable-{n}.pt").exists():
            n += 1
        try:
            os.replace(file, aside)
        except FileNotFoundError:  # another process of a sharded run set it aside first
            pass
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        log.warning(
            "checkpoint %s cannot be read (%s): set aside as %s; training starts from the "
            "beginning",
            file,
            reason[:200],
            aside,
        )
        return None
