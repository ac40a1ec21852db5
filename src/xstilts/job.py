"""What every workflow script does around its real work: logging, threads, devices (``gpus``),
offline mode, and user errors reported as one sentence (bugs keep their traceback in the log)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path


def cell_io(snakemake) -> tuple[dict | None, dict, dict]:
    """A job's cell (its ``params.cell``, parsed; None for a rule without one) and its named
    inputs and outputs (name → path, or list of paths)."""
    import json

    def named(files) -> dict:
        return {
            name: [str(f) for f in value] if isinstance(value, list) else str(value)
            for name, value in files.items()
        }

    cell = getattr(snakemake.params, "cell", None)
    return (
        (json.loads(cell) if cell is not None else None),
        named(snakemake.input),
        named(snakemake.output),
    )


def _entry(reference: str) -> Callable:
    """``"package.module:function"`` → the function, imported after the job's environment is
    set (threads, devices, offline mode), which torch and the Hub libraries read once."""
    from importlib import import_module

    module, _, name = reference.partition(":")
    return getattr(import_module(module), name)


def run(snakemake, main: str, offline: bool = True, **extra) -> None:
    """Run a workflow script's work: ``main`` is ``"module:function"``, called as
    ``function(cell, inputs, outputs, **extra)`` (``cell_io``); ``extra`` holds what a job
    reads beyond its cell, e.g. machine settings that are no part of its params."""
    if offline:  # read at import time by transformers/datasets: set before importing them
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    log_path = snakemake.log[0]
    # one fresh file that the log records and stderr (warnings, progress bars) both append to:
    # a handler opened with "w" writes at its own offset and overwrote what stderr had added,
    # leaving cut multi-byte characters in the log
    Path(log_path).write_text("", encoding="utf-8")
    handler = logging.FileHandler(log_path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "urllib3", "filelock", "fsspec"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.stderr = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    log = logging.getLogger("xstilts")
    from xstilts.errors import UserError
    from xstilts.gpus import claim_devices

    try:
        claim_devices(snakemake.resources, log)
        # the job's threads, read by torch (and numpy's BLAS) when the job first imports them:
        # a job imports only what it uses (the data builders and summaries never load torch)
        threads = str(max(1, int(snakemake.threads)))
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[name] = threads
        if int(threads) > 1:  # the fast tokenizer encodes a batch on that many threads
            os.environ["TOKENIZERS_PARALLELISM"] = "true"
            os.environ["RAYON_NUM_THREADS"] = threads
        _entry(main)(*cell_io(snakemake), **extra)
    except UserError as err:
        log.error("%s", err)
        print(f"xstilts: {err} (log: {log_path})", file=sys.__stderr__)
        sys.exit(1)
    except SystemExit as stop:  # a run that checkpointed on a signal says so in one line
        message = getattr(stop, "message", None)
        if message:
            print(f"xstilts: {message} (log: {log_path})", file=sys.__stderr__)
        raise
    except KeyboardInterrupt:  # Ctrl-C outside the training steps (or twice): no traceback
        log.warning("interrupted (Ctrl-C)")
        print(
            f"xstilts: interrupted (Ctrl-C); run the workflow again to go on (log: {log_path})",
            file=sys.__stderr__,
        )
        sys.exit(128 + 2)
    except Exception:
        log.exception("job failed")
        raise
