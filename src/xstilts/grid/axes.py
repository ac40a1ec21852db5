"""The grid's axes: models, seeds, arms (the main grid's and the research arms'), targets, and
the tasks and languages they use."""

from __future__ import annotations

import itertools

from xstilts import tasks as task_registry
from xstilts.grid import arms as arm_names
from xstilts.grid.arms import (
    BASELINE,
    BASELINE_AT_0,
    LANGUAGE_SECTIONS,
    MLM_TASK,
    MULTITASK,
    STAGE_SEP,
    budget_value,
)


class Axes:
    """What the config sets out to run (a mixin of ``Grid``, which holds ``config``)."""

    config: dict

    # ---- axes ----
    @property
    def models(self) -> list[str]:
        return list(self.config["models"])

    @property
    def seeds(self) -> list[int]:
        return list(self.config["seeds"])

    @property
    def trained_arms(self) -> list[str]:
        arms = list(self.config["intermediate"])
        if self.config["multitask"]["enabled"]:
            arms.append(MULTITASK)
        return arms

    @property
    def arms(self) -> list[str]:
        return ([BASELINE] if self.config["baseline"] else []) + self.trained_arms

    @property
    def targets(self) -> list[str]:
        return list(self.config["targets"])

    # ---- research arms: sequences and intermediate-training budgets ----
    @property
    def sequence_arms(self) -> list[str]:
        """Every listed order, then every order of each permuted set, without repeats."""
        section = self.config["sequences"]
        orders = [list(o) for o in section["orders"]]
        orders += [list(p) for s in section["permute"] for p in itertools.permutations(s)]
        return list(dict.fromkeys(STAGE_SEP.join(o) for o in orders))

    budget_arm = staticmethod(arm_names.budget_arm)

    def _budget_settings(self, task: str, budget: str) -> dict:
        """The task's training settings with ``budget`` ("<steps>" or "<epochs>ep")."""
        training = self._training(self.config["intermediate"][task])
        if budget.endswith("ep"):
            return training | {"epochs": budget_value(budget), "max_steps": 0}
        return training | {"max_steps": int(budget)}

    def encoder_arm(self, arm: str) -> str:
        """The arm whose encoder ``arm`` uses: the baseline for ``baseline@0``, the task's own
        arm for a budget equal to its settings (no second intermediate job), else itself."""
        if arm == BASELINE_AT_0:
            return BASELINE
        task, budget = self.last_stage(arm)
        if budget and STAGE_SEP not in arm and task in self.config["intermediate"]:
            own = self._training(self.config["intermediate"][task])
            if self._budget_settings(task, budget) == own:
                return task
        return arm

    def budget_axis(self) -> list[dict]:
        """One entry per (task, budget): the arm, its budget label, and the budget as a number
        (steps, or epochs) with its unit, for ordering and plotting (0 takes the unit of the
        task's other budgets)."""
        out = []
        for task, budgets in self.config["training_length"]["budgets"].items():
            units = ["epochs" if isinstance(b, str) else "steps" for b in budgets]
            nonzero = [u for b, u in zip(budgets, units, strict=True) if budget_value(b) != 0]
            for budget, unit in zip(budgets, units, strict=True):
                out.append(
                    {
                        "task": task,
                        "arm": self.budget_arm(task, budget),
                        "budget": str(budget),
                        "value": budget_value(budget),
                        "unit": unit if budget_value(budget) or not nonzero else nonzero[0],
                    }
                )
        return out

    @property
    def research_arms(self) -> list[str]:
        """Arms beyond the main grid, tested on their own targets only."""
        budget_arms = [b["arm"] for b in self.budget_axis()]
        language_arms = self.translated_arms + self.mlm_arms
        return list(dict.fromkeys(self.sequence_arms + budget_arms + language_arms))

    @property
    def translated_arms(self) -> list[str]:
        """Arms trained on an intermediate task's data in several languages (English and
        machine-translated copies)."""
        return list(self.config["translated"])

    @property
    def mlm_arms(self) -> list[str]:
        """Arms trained on an intermediate task with masked-LM batches mixed in."""
        return list(self.config["mlm"])

    def language_spec(self, arm: str) -> dict | None:
        """A translated or mlm arm's entry (task, languages, targets; mlm: ratio), else None."""
        for section in LANGUAGE_SECTIONS:
            if arm in self.config[section]:
                return self.config[section][arm]
        return None

    def language_data(self, arm: str) -> dict[str, list[str]]:
        """Task → the languages whose training data the arm reads by language (a translated
        arm: its task, English meaning the task's own set; an mlm arm: the masked-LM text)."""
        if arm in self.translated_arms:
            spec = self.config["translated"][arm]
            return {spec["task"]: list(spec["languages"])}
        if arm in self.mlm_arms:
            return {MLM_TASK: list(self.config["mlm"][arm]["languages"])}
        return {}

    def seen_languages(self, arm: str) -> list[str]:
        """The languages of an arm's intermediate training data (none for the baseline)."""
        if arm in self.translated_arms:
            return list(self.config["translated"][arm]["languages"])
        if arm in self.mlm_arms:  # the task's English and the text's languages
            return list(dict.fromkeys(["en", *self.config["mlm"][arm]["languages"]]))
        return [] if self.encoder_arm(arm) == BASELINE else ["en"]

    def _language_sets(self, arm: str) -> list[tuple[str, str]]:
        """(task, language) of each training set by language the arm reads (not the task's
        own English set, which its features hold)."""
        return [
            (task, lang)
            for task, langs in self.language_data(arm).items()
            for lang in langs
            if lang in task_registry.get(task).source_languages
        ]

    def language_data_used(self) -> list[tuple[str, str]]:
        """(task, language) of every training set by language an arm reads."""
        arms = self.translated_arms + self.mlm_arms
        return sorted({pair for arm in arms for pair in self._language_sets(arm)})

    def research_targets(self, arm: str) -> list[str]:
        targets = set()
        spec = self.language_spec(arm)
        if spec is not None:
            targets |= set(spec["targets"])
        if arm in self.sequence_arms:
            targets |= set(self.config["sequences"]["targets"])
        if arm in [b["arm"] for b in self.budget_axis()]:
            targets |= set(self.config["training_length"]["targets"])
        return [t for t in self.targets if t in targets]

    stages = staticmethod(arm_names.stages)

    last_stage = staticmethod(arm_names.last_stage)

    parent_arm = staticmethod(arm_names.parent_arm)

    @property
    def intermediate_arms(self) -> list[str]:
        """Every arm with an intermediate job: the trained arms, the research arms with an
        encoder of their own and the first stages of each sequence (trained, not tested,
        unless an arm themselves)."""
        out = list(self.trained_arms)
        for arm in [a for a in self.research_arms if self.encoder_arm(a) == a]:
            prefixes = [
                STAGE_SEP.join(self.stages(arm)[:i]) for i in range(1, len(self.stages(arm)))
            ]
            out += [*prefixes, arm]
        return list(dict.fromkeys(a for a in out if a != BASELINE))

    @property
    def all_arms(self) -> list[str]:
        return list(dict.fromkeys(self.arms + self.research_arms + self.intermediate_arms))

    def target_cells(self) -> list[tuple[str, str]]:
        """(arm, target) of every target job: the main grid's, then the research arms'."""
        cells = [(a, t) for a in self.arms for t in self.targets]
        return cells + [(a, t) for a in self.research_arms for t in self.research_targets(a)]

    @property
    def retrieval_targets(self) -> list[str]:
        return list(self.config["retrieval"])

    @property
    def data_kind(self) -> str:
        return self.config["data"]["source"]

    def local_dir(self, name: str) -> str:
        """The user's directory of a local dataset (checked by the validation when used)."""
        return self.config["data"]["local"][name]

    # ---- models ----
    def model_spec(self, model: str) -> dict:
        return self.config["models"][model]

    def is_demo_model(self, model: str) -> bool:
        return "demo" in self.model_spec(model)

    # ---- tasks used and their features ----
    def arm_tasks(self, arm: str) -> list[str]:
        """The tasks of the arm's (last) intermediate stage."""
        if arm == MULTITASK:
            return sorted(self.config["multitask"]["tasks"])
        if arm == BASELINE:
            return []
        spec = self.language_spec(arm)
        if spec is not None:
            return [spec["task"]]
        return [self.last_stage(arm)[0]]

    def max_seq_length(self, task: str) -> int:
        if task in self.config["targets"]:
            return self.config["targets"][task]["max_seq_length"]
        if task in self.config["intermediate"]:
            return self.config["intermediate"][task]["max_seq_length"]
        if task in self.config["retrieval"]:
            return self.config["retrieval"][task]["max_seq_length"]
        return task_registry.get(task).default_max_seq_length  # multitask-only task

    def tasks_used(self) -> list[str]:
        used = {t for arm in self.intermediate_arms for t in self.arm_tasks(arm)}
        used |= set(self.targets)
        return sorted(used | set(self.retrieval_targets))

    def test_languages(self, task: str) -> list[str]:
        """The languages whose test data the task's prepared features hold."""
        return [*task_registry.get(task).languages, *self.more_languages(task)]

    def more_languages(self, task: str) -> list[str]:
        """The languages beyond the task's own set (its ``more_languages``, e.g. XTREME-R's)
        that this grid evaluates it on: their test data is fetched and prepared too."""
        if task not in self.evaluated_targets:
            return []
        own = task_registry.get(task).languages
        return [lang for lang in self.languages(task) if lang not in own]

    # ---- labels and submissions (XTREME layout) ----
    @property
    def evaluated_targets(self) -> list[str]:
        return self.targets + self.retrieval_targets

    def languages(self, target: str) -> list[str]:
        section = "retrieval" if target in self.config["retrieval"] else "targets"
        return self.config[section][target]["languages"]

    # ---- task similarity ----
    def similarity_tasks(self) -> list[str]:
        """The tasks embedded: every single-task arm's and every fine-tuned target."""
        return sorted(set(self.config["intermediate"]) | set(self.targets))
