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

Time (measured, docs/performance.md, XLM-R Large on one H100 80GB): a training step takes what
its tokens take at the measured throughput of its task family with the whole batch in one
micro-batch, and never less than its micro-batches' kernel launches: at small micro-batches a
forward and backward pass is bound by launches (60.4 ms each at 32 x 56 tokens, with the GPU busy
for about 25 ms of them; bench/step_breakdown.py), plus the optimizer update (AdamW 6.4 ms,
gradient clipping 2.7 ms). How a batch is split is the trainer's own arithmetic
(``training.batches.accumulation``, from the model's ``micro_batch_size`` on the projected GPU),
so jiant's 4 x 8 costs what it costs. A family without its own measurement uses the
sentence-pair figure and its jobs are marked (``step_basis``). Other models or devices: pass
your own numbers (``xstilts cost --train-tokens-per-s ...``, one figure for every family).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xstilts import tasks as task_registry
from xstilts.grid import MLM_TASK, Grid, axes, cells
from xstilts.settings import Curve, Training
from xstilts.training.batches import (
    accumulation,
    micro_batch_limit,
    sampling_probabilities,
    total_steps,
)

# bench/train_throughput.py --shape large --device cuda on one H100 80GB HBM3, torch 2.11,
# transformers 5.17 (2026-11-23), the whole batch in one micro-batch: XNLI-length pairs (batch
# 32, 60 timed steps) and SQuAD-style windows of at most 384 (batch 16, 20 timed steps);
# inference with batches of 64 sorted by length
H100_XLMR_LARGE = {"train": 26_829.0, "infer": 118_493.0}
H100_TRAIN_BY_FAMILY = {"PairClassificationTask": 26_829.0, "QATask": 23_814.0}
# bench/step_breakdown.py --shape large --device cuda --batch 32 --lengths 56 (same device and
# day): one eager forward and backward pass, launch-bound; the fused AdamW step and the clipping
H100_MICRO_STEP_S = 0.0604
H100_OPTIMIZER_S = 0.0064 + 0.0027
H100_GIB = 79.2  # what torch reports for an 80 GB H100 or A100 (total_memory / 2**30)
COLUMNS = [
    "rule",
    "model",
    "arm",
    "seed",
    "target",
    "train_tokens",
    "infer_tokens",
    "steps",
    "micro_steps",
    "train_seconds",
    "step_basis",
    "tokens",
]


@dataclass(frozen=True)
class Throughput:
    """How fast the projected GPU runs: ``train`` real tokens/s for every task family (None:
    the measured figure of each family, ``by_family``), ``infer`` for inference, the floor of
    one micro-batch's pass and of the optimizer update, and the GPU's memory (it picks a
    model's micro_batch_size)."""

    train: float | None = None
    infer: float = H100_XLMR_LARGE["infer"]
    by_family: dict = field(default_factory=lambda: dict(H100_TRAIN_BY_FAMILY))
    micro_step_s: float = H100_MICRO_STEP_S
    optimizer_s: float = H100_OPTIMIZER_S
    gpu_gib: float = H100_GIB

    def train_rate(self, task: str) -> tuple[float, bool]:
        """Real training tokens/s of ``task``'s family, and whether it was measured."""
        if self.train is not None:
            return self.train, True
        family = type(task_registry.get(task)).__name__
        if family in self.by_family:
            return self.by_family[family], True
        return H100_XLMR_LARGE["train"], False


def _examples(task_name: str, split: str = "train") -> int:
    task = task_registry.get(task_name)  # test splits of XTREME-R's added languages too
    return sum(s.rows for s in task.splits(task.all_languages).get(split, ()))


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
        n = task_registry.get(task).language_source(lang).rows
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
class _Run:
    """What one training run costs: real tokens, optimizer steps, micro-batch passes, seconds
    on the projected GPU, and whether every task's step time is measured."""

    tokens: float = 0.0
    steps: int = 0
    micro_steps: int = 0
    seconds: float = 0.0
    measured: bool = True


@dataclass
class _Projection:
    grid: Grid
    count: _Counter
    throughput: Throughput

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

    def training(self, model: str, cell: dict) -> _Run:
        """A run's training, stage by stage (a staged task's every stage runs with the same
        settings): the trainer's steps, each a batch of one task drawn with the trainer's
        probabilities, its tokens the batch x the task's mean tokens per example; its
        micro-batches as the trainer splits a batch for the model on the projected GPU; its
        time per step the slower of its tokens at the family's throughput and its
        micro-batches' launch floor plus the optimizer update."""
        settings, out = Training.from_cell(cell), _Run()
        t = self.throughput
        table = axes.model_spec(self.grid, model).get("micro_batch_size")
        limit = micro_batch_limit(table, t.gpu_gib)
        batch = int(settings.batch_size)
        accum = accumulation(batch, int(settings.gradient_accumulation_steps), limit)
        floor = accum * t.micro_step_s + t.optimizer_s
        for split in task_registry.train_splits(cell["tasks"]):
            sets = self._training_sets(model, cell, split)
            if not sets:
                continue
            sizes = {n: rows for n, (_, rows) in sets.items()}
            run = total_steps(settings, sizes)
            probs = sampling_probabilities(
                sizes, settings.examples_cap, settings.fixed_probabilities
            )
            for n, (tokens, rows) in sets.items():
                per_step = batch * tokens / rows
                rate, measured = t.train_rate(n)
                out.tokens += run * probs[n] * per_step
                out.seconds += run * probs[n] * max(per_step / rate, floor)
                out.measured &= measured
            out.steps += run
        out.micro_steps = out.steps * accum
        return out

    def validations(self, cell: dict, steps: int) -> int:
        """How often a run validates: model selection's every ``every`` steps and the last
        (selection.py), and once at the end for the training summary."""
        select = Training.from_cell(cell).best_checkpoint
        return (-(-steps // select.every) if select is not None else 0) + 1

    def _selected(self, model: str, task: str, examples: int) -> float:
        """Tokens of one model-selection pass over ``task``: the first ``examples`` of each of
        its validation sources (ANLI+'s five components each), at the split's mean length."""
        sources = task_registry.get(task).validation
        if len(sources) < 2 or not examples:
            return self.count.first(model, task, "validation", examples or 10**12)
        tokens, rows = self.count.split(model, task, "validation")
        return tokens / max(rows, 1) * sum(min(examples, s.rows) for s in sources)

    def validation(self, model: str, cell: dict, steps: int) -> float:
        """English validation at the end of the run, plus model selection's every ``every``
        steps on its first ``examples``, plus a learning curve's points."""
        names = [n for n in cell["tasks"] if n != MLM_TASK]
        out = sum(self.count.tokens(model, n, "validation") for n in names)
        select = Training.from_cell(cell).best_checkpoint
        if select is not None:
            checks = self.validations(cell, steps) - 1  # the selection's, the last one apart
            out += checks * sum(self._selected(model, n, select.examples) for n in names)
        curve = Curve.from_params(cell.get("curve"))
        if curve:
            (target,) = names
            point = sum(
                self.count.first(
                    model,
                    target,
                    task_registry.get(target).curve_split(lang),
                    curve.max_examples,
                )
                for lang in curve.languages
            )
            # step 0, every N steps, and the last when it is not a multiple (training/loop.py)
            out += point * (1 + steps // curve.every + (steps % curve.every != 0))
        return out

    # ---- evaluation ----
    def evaluation(self, model: str, target: str) -> float:
        """Every test language's tokens, and the task's candidate pool once (all languages
        share its embeddings)."""
        task = task_registry.get(target)
        test = sum(
            self.count.tokens(model, target, task.test_split(lang))
            for lang in axes.languages(self.grid, target)
        )
        return test + (self.count.tokens(model, target, "pool") if task.pool else 0.0)

    def robustness(self, model: str, target: str) -> float:
        """Clean + each perturbation on the first max_examples of every language, and at most
        query_budget + 1 passes (clean, then the queries) per attacked example."""
        robust = self.grid.config["robustness"]
        adversarial = robust["adversarial"]
        passes = 1 + len(robust["perturbations"])
        total = 0.0
        for lang in axes.languages(self.grid, target):
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
        return sum(self.count.first(model, t, "train", n) for t in axes.similarity_tasks(self.grid))

    # ---- the jobs ----
    def jobs(self):
        """A dict per GPU job: rule, model, arm, seed, target, training (a ``_Run``, training
        jobs only) and inference tokens."""
        grid, robust = self.grid, self.grid.config["robustness"]

        def job(rule, model, arm="", seed="", target="", infer=0.0, run=None):
            return {
                "rule": rule,
                "model": model,
                "arm": arm,
                "seed": seed,
                "target": target,
                "run": run,
                "infer_tokens": infer,
            }

        def trained(rule, model, arm, seed, target, cell):
            run = self.training(model, cell)
            return job(rule, model, arm, seed, target, self.validation(model, cell, run.steps), run)

        for model in grid.models:
            if grid.config["similarity"]["enabled"]:
                yield job("task_similarity", model, infer=self.similarity(model))
            for seed in grid.seeds:
                for arm in grid.intermediate_arms:
                    cell = cells.intermediate_cell(grid, model, arm, seed)
                    yield trained("train_intermediate", model, arm, seed, "", cell)
                for arm, target in grid.target_cells:
                    # targets trained alike share one job (axes.training_target): count it once
                    if axes.training_target(grid, model, arm, seed, target) == target:
                        cell = cells.target_cell(grid, model, arm, seed, target)
                        yield trained("train_target", model, arm, seed, target, cell)
                    test = self.evaluation(model, target)
                    yield job("evaluate_target", model, arm, seed, target, test)
                    if target in robust["targets"] and arm in robust["arms"]:
                        noisy = self.robustness(model, target)
                        yield job("evaluate_robustness", model, arm, seed, target, noisy)
                for arm in grid.arms:
                    for target in grid.retrieval_targets:
                        found = self.retrieval(model, target)
                        yield job("evaluate_retrieval", model, arm, seed, target, found)


def project(
    grid: Grid, throughput: Throughput = Throughput(), features_root: str | Path | None = None
) -> pd.DataFrame:
    """One row per GPU job: rule, model, arm, seed, target; training tokens, optimizer steps,
    micro-batch passes and seconds, and whether that time is measured for every family of
    the run (``step_basis``: "measured" or "estimated"; "" for jobs that do not train);
    inference tokens; the tokens' basis ("counted" in prepared features, or "estimated" from
    the declared sizes); hours (NaN for a demo model, which runs on the CPU)."""
    counter = _Counter(Path(features_root) if features_root is not None else None)
    rows = []
    for job in _Projection(grid, counter, throughput).jobs():
        run = job.pop("run") or _Run()
        basis = (
            ""
            if job["rule"] not in TRAINING_RULES
            else ("measured" if run.measured else "estimated")
        )
        rows.append(
            job
            | {
                "train_tokens": run.tokens,
                "steps": run.steps,
                "micro_steps": run.micro_steps,
                "train_seconds": run.seconds,
                "step_basis": basis,
                "tokens": "estimated" if counter.estimated else "counted",
            }
        )
        counter.estimated = False
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["hours"] = (df.train_seconds + df.infer_tokens / throughput.infer) / 3600
    df.loc[df.model.map(lambda m: axes.is_demo_model(grid, m)).astype(bool), "hours"] = float("nan")
    return df


TRAINING_RULES = ("train_intermediate", "train_target")


def by_rule(df: pd.DataFrame) -> pd.DataFrame:
    """Jobs, tokens, steps and hours per rule and in total; ``estimated``: the jobs whose
    tokens are estimated rather than counted."""
    out = df.groupby("rule", sort=False).agg(
        jobs=("hours", "size"),
        estimated=("tokens", lambda b: int((b == "estimated").sum())),
        train_tokens=("train_tokens", "sum"),
        infer_tokens=("infer_tokens", "sum"),
        steps=("steps", "sum"),
        micro_steps=("micro_steps", "sum"),
        hours=("hours", lambda h: h.sum(min_count=1)),  # NaN: demo models, no GPU-hours
    )
    out.loc["total"] = out.sum(min_count=1)
    return out
