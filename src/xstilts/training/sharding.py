"""Sharded training across the GPUs of one job: torch FSDP (``fully_shard``), launched with
torchrun, one process per GPU.

An encoder too large to train on one GPU (XLM-R XL, 3.5B parameters: its weights, gradients and
AdamW moments alone take 56 GB in fp32) is trained with every parameter, gradient and optimizer
state split across the job's GPUs: each transformer layer is its own FSDP unit, gathered for
its forward and backward pass only, and the rest of the model (embeddings, heads) is the root
unit. The GPU count is the job's ``gpu`` resource (the profile's ``set-resources``): a training
job asked for more than one GPU starts ``torchrun --standalone --nproc_per_node <gpu>`` with
``python -m xstilts.training.launch <arguments.json>``, and the training loop does the rest:
every process draws the same batch plan and trains on its share of each batch, and a
checkpoint or the saved model is the full (unsharded) state gathered on the first process.
Without CUDA the processes use the gloo backend on the CPU (the tests run it that way).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.distributed as dist

log = logging.getLogger("xstilts")


def world() -> tuple[int, int]:
    """(rank, number of processes): (0, 1) outside a sharded run."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gpu_memory_gib(device: torch.device) -> float | None:
    """The memory of the GPU ``device`` in GiB; None on a CPU."""
    if device.type != "cuda":
        return None
    return torch.cuda.get_device_properties(device).total_memory / 2**30


def share(rows: list[int]) -> list[int]:
    """This process's rows of a batch: every ``world``-th from its rank on (a batch with fewer
    rows than processes, the end of an epoch, lends a process one row twice)."""
    rank, size = world()
    if size == 1:
        return rows
    return rows[rank::size] or [rows[rank % len(rows)]]


def init_from_env() -> None:
    """Join the process group torchrun describes in the environment (one process per GPU:
    NCCL with CUDA, gloo on the CPU)."""
    if dist.is_initialized() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def shard(model: torch.nn.Module) -> None:
    """FSDP2 in place: each transformer layer of the encoder is a unit, the rest the root."""
    from torch.distributed.fsdp import fully_shard

    for layer in model.encoder.encoder.layer:
        fully_shard(layer)
    fully_shard(model)


def _options():
    from torch.distributed.checkpoint.state_dict import StateDictOptions

    return StateDictOptions(full_state_dict=True, cpu_offload=True)


def full_state(model: torch.nn.Module, optimizer=None) -> tuple[dict, dict | None]:
    """The unsharded model (and optimizer) state on the CPU; every process must call it."""
    from torch.distributed.checkpoint.state_dict import (
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    state = get_model_state_dict(model, options=_options())
    if optimizer is None:
        return state, None
    return state, get_optimizer_state_dict(model, optimizer, options=_options())


def load_full_state(model: torch.nn.Module, optimizer, model_state: dict, optim_state: dict):
    """Load an unsharded state (from ``full_state``) into the sharded model and optimizer."""
    from torch.distributed.checkpoint.state_dict import (
        set_model_state_dict,
        set_optimizer_state_dict,
    )

    set_model_state_dict(model, model_state, options=_options())
    set_optimizer_state_dict(model, optimizer, optim_state, options=_options())


def load_model_state(model: torch.nn.Module, model_state: dict) -> None:
    """Load an unsharded model state (from ``full_state``) into the sharded model."""
    from torch.distributed.checkpoint.state_dict import set_model_state_dict

    set_model_state_dict(model, model_state, options=_options())


def any_rank(flag: bool) -> bool:
    """True on every process when it is true on any (a signal, a checkpoint falling due)."""
    if world()[1] == 1:
        return flag
    value = torch.tensor([int(flag)])
    if dist.get_backend() == "nccl":
        value = value.cuda()
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def gather(obj) -> list:
    """Every process's ``obj``, in rank order, on every process."""
    out: list = [None] * world()[1]
    dist.all_gather_object(out, obj)
    return out


def launch(gpus: int, arguments: dict, path: str | Path) -> None:
    """Run ``train_in_stages(**arguments)`` in ``gpus`` processes under torchrun (the
    arguments go through the JSON file ``path``: ``to_json``, read back by ``from_json``); a
    UserError when a process fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(arguments), indent=1, default=str) + "\n")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={gpus}",
        "-m",
        "xstilts.training.launch",
        str(path),
    ]
    log.info("sharded training on %d GPUs: %s", gpus, " ".join(command))
    for handler in logging.getLogger().handlers:
        handler.flush()
    # the processes write to this job's stderr (its log, in a workflow job)
    try:
        out = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a stand-in without a file (pytest's capture)
        out = None
    done = subprocess.run(command, stdout=out, stderr=out)
    if done.returncode != 0:
        from xstilts.errors import UserError

        raise UserError(
            f"the {gpus} sharded training processes failed (exit code {done.returncode}); "
            "their messages are in this job's log"
        )


def to_json(arguments: dict) -> dict:
    """``train_in_stages``' arguments as JSON values: the settings as their params, the
    machine's options as a dict."""
    import dataclasses

    out = dict(arguments)
    out["settings"] = arguments["settings"].params()
    if arguments.get("machine") is not None:
        out["machine"] = dataclasses.asdict(arguments["machine"])
    if arguments.get("curve") is not None:
        out["curve"] = arguments["curve"].params()
    return out


def from_json(values: dict) -> dict:
    """``to_json``'s inverse: the arguments one process of the job trains with."""
    from xstilts.settings import Curve, Machine, Training

    out = dict(values)
    out["settings"] = Training.from_params(values["settings"])
    if values.get("machine") is not None:
        out["machine"] = Machine(**values["machine"])
    out["curve"] = Curve.from_params(values.get("curve"))
    return out
