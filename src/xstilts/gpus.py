"""The local GPU scheduler: a local GPU job gets devices of its own (one slot of each, held by
an exclusive flock until the process ends), chosen before torch reads CUDA_VISIBLE_DEVICES."""

from __future__ import annotations

import fcntl
import glob
import logging
import os
import time
from pathlib import Path

LOCK_DIR = Path(".snakemake/xstilts-gpu-locks")  # beside Snakemake's own state, per working dir

_held_gpu_locks: list = []  # the open lock files of this process's GPUs: released when it exits


def local_gpus() -> int:
    """GPUs of this machine, counted from their device files (importing torch to ask would
    initialise CUDA before CUDA_VISIBLE_DEVICES is set)."""
    return len(glob.glob("/dev/nvidia[0-9]*"))


def free_gpu_memory_mb(index: int) -> int | None:
    """Free memory of local GPU ``index`` in MB, from nvidia-smi (None when it cannot say)."""
    import subprocess

    try:
        out = subprocess.run(
            [
                "nvidia-smi",
                f"--id={index}",
                "--query-gpu=memory.free",
                "--format=csv,noheader,nounits",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
        return int(out.strip().splitlines()[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def claim_gpus(
    count: int,
    lock_dir: str | Path,
    wanted: int,
    wait_seconds: float = 5.0,
    per_gpu: int = 1,
    memory_mb: int = 0,
    free_memory=free_gpu_memory_mb,
) -> list:
    """``wanted`` GPUs for a local job (all at once: a sharded job needs several), each one of
    the ``per_gpu`` slots of one of ``count`` devices whose lock file no other process holds (an
    exclusive flock, released by the kernel when the process ends, so a killed job frees its
    slot). With ``per_gpu`` > 1, up to that many jobs share a device (launch-bound jobs leave most
    of a GPU idle); a device already in use is taken only when it has ``memory_mb`` free. The
    emptiest devices are tried first. Snakemake limits concurrent GPU jobs (``--resources
    gpu_slots=N``) but assigns no device; with more GPU jobs than slots, a job waits."""
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
    per_gpu = max(1, per_gpu)
    warned = False
    while True:
        held = _try_claim(count, lock_dir, wanted, per_gpu, memory_mb, free_memory)
        if held is not None:
            return held
        if not warned:
            logging.getLogger("xstilts").warning(
                "fewer than %d of the %d GPUs have a free slot (%d per GPU); waiting (run "
                "snakemake with --resources gpu_slots=%d to queue GPU jobs in Snakemake instead)",
                wanted,
                count,
                per_gpu,
                count * per_gpu,
            )
            warned = True
        time.sleep(wait_seconds)


def _lock(path: Path):
    """An exclusive flock on ``path``, or None when another process holds it."""
    handle = open(path, "w")  # noqa: SIM115 (held until the process exits)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _try_claim(count, lock_dir, wanted, per_gpu, memory_mb, free_memory) -> list | None:
    def name(index: int, slot: int) -> Path:  # slot 0 keeps the unshared lock's name
        return lock_dir / (f"gpu{index}.lock" if slot == 0 else f"gpu{index}.slot{slot}.lock")

    def users(index: int) -> int:
        busy = 0
        for slot in range(per_gpu):
            handle = _lock(name(index, slot))
            if handle is None:
                busy += 1
            else:
                handle.close()
        return busy

    held = []
    load = {index: users(index) for index in range(count)}
    for index in sorted(range(count), key=lambda i: (load[i], i)):
        if load[index] >= per_gpu:
            continue
        if load[index] and memory_mb:
            free = free_memory(index)
            if free is not None and free < memory_mb:
                continue  # sharing would oversubscribe its memory
        for slot in range(per_gpu):
            handle = _lock(name(index, slot))
            if handle is not None:
                held.append((index, handle))
                break
        if len(held) == wanted:
            _held_gpu_locks.extend(h for _, h in held)
            return [i for i, _ in held]
    for _, handle in held:  # not enough free: hold none while waiting
        handle.close()
    return None


def claim_devices(resources, log: logging.Logger) -> None:
    """A local GPU job (profiles/default gives GPU rules the resource gpu=1) gets devices of
    its own, as many as its gpu resource; SLURM sets CUDA_VISIBLE_DEVICES itself for jobs that
    ask for --gpus. Before torch is imported, which reads CUDA_VISIBLE_DEVICES once.
    ``resources``: the job's (``snakemake.resources``)."""
    wanted = int(getattr(resources, "gpu", 0) or 0)
    if wanted and "CUDA_VISIBLE_DEVICES" not in os.environ and "SLURM_JOB_ID" not in os.environ:
        claimed = claim_gpus(
            local_gpus(),
            LOCK_DIR,
            wanted,
            per_gpu=int(getattr(resources, "jobs_per_gpu", 1) or 1),
            memory_mb=int(getattr(resources, "gpu_mem_mb", 0) or 0),
        )
        if claimed:
            # the indices are the device files' and nvidia-smi's (PCI bus order); CUDA's own
            # default order puts the fastest device first on a machine of mixed GPUs
            os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, claimed))
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        log.info("CUDA_VISIBLE_DEVICES=%s", os.environ["CUDA_VISIBLE_DEVICES"])
