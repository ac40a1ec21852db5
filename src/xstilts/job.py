"""What every workflow script does around its real work: logging, threads, offline mode, and
user errors reported as one sentence (bugs keep their traceback in the log)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable


def run(snakemake, main: Callable, offline: bool = True) -> None:
    if offline:  # read at import time by transformers/datasets: set before importing them
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    log_path = snakemake.log[0]
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "urllib3", "filelock", "fsspec"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.stderr = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    import torch

    torch.set_num_threads(max(1, int(snakemake.threads)))
    from xstilts.errors import UserError

    try:
        main(snakemake)
    except UserError as err:
        logging.getLogger("xstilts").error("%s", err)
        print(f"xstilts: {err} (log: {log_path})", file=sys.__stderr__)
        sys.exit(1)
    except Exception:
        logging.getLogger("xstilts").exception("job failed")
        raise
