"""Each rule's params: a cell's resolved settings, one canonical JSON string in its job, so
Snakemake reruns exactly the cells whose settings changed (the rerun contract). A setting that
is off leaves a cell's params as they were before it existed."""

from __future__ import annotations

import json

from xstilts import tasks as task_registry
from xstilts.grid import paths
from xstilts.grid.arms import BASELINE, MLM_TASK, MULTITASK
from xstilts.settings import TRAINING_KEYS  # the settings every training cell carries


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


class Cells:
    """The params of every rule (a mixin of ``Grid``)."""

    config: dict

    def prepare_params(self, model: str, task: str, language: str | None = None) -> str:
        spec = {"task": task, "max_seq_length": self.max_seq_length(task), "data": self.data_kind}
        rule = task_registry.get(task).validation_rule
        if rule and language is None:  # validation made or scored by a rule (tasks/base.py)
            spec["validation"] = rule
        if language:
            return canonical(spec | {"language": language})
        # only when there are some, so a grid without them keeps its prepared features
        more = self.more_languages(task)
        return canonical(spec | {"more_languages": more} if more else spec)

    # ---- cells ----
    def _training(self, settings: dict) -> dict:
        out = {k: settings[k] for k in TRAINING_KEYS}
        # model selection on English validation only when asked for, so a cell without it
        # keeps its params (and its last step's weights)
        if settings.get("best_checkpoint", {}).get("every"):
            out["best_checkpoint"] = settings["best_checkpoint"]
        return out

    def intermediate_cell(self, model: str, arm: str, seed: int) -> dict:
        cell = self._intermediate_cell(model, arm, seed)
        training = cell["training"]
        sampled = len(cell["tasks"]) + len(training.get("fixed_probabilities", {}))
        if sampled > 1 and training["gradient_accumulation_steps"] > 1:
            # one task per optimizer step, as jiant's runner draws it (with one micro-batch a
            # step the draws are the same either way, and such cells keep their params)
            training = training | {"task_sampling": "per_step"}
        return cell | {"training": training}

    def _intermediate_cell(self, model: str, arm: str, seed: int) -> dict:
        cell = {
            "phase": "intermediate",
            "model": model,
            "arm": arm,
            "seed": int(seed),
            "tasks": self.arm_tasks(arm),
            "precision": self.config["precision"],
        }
        if arm == MULTITASK:
            mt = self.config["multitask"]
            return cell | {"training": self._training(mt) | {"examples_cap": mt["examples_cap"]}}
        if arm in self.translated_arms:
            (task,) = cell["tasks"]
            training = self._training(self.config["intermediate"][task])
            return cell | {"training": training, "languages": self.seen_languages(arm)}
        if arm in self.mlm_arms:  # masked-LM batches, a ratio of all, next to the task's
            (task,) = cell["tasks"]
            spec = self.config["mlm"][arm]
            training = self._training(self.config["intermediate"][task])
            training["fixed_probabilities"] = {MLM_TASK: spec["ratio"]}
            return cell | {"training": training, "mlm": {"languages": spec["languages"]}}
        task, budget = self.last_stage(arm)
        if budget:
            cell["training"] = self._budget_settings(task, budget)
        else:
            cell["training"] = self._training(self.config["intermediate"][task])
        parent = self.parent_arm(arm)
        if parent:  # a later stage starts from the previous stages: their cells are part of it
            cell["after"] = self.intermediate_cell(model, parent, seed)
        return cell

    def stage_encoder(self, model: str, arm: str, seed: int | str) -> str:
        """The encoder an intermediate job starts from."""
        parent = self.parent_arm(arm)
        return self.model_dir(model) if parent is None else self.encoder_dir(model, parent, seed)

    def target_cell(self, model: str, arm: str, seed: int, target: str) -> dict:
        settings = self.config["targets"][target]
        cell = {
            "phase": "target",
            "model": model,
            "arm": arm,
            "seed": int(seed),
            "target": target,
            "tasks": [target],
            "precision": self.config["precision"],
            "training": self._training(settings),
        }
        curve = self.curve_spec(arm, target)
        return cell | {"curve": curve} if curve else cell

    def training_target(self, model: str, arm: str, seed: int | str, target: str) -> str:
        """The target whose ``train_target`` job trains this cell's model: the first of the
        arm's targets, in the task registry's order (not the config's, so reordering a config
        moves nothing), that trains the same model — the same task identity
        (``Task.training_identity``), length and settings. XQuAD and MLQA share SQuAD 1.1's
        fine-tuning: one job, XQuAD's when the grid has both."""
        cache = self.__dict__.setdefault("_training_targets", {})
        key = (model, arm, str(seed), target)
        if key not in cache:
            own = self._training_key(model, arm, seed, target)
            same = [
                t
                for t in task_registry.REGISTRY
                if (arm, t) in self._target_cell_set()
                and self._training_key(model, arm, seed, t) == own
            ]
            cache[key] = same[0] if same else target
        return cache[key]

    def _target_cell_set(self) -> set[tuple[str, str]]:
        if "_target_cell_set_" not in self.__dict__:
            self.__dict__["_target_cell_set_"] = set(self.target_cells())
        return self.__dict__["_target_cell_set_"]

    def _training_key(self, model: str, arm: str, seed: int | str, target: str) -> str:
        cell = self.target_cell(model, arm, seed, target)
        del cell["target"], cell["tasks"]
        identity = task_registry.get(target).training_identity()
        return canonical(cell | {"identity": repr(identity), "length": self.max_seq_length(target)})

    def curve_spec(self, arm: str, target: str) -> dict | None:
        """The learning curve target training logs in this cell (the budget axis's cells)."""
        section = self.config["training_length"]
        axis = {b["arm"] for b in self.budget_axis()}
        if arm not in axis or target not in section["targets"]:
            return None
        curve = section["curve"]
        return {
            "every": curve["every"],
            # the task's languages, not the evaluated subset: evaluation edits retrain nothing
            "languages": curve.get("languages", list(task_registry.get(target).languages)),
            "max_examples": curve["max_examples"],
        }

    def evaluation_cell(self, model: str, arm: str, seed: int, target: str) -> dict:
        cell = {
            "model": model,
            "arm": arm,
            "seed": int(seed),
            "target": target,
            "languages": self.config["targets"][target]["languages"],
            "precision": self.config["precision"],
        }
        if self.language_spec(arm) is not None:  # the summary splits gains: seen, unseen
            cell["seen_languages"] = self.seen_languages(arm)
        return cell

    def retrieval_layer(self, model: str) -> int:
        """The layer whose hidden states embed sentences: the config's, else the paper's 14
        (of XLM-R Large's 24), or the middle layer of a demo model."""
        spec = self.model_spec(model)
        if "retrieval_layer" in spec:
            return int(spec["retrieval_layer"])
        if "demo" in spec:
            return int(spec["demo"]["num_hidden_layers"]) // 2
        return 14

    def retrieval_cell(self, model: str, arm: str, seed: int, target: str) -> dict:
        settings = self.config["retrieval"][target]
        return {
            "model": model,
            "arm": arm,
            "seed": int(seed),
            "target": target,
            "languages": settings["languages"],
            "layer": self.retrieval_layer(model),
            "batch_size": settings["batch_size"],
            "precision": self.config["precision"],
        }

    def labels_spec(self) -> dict:
        """target → (features dir of the first model, languages): gold does not depend on
        the model's tokenizer."""
        model = self.models[0]
        return {
            t: {"features": self.features_dir(model, t), "languages": self.languages(t)}
            for t in self.evaluated_targets
        }

    def submission_spec(self, model: str, seed: int | str, choice: str) -> dict:
        arms = self.arms if choice == "best" else [choice]
        return {
            "choice": choice,
            "arms": arms,  # grid order, which breaks validation ties (the JSON sorts the keys)
            "targets": {
                t: {
                    a: {
                        "predictions": self.predictions_dir(model, a, seed, t),
                        "validation": self.validation_file(model, a, seed, t),
                        "validation_input": self.validation_input(model, a, seed, t),
                    }
                    for a in arms
                }
                for t in self.evaluated_targets
            },
        }

    def demo_data_spec(self, repo: str = "", subset: str = "", split: str = "") -> dict:
        """What a demo split is built from: the demo's scale, and for a split whose ids another
        split's ``exclude_ids`` names (SQuAD dev: XQuAD's questions), those splits, which its
        demo copy is built to hold beside its own rows (tasks/qa.py). Without a split (a local
        dataset's demo files), the scale alone."""
        spec = {"demo_scale": self.config["data"]["demo_scale"]}
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

    def local_source(self, name: str, subset: str, split: str) -> dict:
        """What an import of a local dataset's split reads: the user's folder and a digest of
        the files of it that the split reads (the import reruns when their content changes)."""
        from xstilts.data.local import content_digest

        _, source = task_registry.all_sources()[f"{paths.LOCAL_PREFIX}{name}/{subset}/{split}"]
        directory = self.local_dir(name)
        files = source.local_files + source.local_optional
        return {"directory": directory, "content": content_digest(directory, files)}

    # ---- paths ----
    def encoder_dir(self, model: str, arm: str, seed: int | str) -> str:
        """The arm's encoder: the pretrained model itself for the baseline (no copy, no job);
        a budget arm may use another arm's (``encoder_arm``)."""
        arm = self.encoder_arm(arm)
        if arm == BASELINE:
            return self.model_dir(model)
        return paths.fill(paths.INTERMEDIATE_MODEL, model=model, arm=arm, seed=seed)
