"""Tokenize a task's data once per (task, model); every grid cell reuses the result."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from xstilts import tasks as task_registry
from xstilts.data import sources as data_sources
from xstilts.errors import UserError

log = logging.getLogger("xstilts")


def _splits(task_name: str, language: str | None, more_languages=()) -> dict:
    task = task_registry.get(task_name)
    if language:
        return {"train": (task.language_source(language),)}
    return task.splits([*task.languages, *more_languages])


def prepare(
    task_name: str,
    model_dir: str | Path,
    data_kind: str,
    max_seq_length: int,
    out_dir: str | Path,
    language: str | None = None,
    more_languages: tuple[str, ...] | list[str] = (),
) -> dict[str, int]:
    """Write one ``datasets`` directory per split (train, validation, test.<lang>) to out_dir:
    the test splits of the task's ``languages`` and of the ``more_languages`` the grid
    evaluates; with ``language``, only ``train``: the task's training data in that language
    (its ``language_sources``: a machine-translated copy, or masked-LM text)."""
    import datasets
    from transformers import AutoTokenizer

    task = task_registry.get(task_name)
    check_length(model_dir, task_name, max_seq_length)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    out_dir = Path(out_dir)
    sizes: dict[str, int] = {}
    for split, srcs in _splits(task_name, language, more_languages).items():
        parts = []
        for src in srcs:
            ds = data_sources.load(src.path(data_kind), src)
            if src.exclude_ids:  # e.g. SQuAD dev without XQuAD's questions (tasks/qa.py)
                ds = _without_ids(ds, src.exclude_ids, data_kind, src)
            parts.append(task.featurize(ds, src, tokenizer, max_seq_length))
        feats = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
        feats.save_to_disk(str(out_dir / split))
        sizes[split] = len(feats)
        log.info(
            "%s %s: %d features from %s",
            task_name,
            split,
            len(feats),
            ", ".join(s.key for s in srcs),
        )
    (out_dir / "sizes.json").write_text(json.dumps(sizes, indent=1, sort_keys=True) + "\n")
    return sizes


def prepare_job(cell: dict, inputs: dict, outputs: dict) -> dict[str, int]:
    """Rules prepare and prepare_language: ``prepare`` of the cell's task (``task``,
    ``max_seq_length``, ``data``, and ``language`` or ``more_languages`` where it has them)
    with the model ``inputs["model"]``, into ``outputs["features"]``."""
    return prepare(
        cell["task"],
        inputs["model"],
        cell["data"],
        cell["max_seq_length"],
        outputs["features"],
        language=cell.get("language"),
        more_languages=cell.get("more_languages", ()),
    )


def _without_ids(ds, exclude: tuple, data_kind: str, src):
    """``ds`` (the rows of ``src``) less the rows whose "id" is an id of the sources
    ``exclude``; none left stops with the file to rebuild."""
    drop = {i for x in exclude for i in data_sources.load(x.path(data_kind), x)["id"]}
    kept = ds.filter(lambda i: i not in drop, input_columns="id")
    if len(kept) == 0:
        raise UserError(
            f"{src.path(data_kind)} has no row left once the ids of "
            f"{', '.join(x.key for x in exclude)} are left out; delete it and run the workflow "
            "again, which fetches or builds it anew"
        )
    return kept


def max_tokens(max_position_embeddings: int) -> int:
    """The longest input an XLM-R-architecture model takes: its positions less the two that
    RoBERTa's position ids skip (padding_idx + 1 is the first)."""
    return max_position_embeddings - 2


def check_length(model_dir: str | Path, task_name: str, max_seq_length: int) -> None:
    """Stop with the config key to lower when inputs of ``max_seq_length`` tokens would not fit
    the model's positions (a Hub model's limit is known once it is fetched)."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    positions = config.get("max_position_embeddings")
    if positions and max_seq_length > max_tokens(positions):
        raise UserError(
            f"max_seq_length {max_seq_length} of {task_name} does not fit the model in "
            f"{model_dir}, whose {positions} positions hold {max_tokens(positions)} tokens; lower "
            f"{task_name}'s max_seq_length in the config (under intermediate, targets or "
            "retrieval) to at most that"
        )


def source_paths(
    task_name: str, data_kind: str, language: str | None = None, more_languages=()
) -> list[str]:
    """Every parquet file the task reads (the prepare rule's inputs), or with ``language`` its
    training data in that language (prepare_language's)."""
    splits = _splits(task_name, language, more_languages)
    srcs = [s for sources in splits.values() for s in sources]
    srcs += [x for s in srcs for x in s.exclude_ids]  # the files whose ids a source drops
    return sorted({str(s.path(data_kind)) for s in srcs})
