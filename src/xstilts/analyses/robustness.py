"""Robustness of a trained target model: its score on perturbed copies of the test inputs.

For every language, the first ``max_examples`` test examples are scored clean, under each noise
perturbation of the config, and under the greedy black-box attack (on the first
``adversarial.max_examples``). Which columns are perturbed is the task's business
(``Task.text_fields``); featurizing, predicting, decoding and scoring are the task's own, so a
perturbed input goes through exactly the path of a clean one.
"""

from __future__ import annotations

import json
import logging
import random
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from xstilts import analyses, languages
from xstilts import tasks as task_registry
from xstilts.data import perturb
from xstilts.data import sources as data_sources
from xstilts.grid import axes, cells, files, paths
from xstilts.tasks.base import Task, map_rows

if TYPE_CHECKING:
    import datasets

log = logging.getLogger("xstilts")


def example_rng(seed: int, *key) -> random.Random:
    """The generator of one (perturbation, language, example, field): the same for every arm
    and model, so perturbed test sets are identical across the grid."""
    return random.Random(zlib.crc32("/".join(map(str, (seed, *key))).encode()))


def perturbed_rows(
    rows: datasets.Dataset, fields: tuple[str, ...], name: str, spec: dict, lang: str, seed: int
) -> datasets.Dataset:
    def change(row, idx):
        return {
            f: perturb.perturb(row[f], spec, example_rng(seed, name, lang, idx, f), lang)
            for f in fields
        }

    return map_rows(rows, change, with_indices=True)


class Scorer:
    """A loaded model scoring raw rows of one task: featurize, predict, decode."""

    def __init__(self, model, tokenizer, task: Task, max_seq_length: int, precision: str):
        self.model, self.tokenizer, self.task = model, tokenizer, task
        self.max_seq_length, self.precision = max_seq_length, precision

    def predictions(self, rows: datasets.Dataset, source) -> tuple[list, datasets.Dataset]:
        from xstilts.training.inference import predict

        features = self.task.featurize(rows, source, self.tokenizer, self.max_seq_length)
        logits = predict(
            self.model, self.task, features, self.tokenizer.pad_token_id, precision=self.precision
        )
        return self.task.decode(logits, features), features

    def score(self, rows: datasets.Dataset, source, lang: str) -> float:
        """The task's summary score (mean of its ``avg_metrics``) on ``rows``."""
        predictions, features = self.predictions(rows, source)
        return self.task.summary_score(self.task.score(predictions, self.task.gold(features), lang))

    def example_scores(self, rows: datasets.Dataset, source, lang: str) -> list[float]:
        """The summary score of every row alone (what the attack tries to lower)."""
        predictions, features = self.predictions(rows, source)
        stats = self.task.example_stats(predictions, self.task.gold(features), lang)
        return [self.task.summary_score(self.task.metrics_from_sums(row, 1)) for row in stats]


def attack_language(
    scorer: Scorer, rows: datasets.Dataset, source, lang: str, settings: dict, seed: int
) -> dict:
    """The greedy attack on every row: the score before and after, the success rate among the
    examples it attacks (those with a score above 0), queries and words changed per example.
    Robustness targets score by means over examples (``_check_robustness`` allows only
    classification and QA targets), so the scores are means of per-example scores."""
    import datasets

    fields = scorer.task.text_fields(source)
    clean = scorer.example_scores(rows, source, lang)
    attacks = [
        perturb.greedy_attack(
            {f: rows[i][f] for f in fields},
            clean[i],
            lang,
            example_rng(seed, "adversarial", lang, i),
            settings["query_budget"],
            settings["candidates"],
            settings["max_words"],
        )
        for i in range(len(rows))
    ]

    def score_round(indices: list[int], proposals: list[dict]) -> list[float]:
        batch = [rows[i] | p for i, p in zip(indices, proposals, strict=True)]
        return scorer.example_scores(
            datasets.Dataset.from_list(batch, features=rows.features), source, lang
        )

    results = perturb.run_attacks(attacks, score_round)
    attacked = sum(c > 0 for c in clean)
    n = max(1, len(results))
    # the task's summary metrics are means over examples (accuracy, EM, F1), so the scores are
    # the means of the per-example scores the attack itself observed: no rescoring in another
    # batch, whose padding could move a prediction under bf16
    return {
        "examples": len(results),
        "attacked": attacked,
        "clean": sum(clean) / n,
        "score": sum(r.score for r in results) / n,
        "success_rate": 100.0 * sum(r.flipped for r in results) / max(1, attacked),
        "queries": sum(r.queries for r in results) / n,
        "words_changed": sum(r.words_changed for r in results) / n,
    }


def evaluate_robustness(
    model_dir: str | Path, cell: dict, data_kind: str, out_path: str | Path
) -> dict:
    """Score one trained target model on clean and perturbed test inputs of every language."""
    from xstilts.modeling import model as modeling
    from xstilts.training.inference import device_and_autocast

    task = task_registry.get(cell["target"])  # the schema allows only tasks with text_fields
    device, _ = device_and_autocast(cell["precision"])
    model, tokenizer = modeling.load(model_dir, device, cell["target"])
    scorer = Scorer(model, tokenizer, task, cell["max_seq_length"], cell["precision"])
    sources = {s.language: s for s in task.test}
    seed = cell["perturbation_seed"]
    out: dict = {"cell": cell, "task": task.name, "languages": {}}
    for lang in cell["languages"]:
        t0 = time.time()
        source = sources[lang]
        rows = data_sources.load(source.path(data_kind), source)
        rows = rows.select(range(min(cell["max_examples"], len(rows))))
        fields = task.text_fields(source)
        clean = scorer.score(rows, source, lang)
        result = {"examples": len(rows), "clean": clean, "perturbations": {}}
        for name, spec in cell["perturbations"].items():
            noisy = perturbed_rows(rows, fields, name, spec, lang, seed)
            result["perturbations"][name] = scorer.score(noisy, source, lang)
        adversarial = cell["adversarial"]
        if adversarial["max_examples"] > 0:
            subset = rows.select(range(min(adversarial["max_examples"], len(rows))))
            result["adversarial"] = attack_language(scorer, subset, source, lang, adversarial, seed)
        out["languages"][lang] = result
        log.info(
            "%s %s: clean %.1f, %s (%.1fs)",
            task.name,
            lang,
            clean,
            ", ".join(f"{k} {v:.1f}" for k, v in result["perturbations"].items()),
            time.time() - t0,
        )
    Path(out_path).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return out


# ---- the summary over the grid ----

ADVERSARIAL = "adversarial"


def read_results(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (model, arm, seed, target, language, perturbation): the clean score on the
    same examples, the perturbed score, and the drop (clean − perturbed, points)."""
    rows = []
    for path in paths:
        doc = json.loads(Path(path).read_text())
        cell = doc["cell"]
        key = {k: cell[k] for k in ("model", "arm", "seed", "target")}
        for lang, result in doc["languages"].items():
            where = key | {
                "language": lang,
                "family": languages.family(lang),
                "genus": languages.genus(lang),
            }
            for name, score in result["perturbations"].items():
                rows.append(where | {"perturbation": name, "clean": result["clean"]})
                rows[-1] |= {"perturbed": score, "examples": result["examples"]}
            if ADVERSARIAL in result:
                adv = result[ADVERSARIAL]
                rows.append(where | {"perturbation": ADVERSARIAL, "clean": adv["clean"]})
                rows[-1] |= {"perturbed": adv["score"], "examples": adv["examples"]}
                rows[-1] |= {"attack_success_rate": adv["success_rate"], "queries": adv["queries"]}
    long = pd.DataFrame(rows)
    if not long.empty:
        long["drop"] = long["clean"] - long["perturbed"]
    return long


def by_family(long: pd.DataFrame) -> pd.DataFrame:
    """Mean clean score, perturbed score and drop per (model, arm, target, perturbation,
    family): over the family's languages and the seeds, with the languages named."""
    keys = ["model", "arm", "target", "perturbation", "family"]
    grouped = long.groupby(keys, sort=False)
    out = grouped[["clean", "perturbed", "drop"]].mean()
    out["languages"] = grouped["language"].agg(lambda s: " ".join(dict.fromkeys(s)))
    out = out.reset_index()
    rank = {f: i for i, f in enumerate(languages.FAMILY_ORDER)}
    out["_rank"] = out["family"].map(lambda f: rank.get(f, len(rank)))
    return out.sort_values(keys[:-1] + ["_rank"], kind="stable").drop(columns="_rank")


def summarize(inputs: dict[str, list[str]], spec: None, outputs: dict[str, str]) -> None:
    """From every robustness cell's results (``inputs['results']``): robustness_long.csv,
    robustness_by_family.csv and one figure per target."""
    long = read_results(inputs["results"])
    long.to_csv(outputs["long_csv"], index=False)
    families = by_family(long)
    families.to_csv(outputs["family_csv"], index=False)
    for name, path in outputs.items():
        if name.startswith("figure_"):
            target = name.removeprefix("figure_")
            figure(long[long["target"] == target], target, path)


def figure(long: pd.DataFrame, target: str, out) -> None:
    """Drop from the clean score under each perturbation on one target: by language family
    (left; mean over arms, seeds and the family's languages) and by arm (right; mean over
    seeds and languages)."""
    from xstilts.summary.figures import empty, plt, sns

    fig, axes = plt.subplots(
        1,
        2,
        figsize=(12, 1.8 + 0.45 * max(4, long.family.nunique() if len(long) else 1)),
        dpi=120,
        layout="constrained",
    )
    if long.empty:
        for ax in axes:
            empty(ax, f"no robustness results for {target}")
    else:
        columns = list(dict.fromkeys(long.perturbation))
        order = [f for f in languages.FAMILY_ORDER if f in set(long.family)]
        order += [f for f in dict.fromkeys(long.family) if f not in order]
        panels = [
            ("family", order, "language family"),
            ("arm", list(dict.fromkeys(long.arm)), "intermediate-task arm"),
        ]
        bound = max(1.0, float(long.groupby(["family", "perturbation"])["drop"].mean().abs().max()))
        for ax, (key, rows, label) in zip(axes, panels, strict=True):
            table = long.pivot_table(index=key, columns="perturbation", values="drop")
            sns.heatmap(
                table.reindex(index=rows, columns=columns),
                ax=ax,
                annot=True,
                fmt=".1f",
                cmap="rocket_r",
                vmin=min(0.0, -bound),
                vmax=bound,
                linewidths=0.5,
                cbar_kws={"label": "drop from clean (points)"},
            )
            ax.set_xlabel("perturbation of the test input")
            ax.set_ylabel(label)
            ax.tick_params(axis="x", rotation=30)
            ax.tick_params(axis="y", rotation=0)
    fig.suptitle(f"{target}: score drop under perturbed inputs (clean − perturbed, points)")
    fig.savefig(out)
    plt.close(fig)


# ---- its cells: one job per (model, arm, seed, target), rule evaluate_robustness ----


def robustness_cells(grid) -> list[dict]:
    """The wildcards of every robustness cell: each model, arm, seed and target it tests."""
    section = grid.config["robustness"]
    return [
        {"model": m, "arm": a, "seed": s, "target": t}
        for m in grid.models
        for a in section["arms"]
        for s in grid.seeds
        for t in section["targets"]
    ]


def robustness_cell(grid, model: str, arm: str, seed: int | str, target: str) -> dict:
    """A robustness cell's params: the evaluation cell's, with the perturbations."""
    section = grid.config["robustness"]
    return cells.evaluation_cell(grid, model, arm, seed, target) | {
        "max_seq_length": axes.max_seq_length(grid, target),
        "max_examples": section["max_examples"],
        "perturbation_seed": section["seed"],
        "perturbations": section["perturbations"],
        "adversarial": section["adversarial"],
        "data": grid.data_kind,
    }


def robustness_inputs(grid, model: str, arm: str, seed: int | str, target: str) -> dict:
    """The trained target model, and the raw test files of the languages the job perturbs."""
    languages = axes.languages(grid, target)
    return {
        "model": files.target_model_dir(grid, model, arm, seed, target),
        "data": [
            str(s.path(grid.data_kind))
            for s in task_registry.get(target).test
            if s.language in languages
        ],
    }


def evaluate_cell(cell: dict, inputs: dict, outputs: dict) -> None:
    evaluate_robustness(inputs["model"], cell, cell["data"], outputs["scores"])


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "robustness"  # config key; its summary rule is robustness_summary
REPORT = ("Research arms: robustness", "robustness.rst")  # section title, caption
CELLS = analyses.CellJobs(
    rule="evaluate_robustness",
    key="{model}/{arm}/seed{seed}/{target}",
    outputs={"scores": ".json"},
    cells=robustness_cells,
    cell=robustness_cell,
    inputs=robustness_inputs,
    run="evaluate_cell",
)
SUMMARY_DIR = paths.analysis_dir(__name__)
SCHEMA = """
$after: retrieval
$defs:
  robust_target: {enum: []}  # targets whose inputs noise and attacks may change (filled)
robustness:
  description: >-
    trained target models scored on perturbed test inputs (character and word noise, a greedy
    black-box attack); the drop from clean per language, grouped by language family
  type: object
  default: {}
  additionalProperties: false
  properties:
    targets:
      description: classification and QA targets of this grid to test (none = off)
      type: array
      items: {$ref: "#/$defs/robust_target"}
      uniqueItems: true
      default: []
    arms:
      description: arms to test (default all of the grid's)
      type: array
      items: {type: string}
      minItems: 1
      uniqueItems: true
    max_examples:
      description: the first n test examples of every language are scored clean and perturbed
      type: integer
      minimum: 1
      default: 1000
    seed:
      description: seed of the perturbations (the same perturbed inputs for every arm)
      type: integer
      minimum: 0
      default: 0
    perturbations:
      description: name → noise; char ops insert, delete, swap, substitute; word ops drop, swap
      type: object
      default:
        char_swap: {level: char, op: swap, rate: 0.05}
        char_substitute: {level: char, op: substitute, rate: 0.05}
        char_insert: {level: char, op: insert, rate: 0.05}
        char_delete: {level: char, op: delete, rate: 0.05}
        word_drop: {level: word, op: drop, rate: 0.1}
        word_swap: {level: word, op: swap, rate: 0.1}
      additionalProperties:
        type: object
        additionalProperties: false
        required: [level, op, rate]
        properties:
          level: {enum: [char, word]}
          op: {enum: [insert, delete, swap, substitute, drop]}
          rate: {type: number, exclusiveMinimum: 0, maximum: 1}
    adversarial:
      description: greedy word substitution by misspellings, with the example's score as oracle
      type: object
      default: {}
      additionalProperties: false
      properties:
        max_examples:
          description: the first n test examples of every language are attacked (0 = off)
          type: integer
          minimum: 0
          default: 200
        query_budget: {type: integer, minimum: 1, default: 100}
        candidates:
          description: misspellings tried per word
          type: integer
          minimum: 1
          default: 5
        max_words:
          description: the largest fraction of an input's words the attack may change
          type: number
          exclusiveMinimum: 0
          maximum: 1
          default: 0.25
"""


def enabled(grid) -> bool:
    return bool(grid.config["robustness"]["targets"])


def summary_outputs(targets: list[str]) -> dict[str, str]:
    out = {
        "long_csv": f"{SUMMARY_DIR}/robustness_long.csv",
        "family_csv": f"{SUMMARY_DIR}/robustness_by_family.csv",
    }
    for target in targets:
        out[f"figure_{target}"] = f"{SUMMARY_DIR}/{target}.png"
    return out


def outputs(grid) -> dict[str, str]:
    return summary_outputs(grid.config["robustness"]["targets"])


def inputs(grid) -> dict[str, list[str]]:
    """Every robustness cell's results (rule evaluate_robustness)."""
    return {"results": analyses.cell_files(__name__, CELLS, grid)}


def spec(grid) -> None:
    """The summary needs nothing beyond its inputs."""
    return None
