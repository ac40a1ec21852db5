"""One shared encoder plus one head per task; saving and loading in the Hugging Face layout.

A saved model directory holds the encoder (``save_pretrained``), its tokenizer, and, when heads
were trained, ``heads.pt`` plus ``heads.json`` (task name → head). The target phase loads only
the encoder and starts a fresh head, as jiant's ``partial`` load did for the paper.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer

from xstilts import tasks as task_registry
from xstilts.errors import FETCH_COMMAND, UserError

HEAD_DROPOUT = 0.1


class MultiTaskModel(nn.Module):
    def __init__(self, encoder: nn.Module, task_names: list[str]):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.heads = nn.ModuleDict(
            {n: task_registry.get(n).build_head(hidden, HEAD_DROPOUT) for n in task_names}
        )

    def forward(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.heads[task](self.encoder, batch)


def load_encoder(path: str | Path, device: torch.device | str = "cpu"):
    """Encoder and tokenizer from a local directory (a fetched hub model, the demo model, or an
    intermediate-phase output). Never touches the network."""
    path = Path(path)
    if not (path / "config.json").exists():
        raise UserError(
            f"model directory {path} has no config.json: run the workflow, which fetches it "
            f"(`{FETCH_COMMAND}` on a machine with internet) or builds the demo model "
            "(delete the directory first if it is a broken copy)"
        )
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    encoder = AutoModel.from_pretrained(
        path, local_files_only=True, add_pooling_layer=False, attn_implementation="sdpa"
    )
    return encoder.to(device), tokenizer


def save(model: MultiTaskModel, tokenizer, out: str | Path) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(out)
    tokenizer.save_pretrained(out)
    torch.save({k: v.state_dict() for k, v in model.heads.items()}, out / "heads.pt")
    (out / "heads.json").write_text(json.dumps(sorted(model.heads), indent=1) + "\n")


def load(
    path: str | Path, device: torch.device | str = "cpu", task: str | None = None
) -> tuple[MultiTaskModel, object]:
    """A saved model with its trained heads; with ``task``, one that predicts it: its own
    head, or the head of the task it was trained as (a training job shared by targets that
    train alike, ``tasks.head_of``)."""
    path = Path(path)
    encoder, tokenizer = load_encoder(path, device)
    names = json.loads((path / "heads.json").read_text())
    model = MultiTaskModel(encoder, names)
    load_heads(model, path, device)
    if task is not None and task not in model.heads:
        head = task_registry.head_of(task, names)
        if head is None:
            raise UserError(
                f"{path} was trained for {', '.join(names)}, not {task}: delete {path} and run "
                "again"
            )
        model.heads[task] = model.heads[head]
    return model.to(device), tokenizer


def load_heads(model: MultiTaskModel, path: str | Path, device: torch.device | str = "cpu"):
    """Load each of ``model``'s heads from the same task's head saved in ``path``."""
    state = torch.load(Path(path) / "heads.pt", map_location=device, weights_only=True)
    missing = sorted(set(model.heads) - set(state))
    if missing:
        raise UserError(
            f"{path} has no trained head for {', '.join(missing)}: delete {path} and run again"
        )
    for name, head in model.heads.items():
        head.load_state_dict(state[name])
