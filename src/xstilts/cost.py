"""Projected GPU-hours of a config: the tokens each GPU job processes x the measured throughput.

Every rule that runs a model counts: intermediate and target training (with the validations
model selection and learning curves run inside them), target evaluation (a task's candidate
pool, e.g. Mewsli-X's million entities, embedded once per evaluation), robustness evaluation,
retrieval evaluation (BUCC, Tatoeba) and task similarity.

Tokens come from the prepared features when they exist (``results/features/<model>/<task>/``:
the real token count of every split; basis "counted"), else from the real split sizes the tasks
declare (``Source.num_rows``, the dataset cards) times an estimated number of tokens per example
for the task's family (``Task.tokens_per_example``; basis "estimated"). A training run's steps
are the trainer's own count (``training.batches.total_steps``), each step a full batch of its
tasks drawn with the trainer's probabilities (``training.batches.sampling_probabilities``).

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
from xstilts.training.batches import sampling_probabilities, total_steps

# bench/train_throughput.py --shape large --device cuda on one H100 80GB HBM3, torch 2.11,
# transformers 5.17 (2026-11-23): XNLI-length pairs (batch 32, 60 timed steps) and SQuAD-style
# windows of at most 384 (batch 16, 20 timed steps); inference with batches of 64 sorted by length
H100_XLMR_LARGE = {"train": 26_800.0, "infer": 118_000.0}
COLUMNS = ["rule", "model", "arm", "seed", "target", "train_tokens", "infer_tokens", "tokens"]


@dataclass(frozen=True)
class Throughput:
    train: float = H100_XLMR_LARGE["train"]  # real tokens per second, training
    infer: float = H100_XLMR_LARGE["infer"]  # real tokens per second, inference


def _examples(task_name: str, split: str = "train") -> int:
    task = task_registry.get(task_name)  # test splits of XTREME-R's added languages too
    return sum(s.num_rows for s in task.splits(task.all_languages).get(split, ()))


def _is_nested_list(column) -> bool:
    import pyarrow as pa

    value = column.type.value_type
    return pa.types.is_list(value) or pa.types.is_large_list(value)


def _count_tokens(split_dir: Path) -> tuple[float, int]:
    """Real tokens and rows of a prepared split."""
    import datasets
    import pyarrow.compute as pc

    ds = datasets.load_from_disk(str(split_dir))
    tokens = 0.0
    for name in ("input_ids", "answer_ids"):  # answer retrieval encodes its answers apart
        if name not in ds.column_names:
            continue
        column = ds.data.column(name)
        while _is_nested_list(column):  # multiple choice: one list of ids per choice
            column = pc.list_flatten(column)
        tokens += float(pc.sum(pc.list_value_length(column)).as_py() or 0)
    return tokens, len(ds)


class _Counter:
    """Tokens of the grid's splits, each counted once; ``estimated`` notes whether a job's
    figure used an estimate (reset per job)."""

    def __init__(self, root: Path | None):
        self.root = root
        self.estimated = False

    @functools.cache  # noqa: B019 (one counter per projection)
    def _split(self, model: str, task: str, split: str) -> tuple[float, int, bool]:
        fdir = self.root / model / task / split if self.root is not None else None
        if fdir is not None and fdir.exists():
            return (*_count_tokens(fdir), False)
        n = _examples(task, split)
        return float(n * task_registry.get(task).tokens_per_example), n, True

    @functools.cache  # noqa: B019
    def _language(self, model: str, task: str, lang: str) -> tuple[float, int, bool]:
        """A training set by language (translated, or masked-LM text)."""
        fdir = self.root / model / "by_language" / f"{task}.{lang}" / "train" if self.root else None
        if fdir is not None and fdir.exists():
            return (*_count_tokens(fdir), False)
        n = task_registry.get(task).language_source(lang).num_rows
        return float(n * task_registry.get(task).tokens_per_example), n, True

    def split(self, model: str, task: str, split: str) -> tuple[float, int]:
        tokens, rows, estimated = self._split(model, task, split)
        self.estimated |= estimated
        return tokens, rows

    def language(self, model: str, task: str, lang: str) -> tuple[float, int]:
        tokens, rows, estimated = self._language(model, task, lang)
        self.estimated |= estimated
        return tokens, rows

    def tokens(self, model: str, task: str, split: str) -> float:
        return self.split(model, task, split)[0]

    def first(self, model: str, task: str, split: str, n: int) -> float:
        """Tokens of a split's first ``n`` examples (at the split's mean length)."""
        tokens, rows = self.split(model, task, split)
        return tokens / max(rows, 1) * min(n, rows)


@dataclass
class _Projection:
    grid: Grid
    count: _Counter

    # ---- training ----
    def _training_sets(self, model: str, cell: dict, split: str) -> dict[str, tuple[float, int]]:
        """task → (tokens, rows) of the data a run trains on, as the trainer assembles it: each
        task's split, a translated arm's one task in its languages together, an mlm arm's
        masked-LM text in its languages together."""
        languages, mlm = cell.get("languages"), cell.get("mlm")
        if languages is None:
            sets = {n: self.count.split(model, n, split) for n in cell["tasks"]}
        else:
            (task,) = cell["tasks"]
            parts = [
                self.count.split(model, task, "train")
                if lang == "en"
                else self.count.language(model, task, lang)
                for lang in languages
            ]
            sets = {task: (sum(t for t, _ in parts), sum(n for _, n in parts))}
        if mlm is not None:
            text = [self.count.language(model, MLM_TASK, lang) for lang in mlm["languages"]]
            sets[MLM_TASK] = (sum(t for t, _ in text), sum(n for _, n in text))
        return {n: s for n, s in sets.items() if s[1]}

    def training(self, model: str, cell: dict) -> tuple[float, int]:
        """Training tokens and optimizer steps of a run, stage by stage (a staged task's every
        stage runs with the same settings): the trainer's steps x batch x its tasks' mean
        tokens per example, weighted by the probability it draws each task with."""
        settings, tokens, steps = cell["training"], 0.0, 0
        for split in task_registry.train_splits(cell["tasks"]):
            sets = self._training_sets(model, cell, split)
            if not sets:
                continue
            sizes = {n: rows for n, (_, rows) in sets.items()}
            run = total_steps(settings, sizes)
            probs = sampling_probabilities(
                sizes, settings.get("examples_cap"), settings.get("fixed_probabilities")
            )
            per_example = sum(probs[n] * t / rows for n, (t, rows) in sets.items())
            tokens += run * settings["batch_size"] * per_example
            steps += run
        return tokens, steps

    def validation(self, model: str, cell: dict, steps: int) -> float:
        """English validation at the end of the run, plus model selection's every ``every``
        steps on its first ``examples``, plus a learning curve's points."""
        names = [n for n in cell["tasks"] if n != MLM_TASK]
        out = sum(self.count.tokens(model, n, "validation") for n in names)
        select = cell["training"].get("best_checkpoint") or {}
        if select.get("every"):
            examples = int(select.get("examples", 500))
            checks = -(-steps // int(select["every"]))  # every N steps and the last (selection.py)
            out += checks * sum(self.count.first(model, n, "validation", examples) for n in names)
        curve = cell.get("curve")
        if curve:
            (target,) = names
            point = sum(
                self.count.first(
                    model,
                    target,
                    task_registry.get(target).curve_split(lang),
                    curve["max_examples"],
                )
                for lang in curve["languages"]
            )
            # step 0, every N steps, and the last when it is not a multiple (training/loop.py)
            out += point * (1 + steps // curve["every"] + (steps % curve["every"] != 0))
        return out

    # ---- evaluation ----
    def evaluation(self, model: str, target: str) -> float:
        """Every test language's tokens, and the task's candidate pool once (all languages
        share its embeddings)."""
        task = task_registry.get(target)
        test = sum(
            self.count.tokens(model, target, task.test_split(lang))
            for lang in self.grid.languages(target)
        )
        return test + (self.count.tokens(model, target, "pool") if task.pool else 0.0)

    def robustness(self, model: str, target: str) -> float:
        """Clean + each perturbation on the first max_examples of every language, and at most
        query_budget + 1 passes (clean, then the queries) per attacked example."""
        robust = self.grid.config["robustness"]
        adversarial = robust["adversarial"]
        passes = 1 + len(robust["perturbations"])
        total = 0.0
        for lang in self.grid.languages(target):
            split = f"test.{lang}"
            total += self.count.first(model, target, split, robust["max_examples"]) * passes
            attacked = self.count.first(model, target, split, adversarial["max_examples"])
            total += attacked * (adversarial["query_budget"] + 1)
        return total

    def retrieval(self, model: str, target: str) -> float:
        """Every language's test sentences (and dev, where the task mines its threshold)."""
        task = task_registry.get(target)
        splits = task.splits(self.grid.config["retrieval"][target]["languages"])
        return sum(self.count.tokens(model, target, split) for split in splits)

    def similarity(self, model: str) -> float:
        """The first ``similarity.examples`` training inputs of every task embedded."""
        n = self.grid.config["similarity"]["examples"]
        return sum(self.count.first(model, t, "train", n) for t in self.grid.similarity_tasks())

    # ---- the jobs ----
    def jobs(self):
        """(rule, model, arm, seed, target, train tokens, inference tokens) of every GPU job."""
        grid, robust = self.grid, self.grid.config["robustness"]
        for model in grid.models:
            if grid.config["similarity"]["enabled"]:
                yield "task_similarity", model, "", "", "", 0.0, self.similarity(model)
            for seed in grid.seeds:
                for arm in grid.intermediate_arms:
                    cell = grid.intermediate_cell(model, arm, seed)
                    tokens, steps = self.training(model, cell)
                    infer = self.validation(model, cell, steps)
                    yield "train_intermediate", model, arm, seed, "", tokens, infer
                for arm, target in grid.target_cells():
                    # targets trained alike share one job (Grid.training_target): count it once
                    if grid.training_target(model, arm, seed, target) == target:
                        cell = grid.target_cell(model, arm, seed, target)
                        tokens, steps = self.training(model, cell)
                        infer = self.validation(model, cell, steps)
                        yield "train_target", model, arm, seed, target, tokens, infer
                    test = self.evaluation(model, target)
                    yield "evaluate_target", model, arm, seed, target, 0.0, test
                    if target in robust["targets"] and arm in robust["arms"]:
                        noisy = self.robustness(model, target)
                        yield "evaluate_robustness", model, arm, seed, target, 0.0, noisy
                for arm in grid.arms:
                    for target in grid.retrieval_targets:
                        found = self.retrieval(model, target)
                        yield "evaluate_retrieval", model, arm, seed, target, 0.0, found


def project(
    grid: Grid, throughput: Throughput = Throughput(), features_root: str | Path | None = None
) -> pd.DataFrame:
    """One row per GPU job: rule, model, arm, seed, target, train and inference tokens, their
    basis ("counted" in prepared features, or "estimated" from the declared sizes) and hours
    (NaN for a demo model, which runs on the CPU)."""
    counter = _Counter(Path(features_root) if features_root is not None else None)
    rows = []
    for job in _Projection(grid, counter).jobs():
        rows.append([*job, "estimated" if counter.estimated else "counted"])
        counter.estimated = False
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["hours"] = (df.train_tokens / throughput.train + df.infer_tokens / throughput.infer) / 3600
    df.loc[df.model.map(grid.is_demo_model).astype(bool), "hours"] = float("nan")
    return df


def by_rule(df: pd.DataFrame) -> pd.DataFrame:
    """Jobs, tokens and hours per rule and in total; ``estimated``: the jobs whose tokens
    are estimated rather than counted."""
    out = df.groupby("rule", sort=False).agg(
        jobs=("hours", "size"),
        estimated=("tokens", lambda b: int((b == "estimated").sum())),
        train_tokens=("train_tokens", "sum"),
        infer_tokens=("infer_tokens", "sum"),
        hours=("hours", lambda h: h.sum(min_count=1)),  # NaN: demo models, no GPU-hours
    )
    out.loc["total"] = out.sum(min_count=1)
    return out
