"""Projected GPU-hours of a config: tokens each job processes x the measured throughput.

Tokens per job come from the prepared features when they exist (``results/features/<model>/
<task>/``: the real token count of every split), else from the real split sizes the tasks
declare (``Source.num_rows``, the dataset cards) times an estimated number of tokens per example
for the task's family (``Task.tokens_per_example``). Training tokens = epochs x train tokens
(or max_steps x batch x tokens per example); the multitask arm trains on every task's data for
its epochs, as the engine does; evaluation tokens = every test language's tokens, and the
English validation set at the end of each training job.

Throughput (real tokens/s) is the xstilts engine's, measured by ``bench/train_throughput.py``
for XLM-R Large on one H100 (docs/performance.md); other models or devices: pass your own
numbers (``xstilts cost --train-tokens-per-s ...``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xstilts import tasks as task_registry
from xstilts.grid import MLM_TASK, Grid

# bench/train_throughput.py --shape large --device cuda on one H100 80GB HBM3, torch 2.11,
# transformers 5.17 (2026-11-23): XNLI-length pairs (batch 32, 60 timed steps) and SQuAD-style
# windows of at most 384 (batch 16, 20 timed steps); inference with batches of 64 sorted by length
H100_XLMR_LARGE = {"train": 26_800.0, "infer": 118_000.0}


@dataclass(frozen=True)
class Throughput:
    train: float = H100_XLMR_LARGE["train"]  # real tokens per second, training
    infer: float = H100_XLMR_LARGE["infer"]  # real tokens per second, inference


def _split_tokens(features_dir: Path | None, task_name: str, split: str) -> float:
    """Real tokens of one split of a task: counted in its prepared features when they exist,
    else the declared rows x the task's estimate per example."""
    task = task_registry.get(task_name)
    if features_dir is not None and (features_dir / split).exists():
        import datasets
        import pyarrow.compute as pc

        column = datasets.load_from_disk(str(features_dir / split)).data.column("input_ids")
        while pa_is_nested_list(column):  # multiple choice: one list of ids per choice
            column = pc.list_flatten(column)
        return float(pc.sum(pc.list_value_length(column)).as_py() or 0)
    return float(_examples(task_name, split) * task.tokens_per_example)


def pa_is_nested_list(column) -> bool:
    import pyarrow as pa

    value = column.type.value_type
    return pa.types.is_list(value) or pa.types.is_large_list(value)


def _examples(task_name: str, split: str = "train") -> int:
    task = task_registry.get(task_name)  # test splits of XTREME-R's added languages too
    return sum(s.num_rows for s in task.splits(task.all_languages).get(split, ()))


def _steps(settings: dict, examples) -> int:
    """Optimiser steps of a run: max_steps, or epochs over ``examples()`` examples."""
    if settings.get("max_steps"):
        return int(settings["max_steps"])
    return int(settings["epochs"] * examples() / settings["batch_size"])


def project(
    grid: Grid, throughput: Throughput = Throughput(), features_root: str | Path | None = None
) -> pd.DataFrame:
    """One row per job: rule, model, arm, seed, target, tokens, hours."""
    root = Path(features_root) if features_root is not None else None

    @functools.cache  # every arm and seed reads the same splits: count each once
    def tokens(model: str, task: str, split: str) -> float:
        fdir = root / model / task if root is not None else None
        return _split_tokens(fdir, task, split)

    @functools.cache
    def language_set(model: str, task: str, lang: str) -> tuple[float, int]:
        """A training set by language (translated, or masked-LM text): its tokens and rows,
        counted when prepared, else the declared rows x the task's estimate."""
        fdir = root / model / "by_language" / f"{task}.{lang}" if root is not None else None
        if fdir is not None and (fdir / "train").exists():
            import datasets

            rows = len(datasets.load_from_disk(str(fdir / "train")))
            return _split_tokens(fdir, task, "train"), rows
        src = task_registry.get(task).language_source(lang)
        return float(src.num_rows * task_registry.get(task).tokens_per_example), src.num_rows

    def training_tokens(
        model: str,
        names: list[str],
        settings: dict,
        languages: list[str] | None = None,
        mlm: dict | None = None,
    ) -> float:
        """Tokens a training run processes: its tasks' training sets, or with ``languages``
        (a translated arm) its one task's in those languages, English and/or translated; with
        ``mlm`` (an mlm arm's languages) the masked-LM batches, their fixed share of the steps,
        on top (train.train's step count)."""
        fixed = settings.get("fixed_probabilities") or {}
        if mlm is not None:
            share = fixed[MLM_TASK]
            text = [language_set(model, MLM_TASK, lang) for lang in mlm["languages"]]
            per_text = sum(t for t, _ in text) / max(sum(n for _, n in text), 1)
            rest = {k: v for k, v in settings.items() if k != "fixed_probabilities"}
            if rest.get("max_steps"):
                rest["max_steps"] = rest["max_steps"] * (1 - share)
                steps = settings["max_steps"]
            else:
                steps = settings["epochs"] * sum(_examples(n) for n in names) / (1 - share)
                steps /= settings["batch_size"]
            task = training_tokens(model, names, rest, languages)
            return task + steps * share * settings["batch_size"] * per_text

        def run_tokens(sets: list[tuple[float, int]]) -> float:
            per_epoch = sum(t for t, _ in sets)
            if settings.get("max_steps"):
                per_example = per_epoch / max(sum(n for _, n in sets), 1)
                return settings["max_steps"] * settings["batch_size"] * per_example
            return settings["epochs"] * per_epoch

        if languages is None:  # every stage of a staged task runs with the same settings
            return sum(
                run_tokens([(tokens(model, n, split), _examples(n, split)) for n in names])
                for split in task_registry.train_splits(names)
            )
        (task,) = names
        return run_tokens(
            [
                (tokens(model, task, "train"), _examples(task))
                if lang == "en"
                else language_set(model, task, lang)
                for lang in languages
            ]
        )

    def validation_tokens(model: str, names: list[str]) -> float:
        return sum(tokens(model, n, "validation") for n in names)

    robust = grid.config["robustness"]

    def robustness_tokens(model: str, target: str) -> float:
        """Clean + each perturbation on the first max_examples of every language, and at most
        query_budget + 1 passes (clean, then the queries) per attacked example."""
        adversarial = robust["adversarial"]
        passes = 1 + len(robust["perturbations"])
        total = 0.0
        for lang in grid.languages(target):
            split = f"test.{lang}"
            n = _examples(target, split) or 1
            per_example = tokens(model, target, split) / n
            total += per_example * min(n, robust["max_examples"]) * passes
            attacked = min(n, adversarial["max_examples"])
            total += per_example * attacked * (adversarial["query_budget"] + 1)
        return total

    def curve_tokens(model: str, target: str, cell: dict) -> float:
        """A learning curve's evaluations: at step 0, every ``every`` steps and the last."""
        curve = cell.get("curve")
        if not curve:
            return 0.0
        per_point = 0.0
        for lang in curve["languages"]:
            split = task_registry.get(target).curve_split(lang)
            n = _examples(target, split) or 1
            per_point += tokens(model, target, split) / n * min(n, curve["max_examples"])
        steps = _steps(cell["training"], lambda: sum(_examples(t) for t in cell["tasks"]))
        return per_point * (steps // curve["every"] + 2)

    rows = []
    for model in grid.models:
        for seed in grid.seeds:
            for arm in grid.intermediate_arms:
                cell = grid.intermediate_cell(model, arm, seed)
                names = cell["tasks"]
                rows.append(
                    ("train_intermediate", model, arm, seed, "",
                     training_tokens(model, names, cell["training"], cell.get("languages"),
                                     cell.get("mlm")),
                     validation_tokens(model, names))
                )  # fmt: skip
            for arm, target in grid.target_cells():
                cell = grid.target_cell(model, arm, seed, target)
                rows.append(
                    ("train_target", model, arm, seed, target,
                     training_tokens(model, [target], cell["training"]),
                     validation_tokens(model, [target]) + curve_tokens(model, target, cell))
                )  # fmt: skip
                test = sum(tokens(model, target, f"test.{lang}") for lang in grid.languages(target))
                rows.append(("evaluate_target", model, arm, seed, target, 0.0, test))
                if target in robust["targets"] and arm in robust["arms"]:
                    rows.append(
                        ("evaluate_robustness", model, arm, seed, target, 0.0,
                         robustness_tokens(model, target))
                    )  # fmt: skip
    df = pd.DataFrame(
        rows, columns=["rule", "model", "arm", "seed", "target", "train_tokens", "infer_tokens"]
    )
    df["hours"] = (df.train_tokens / throughput.train + df.infer_tokens / throughput.infer) / 3600
    # a demo model runs on the CPU: the GPU throughput says nothing of its time
    df.loc[df.model.map(grid.is_demo_model).astype(bool), "hours"] = float("nan")
    return df


def by_rule(df: pd.DataFrame) -> pd.DataFrame:
    out = df.groupby("rule", sort=False).agg(
        jobs=("hours", "size"),
        train_tokens=("train_tokens", "sum"),
        infer_tokens=("infer_tokens", "sum"),
        hours=("hours", lambda h: h.sum(min_count=1)),  # NaN: demo models, no GPU-hours
    )
    out.loc["total"] = out.sum(min_count=1)
    return out
