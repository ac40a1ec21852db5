"""A finished run survives until Snakemake has accepted its outputs.

Snakemake deletes a job's declared outputs before it starts, and marks a job incomplete when
it never saw the job end (the Snakemake process was killed while the job ran on: the job
finishes, orphaned, and the next run deletes its model and trains it again). So a run's final
state lives first in its checkpoint folder, outside the declared outputs:
``<checkpoint_dir>/finished/`` holds the saved model, its ``train_summary.json`` (with the
run's fingerprint: settings, seed, data and encoder) and ``finished.json`` (the output folder it
was linked to). The output folder's files are hard links to it (no space is used twice). A job
that starts and finds a finished state of the same fingerprint links it back and returns at
once, instead of training again.

The finished state is removed (``sweep``) once Snakemake has accepted the output: the output
holds the same run, Snakemake's metadata record for it exists and its incomplete marker does
not (the file persistence backend's ``.snakemake/metadata`` and ``.snakemake/incomplete``,
keyed by the output path in urlsafe base64). The workflow sweeps at its end (``onsuccess`` and
``onerror`` in workflow/rules/train.smk), so nothing stays past the first run that ends
normally after the job. docs/outputs.md describes it for users.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger("xstilts")

FINISHED = "finished"
RECORD = "finished.json"  # in the finished folder, not linked into the output


def _link_tree(source: Path, target: Path) -> None:
    """``target`` as a copy of ``source`` made of hard links (copies, with their times, where
    the two are on different file systems)."""
    for path in sorted(source.rglob("*")):
        if path.name == RECORD and path.parent == source:
            continue
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)


def keep(staging: Path, checkpoint_dir: Path, out_dir: Path) -> None:
    """``staging`` (the saved model and its summary) becomes the run's finished state, its
    files are linked into ``out_dir``, and the rest of ``checkpoint_dir`` goes (a staged run's
    earlier stages, ``stage.*``, stay with the finished state: a restarted job finds them)."""
    checkpoint_dir, out_dir = Path(checkpoint_dir), Path(out_dir)
    (staging / RECORD).write_text(json.dumps({"output": str(out_dir)}) + "\n")
    final = checkpoint_dir / FINISHED
    shutil.rmtree(final, ignore_errors=True)
    os.replace(staging, final)
    _link_tree(final, out_dir)
    for child in checkpoint_dir.iterdir():
        if child.name == FINISHED or child.name.startswith("stage."):
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def same_run(checkpoint_dir: Path, run_id: str) -> dict | None:
    """The summary of the finished state in ``checkpoint_dir`` when it is this run's."""
    summary = Path(checkpoint_dir) / FINISHED / "train_summary.json"
    try:
        kept = json.loads(summary.read_text())
    except (OSError, ValueError):
        return None
    if kept.get("fingerprint") != run_id:
        log.info("ignoring the finished model in %s: it belongs to other settings", summary.parent)
        return None
    return kept


def restore(checkpoint_dir: Path, out_dir: Path) -> None:
    """Link the finished state back into ``out_dir`` (after ``same_run`` said it is this run)."""
    out_dir = Path(out_dir)
    shutil.rmtree(out_dir, ignore_errors=True)
    _link_tree(Path(checkpoint_dir) / FINISHED, out_dir)
    log.info(
        "this run finished before in %s (Snakemake had not recorded it): its model is linked "
        "into %s, not trained again",
        Path(checkpoint_dir) / FINISHED,
        out_dir,
    )


def _persistence_path(folder: Path, key: str) -> Path:
    """Where Snakemake's file persistence keeps ``key``'s record under ``folder`` (its
    persistence/file.py: urlsafe base64 of the key, split into name-length parts)."""
    max_len = os.pathconf(folder, "PC_NAME_MAX") if folder.exists() else 255
    b64 = base64.urlsafe_b64encode(key.encode()).decode()
    parts = [b64[i : i + max_len - 1] for i in range(0, len(b64), max_len - 1)]
    parts = ["@" + s for s in parts[:-1]] + [parts[-1]]
    return folder.joinpath(*parts)


def accepted(output: str, snakemake_dir: Path = Path(".snakemake")) -> bool:
    """Whether Snakemake recorded the job of ``output`` as finished: a metadata record and no
    incomplete marker (False without Snakemake's file persistence: then the state stays)."""
    metadata, incomplete = snakemake_dir / "metadata", snakemake_dir / "incomplete"
    if not metadata.is_dir() or not incomplete.is_dir():
        return False
    return (
        _persistence_path(metadata, output).exists()
        and not _persistence_path(incomplete, output).exists()
    )


def sweep(root: str | Path = "results/checkpoints", snakemake_dir=Path(".snakemake")) -> list:
    """Remove the finished states under ``root`` whose output Snakemake has accepted and still
    holds the same run (an earlier stage's state inside a job's folder goes with the job's).
    Returns the checkpoint folders removed."""
    root, removed = Path(root), []
    if not root.is_dir():
        return removed
    for record in sorted(root.glob(f"**/{FINISHED}/{RECORD}")):
        try:
            output = json.loads(record.read_text())["output"]
            kept = json.loads((record.parent / "train_summary.json").read_text())
            held = json.loads((Path(output) / "train_summary.json").read_text())
        except (OSError, ValueError, KeyError):
            continue
        if Path(output).resolve().is_relative_to(root.resolve()):
            continue  # an earlier stage's model: not a Snakemake output
        if held.get("fingerprint") != kept.get("fingerprint") or not accepted(
            output, Path(snakemake_dir)
        ):
            continue
        folder = record.parent.parent
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
        for parent in folder.parents:  # the cell's folders, emptied: up to root, not above
            if parent == root or not parent.is_relative_to(root):
                break
            try:
                parent.rmdir()
            except OSError:
                break
    return removed
