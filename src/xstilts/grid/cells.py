"""Each rule's params: a cell's resolved settings, one canonical JSON string in its job, so
Snakemake reruns exactly the cells whose settings changed (the rerun contract). A setting that
is off leaves a cell's params as they were before it existed."""

from __future__ import annotations

import json

from xstilts import tasks as task_registry
from xstilts.grid import axes, files, paths
from xstilts.grid.arms import MLM_TASK, MULTITASK, budget_override, last_stage, parent_arm
from xstilts.grid.grid import Grid

# the optimisation settings of one training run, as a cell's params carry them
TRAINING_KEYS = (
    "learning_rate",
    "batch_size",
    "gradient_accumulation_steps",
    "epochs",
    "max_steps",
    "warmup_ratio",
    "weight_decay",
    "adam_epsilon",
    "max_grad_norm",
)


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def prepare_params(grid: Grid, model: str, task: str, language: str | None = None) -> dict:
    """A prepare job's params: the task's features (``language``: its training set in one
    language)."""
    kind = grid.data_kind
    spec = {"task": task, "max_seq_length": axes.max_seq_length(grid, task), "data": kind}
    rule = task_registry.get(task).validation_rule
    if rule and language is None:  # validation made or scored by a rule (tasks/base.py)
        spec["validation"] = rule
    if language:
        return spec | {"language": language}
    # only when there are some, so a grid without them keeps its prepared features
    more = axes.more_languages(grid, task)
    return spec | {"more_languages": more} if more else spec


def training_settings(settings: dict) -> dict:
    """The training settings of a config section (an intermediate task, a target, multitask)."""
    out = {k: settings[k] for k in TRAINING_KEYS}
    # model selection on English validation only when asked for, so a cell without it
    # keeps its params (and its last step's weights)
    if settings.get("best_checkpoint", {}).get("every"):
        out["best_checkpoint"] = settings["best_checkpoint"]
    return out


def budget_settings(grid: Grid, task: str, budget: str) -> dict:
    """The task's training settings with ``budget`` ("<steps>" or "<epochs>ep")."""
    return training_settings(grid.config["intermediate"][task]) | budget_override(budget)


def intermediate_cell(grid: Grid, model: str, arm: str, seed: int | str) -> dict:
    cell = _intermediate_cell(grid, model, arm, seed)
    training = cell["training"]
    sampled = len(cell["tasks"]) + len(training.get("fixed_probabilities", {}))
    if sampled > 1 and training["gradient_accumulation_steps"] > 1:
        # one task per optimizer step, as jiant's runner draws it (with one micro-batch a
        # step the draws are the same either way, and such cells keep their params)
        training = training | {"task_sampling": "per_step"}
    return cell | {"training": training}


def _intermediate_cell(grid: Grid, model: str, arm: str, seed: int | str) -> dict:
    config = grid.config
    cell = {
        "phase": "intermediate",
        "model": model,
        "arm": arm,
        "seed": int(seed),
        "tasks": axes.arm_tasks(grid, arm),
        "precision": config["precision"],
    }
    if arm == MULTITASK:
        mt = config["multitask"]
        return cell | {"training": training_settings(mt) | {"examples_cap": mt["examples_cap"]}}
    if arm in grid.translated_arms:
        (task,) = cell["tasks"]
        training = training_settings(config["intermediate"][task])
        return cell | {"training": training, "languages": axes.seen_languages(grid, arm)}
    if arm in grid.mlm_arms:  # masked-LM batches, a ratio of all, next to the task's
        (task,) = cell["tasks"]
        spec = config["mlm"][arm]
        training = training_settings(config["intermediate"][task])
        training["fixed_probabilities"] = {MLM_TASK: spec["ratio"]}
        return cell | {"training": training, "mlm": {"languages": spec["languages"]}}
    task, budget = last_stage(arm)
    if budget:
        cell["training"] = budget_settings(grid, task, budget)
    else:
        cell["training"] = training_settings(config["intermediate"][task])
    parent = parent_arm(arm)
    if parent:  # a later stage starts from the previous stages: their cells are part of it
        cell["after"] = intermediate_cell(grid, model, parent, seed)
    return cell


def target_cell(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> dict:
    cell = {
        "phase": "target",
        "model": model,
        "arm": arm,
        "seed": int(seed),
        "target": target,
        "tasks": [target],
        "precision": grid.config["precision"],
        "training": training_settings(grid.config["targets"][target]),
    }
    curve = curve_spec(grid, arm, target)
    return cell | {"curve": curve} if curve else cell


def training_key(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> str:
    """What a target cell's model is trained from: equal keys train the same model
    (``axes.training_target``)."""
    cell = target_cell(grid, model, arm, seed, target)
    del cell["target"], cell["tasks"]
    identity = task_registry.get(target).training_identity()
    length = axes.max_seq_length(grid, target)
    return canonical(cell | {"identity": repr(identity), "length": length})


def curve_spec(grid: Grid, arm: str, target: str) -> dict | None:
    """The learning curve target training logs in this cell (the budget axis's cells)."""
    section = grid.config["training_length"]
    axis = {b["arm"] for b in grid.budget_axis}
    if arm not in axis or target not in section["targets"]:
        return None
    curve = section["curve"]
    return {
        "every": curve["every"],
        # the task's languages, not the evaluated subset: evaluation edits retrain nothing
        "languages": curve.get("languages", list(task_registry.get(target).languages)),
        "max_examples": curve["max_examples"],
    }


def evaluation_cell(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> dict:
    cell = {
        "model": model,
        "arm": arm,
        "seed": int(seed),
        "target": target,
        "languages": grid.config["targets"][target]["languages"],
        "precision": grid.config["precision"],
    }
    if axes.language_spec(grid, arm) is not None:  # the summary splits gains: seen, unseen
        cell["seen_languages"] = axes.seen_languages(grid, arm)
    return cell


def retrieval_layer(grid: Grid, model: str) -> int:
    """The layer whose hidden states embed sentences: the config's, else the paper's 14
    (of XLM-R Large's 24), or the middle layer of a demo model."""
    spec = axes.model_spec(grid, model)
    if "retrieval_layer" in spec:
        return int(spec["retrieval_layer"])
    if "demo" in spec:
        return int(spec["demo"]["num_hidden_layers"]) // 2
    return 14


def retrieval_cell(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> dict:
    settings = grid.config["retrieval"][target]
    return {
        "model": model,
        "arm": arm,
        "seed": int(seed),
        "target": target,
        "languages": settings["languages"],
        "layer": retrieval_layer(grid, model),
        "batch_size": settings["batch_size"],
        "precision": grid.config["precision"],
    }


def labels_spec(grid: Grid) -> dict:
    """target → (features dir of the first model, languages): gold does not depend on
    the model's tokenizer."""
    model = grid.models[0]
    return {
        t: {"features": files.features_dir(model, t), "languages": axes.languages(grid, t)}
        for t in grid.evaluated_targets
    }


def submission_spec(grid: Grid, model: str, seed: int | str, choice: str) -> dict:
    arms = list(grid.arms) if choice == "best" else [choice]
    return {
        "choice": choice,
        "arms": arms,  # grid order, which breaks validation ties (the JSON sorts the keys)
        "targets": {
            t: {
                a: {
                    "predictions": files.predictions_dir(model, a, seed, t),
                    "validation": files.validation_file(grid, model, a, seed, t),
                    "validation_input": files.validation_input(grid, model, a, seed, t),
                }
                for a in arms
            }
            for t in grid.evaluated_targets
        },
    }


def demo_data_spec(grid: Grid, repo: str = "", subset: str = "", split: str = "") -> dict:
    """What a demo split is built from: the demo's scale, and for a split whose ids another
    split's ``exclude_ids`` names (SQuAD dev: XQuAD's questions), those splits, which its
    demo copy is built to hold beside its own rows (tasks/qa.py). Without a split (a local
    dataset's demo files), the scale alone."""
    spec = {"demo_scale": grid.config["data"]["demo_scale"]}
    key = f"{repo}/{subset}/{split}"
    held = sorted(
        {
            x.key
            for t in task_registry.REGISTRY.values()
            for s in t.validation
            if repo and s.key == key
            for x in s.exclude_ids
        }
    )
    return spec | {"holds_ids_of": held} if held else spec


def local_source(grid: Grid, name: str, subset: str, split: str) -> dict:
    """What an import of a local dataset's split reads: the user's folder and a digest of
    the files of it that the split reads (the import reruns when their content changes)."""
    from xstilts.data.local import content_digest

    _, source = task_registry.all_sources()[f"{paths.LOCAL_PREFIX}{name}/{subset}/{split}"]
    directory = axes.local_dir(grid, name)
    local_files = source.local_files + source.local_optional
    return {"directory": directory, "content": content_digest(directory, local_files)}
