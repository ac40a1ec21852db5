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

from xstilts import languages
from xstilts import tasks as task_registry
from xstilts.data import perturb
from xstilts.data import sources as data_sources
from xstilts.grid import files
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
    from xstilts.summary import figures as plots

    long = read_results(inputs["results"])
    long.to_csv(outputs["long_csv"], index=False)
    families = by_family(long)
    families.to_csv(outputs["family_csv"], index=False)
    for name, path in outputs.items():
        if name.startswith("figure_"):
            target = name.removeprefix("figure_")
            plots.robustness(long[long["target"] == target], target, path)


# ---- the analysis (xstilts.analyses: what the workflow asks of every analysis) ----

NAME = "robustness"  # config key; its summary rule is robustness_summary
REPORT = ("4. Research arms: robustness", "robustness.rst")  # category, caption


def enabled(grid) -> bool:
    return bool(grid.config["robustness"]["targets"])


def summary_outputs(targets: list[str]) -> dict[str, str]:
    out = {
        "long_csv": "results/summary/robustness/robustness_long.csv",
        "family_csv": "results/summary/robustness/robustness_by_family.csv",
    }
    for target in targets:
        out[f"figure_{target}"] = f"results/summary/robustness/{target}.png"
    return out


def outputs(grid) -> dict[str, str]:
    return summary_outputs(grid.config["robustness"]["targets"])


def inputs(grid) -> dict[str, list[str]]:
    """Every robustness cell's results (rule evaluate_robustness)."""
    return {"results": files.robustness_files(grid)}


def spec(grid) -> None:
    """The summary needs nothing beyond its inputs."""
    return None
