"""What every workflow script does around its real work: logging, threads, offline mode, and
user errors reported as one sentence (bugs keep their traceback in the log)."""

from __future__ import annotations

import fcntl
import glob
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

_held_gpu_locks: list = []  # the open lock files of this process's GPUs: released when it exits


def local_gpus() -> int:
    """GPUs of this machine, counted from their device files (importing torch to ask would
    initialise CUDA before CUDA_VISIBLE_DEVICES is set)."""
    return len(glob.glob("/dev/nvidia[0-9]*"))


def claim_gpus(count: int, lock_dir: str | Path, wanted: int, wait_seconds: float = 5.0) -> list:
    """``wanted`` GPUs of its own for a local job (all at once: a sharded job needs several):
    the first of ``count`` devices whose lock file no other process holds (an exclusive flock,
    released by the kernel when the process ends, so a killed job frees its GPUs). Snakemake
    limits concurrent GPU jobs (``--resources gpu=N``) but assigns no device; with more GPU jobs
    than devices, a job waits for enough to free up."""
    if count <= 0 or wanted <= 0:
        return []
    if wanted > count:
        from xstilts.errors import UserError

        raise UserError(
            f"the job asks for {wanted} GPUs (its gpu resource) and this machine has {count}: "
            "lower the gpu resource in the profile's set-resources"
        )
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    warned = False
    while True:
        held = []
        for index in range(count):
            handle = open(lock_dir / f"gpu{index}.lock", "w")  # noqa: SIM115 (held until exit)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            held.append((index, handle))
            if len(held) == wanted:
                _held_gpu_locks.extend(h for _, h in held)
                return [i for i, _ in held]
        for _, handle in held:  # not enough free: hold none while waiting
            handle.close()
        if not warned:
            logging.getLogger("xstilts").warning(
                "fewer than %d of the %d GPUs are free; waiting (run snakemake with "
                "--resources gpu=%d to queue GPU jobs in Snakemake instead)",
                wanted,
                count,
                count,
            )
            warned = True
        time.sleep(wait_seconds)


def run(snakemake, main: Callable, offline: bool = True) -> None:
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

    try:
        _claim_devices(snakemake, log)
        # the job's threads, read by torch (and numpy's BLAS) when the job first imports them:
        # a job imports only what it uses (the data builders and summaries never load torch)
        threads = str(max(1, int(snakemake.threads)))
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[name] = threads
        main(snakemake)
    except UserError as err:
        log.error("%s", err)
        print(f"xstilts: {err} (log: {log_path})", file=sys.__stderr__)
        sys.exit(1)
    except Exception:
        log.exception("job failed")
        raise


def _claim_devices(snakemake, log) -> None:
    """A local GPU job (profiles/default gives GPU rules the resource gpu=1) gets devices of
    its own, as many as its gpu resource; SLURM sets CUDA_VISIBLE_DEVICES itself for jobs that
    ask for --gpus. Before torch is imported, which reads CUDA_VISIBLE_DEVICES once."""
    wanted = int(getattr(snakemake.resources, "gpu", 0) or 0)
    if wanted and "CUDA_VISIBLE_DEVICES" not in os.environ and "SLURM_JOB_ID" not in os.environ:
        claimed = claim_gpus(local_gpus(), Path(".snakemake/xstilts-gpu-locks"), wanted)
        if claimed:
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, claimed))
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        log.info("CUDA_VISIBLE_DEVICES=%s", os.environ["CUDA_VISIBLE_DEVICES"])
