"""The experiment grid: a validated config → cells, their settings and their paths.

A cell is (model, arm, seed) for the intermediate phase and (model, arm, seed, target) for the
target phase; its identity is its path. Each cell's resolved settings travel to its rule as one
canonical JSON string (sorted keys), so Snakemake's params trigger reruns exactly the changed
cells. The Snakefile builds every target path from here; scripts never read the config.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, validators

from xstilts import tasks as task_registry
from xstilts.benchmarks import BENCHMARKS
from xstilts.data.sources import DATA_ROOTS, LOCAL_PREFIX
from xstilts.errors import UserError

BASELINE, MULTITASK = "baseline", "multitask"
# arms whose training data are read by language: a task's translated copies, or masked-LM text
LANGUAGE_SECTIONS = ("translated", "mlm")
MLM_TASK = "mlm"
# research arm names: a sequence joins its stages with "-" (task names have none), a stage
# with a budget other than its task's own setting is "task@budget" (steps, or epochs "0.5ep")
STAGE_SEP, BUDGET_SEP = "-", "@"
BASELINE_AT_0 = f"{BASELINE}{BUDGET_SEP}0"  # budget 0 on the budget axis: the pretrained encoder
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


class ConfigError(UserError):
    """A user error in the config: the message is one sentence naming the key and the fix."""


# PyYAML reads YAML 1.1, where 1e-3 (no dot) is a string, not a number: taken as the number
# the user meant wherever the schema asks for one
_EXPONENT_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _numeric(schema: dict) -> bool:
    types = schema.get("type", ())
    return "number" in ([types] if isinstance(types, str) else types)


def _with_defaults(cls):
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
                value = instance.get(name)
                if isinstance(value, str) and _numeric(sub) and _EXPONENT_NUMBER.fullmatch(value):
                    instance[name] = float(value)
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_Validator = _with_defaults(Draft202012Validator)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def validate(config: dict, schema_path: str | Path, check_local: bool = True) -> dict:
    """Check the config against the JSON schema, fill defaults, check tasks and languages.

    Raises ConfigError with one sentence naming the offending key.
    """
    config = copy.deepcopy(config)
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = list(_Validator(schema).iter_errors(config))
    if errors:
        # the deepest error names the most specific key; oneOf/allOf wrappers are less useful
        err = max(errors, key=lambda e: (len(e.absolute_path), -len(e.context)))
        while err.context:
            err = max(err.context, key=lambda e: len(e.absolute_path))
        message = err.message
        if err.validator == "oneOf":
            options = [" ".join(s.get("required", [])) for s in err.validator_value]
            message = f"set exactly one of: {', '.join(options)}"
        if err.validator == "required" and not err.absolute_path:
            missing = [k for k in err.validator_value if k not in config]
            raise ConfigError(
                f"the config has no {' and no '.join(repr(k) for k in missing)}: a config file "
                "given with --configfile replaces config/config.yaml instead of adding to it, so "
                "it describes the whole grid; start from a copy of config/config.yaml (or "
                "config/quickstart.yaml) and edit it, or change single keys with --config"
            )
        raise ConfigError(
            f"config key '{_key(err.absolute_path)}': {message}; "
            "fix it in your config file (every key is explained in config/README.md)"
        )
    # a second pass: the defaults filled in the first pass are validated too
    for err in _Validator(schema).iter_errors(config):
        raise ConfigError(f"config key '{_key(err.absolute_path)}': {err.message}")
    for section in ("intermediate", "targets"):
        for name, settings in config[section].items():
            settings.setdefault("max_seq_length", task_registry.get(name).default_max_seq_length)
    _check_models(config)
    sections = [(f"intermediate.{n}", s) for n, s in config["intermediate"].items()]
    sections += [(f"targets.{n}", s) for n, s in config["targets"].items()]
    sections.append(("multitask", config["multitask"]))
    for key, settings in sections:
        if settings["batch_size"] % settings["gradient_accumulation_steps"]:
            raise ConfigError(
                f"config key '{key}.batch_size': {settings['batch_size']} is not a multiple of "
                f"gradient_accumulation_steps ({settings['gradient_accumulation_steps']}); the "
                "micro-batch is batch_size / gradient_accumulation_steps, so make it divide"
            )
    if {"bucc2018", "bucc2018_mteb"} <= set(config["retrieval"]):
        raise ConfigError(
            "config key 'retrieval': bucc2018 and bucc2018_mteb both score BUCC 2018; keep one "
            "(bucc2018 reads the release files with a dev set, bucc2018_mteb the Hub copy)"
        )
    evaluated = [("targets", t, s) for t, s in config["targets"].items()]
    evaluated += [("retrieval", t, s) for t, s in config["retrieval"].items()]
    for section, target, settings in evaluated:
        task = task_registry.get(target)
        known = task.all_languages
        # default: the task's own languages, and those of its more_languages that a benchmark
        # the summary reports tests (XTREME-R's PAN-X adds pl, uk, ...)
        reported = {
            lang
            for name in config["benchmarks"]
            for lang in BENCHMARKS[name].languages.get(task.xtreme_name, ())
        }
        langs = settings.get(
            "languages", [lang for lang in known if lang in task.languages or lang in reported]
        )
        unknown = [lang for lang in langs if lang not in known]
        if unknown:
            raise ConfigError(
                f"config key '{section}.{target}.languages': {', '.join(unknown)} "
                f"{'is' if len(unknown) == 1 else 'are'} not {target} test language(s); "
                f"choose from {' '.join(known)}"
            )
        settings["languages"] = [lang for lang in known if lang in langs]  # canonical order
    arms = Grid(config).arms
    for choice in config["submission"]["arms"]:
        if choice != "best" and choice not in arms:
            raise ConfigError(
                f"config key 'submission.arms': {choice} is not an arm of this grid; use best "
                f"or one of {', '.join(arms)}"
            )
    _check_research_arms(config)
    _check_robustness(config, arms)
    _check_similarity(config, arms)
    if check_local:
        missing = missing_local_data(config)
        if missing:
            raise ConfigError(local_data_message(missing))
    return config


HUB_ID = re.compile(r"[^/\s]+/[^/\s]+")


def is_model_folder(hub_id: str) -> bool:
    """A models.<name>.hub_id that names a folder on this machine (a downloaded copy) rather
    than a Hub repository (owner/name)."""
    return hub_id.startswith(("/", "./", "../", "~")) or Path(hub_id).expanduser().is_dir()


def _check_models(config: dict) -> None:
    """Each model: a Hub id or a model folder; a demo model's shape; no max_seq_length above what
    a demo model's positions hold (a Hub model's are checked when its features are prepared)."""
    for name, spec in config["models"].items():
        key = f"config key 'models.{name}"
        if "hub_id" in spec:
            hub_id = spec["hub_id"]
            if is_model_folder(hub_id):
                if not (Path(hub_id).expanduser() / "config.json").is_file():
                    raise ConfigError(
                        f"{key}.hub_id': the folder {hub_id} has no config.json; give a folder "
                        "that save_pretrained wrote (a model and its tokenizer), or a Hub id "
                        "such as FacebookAI/xlm-roberta-large"
                    )
            elif not HUB_ID.fullmatch(hub_id):
                raise ConfigError(
                    f"{key}.hub_id': {hub_id!r} is neither a Hub id (owner/name, e.g. "
                    "FacebookAI/xlm-roberta-large) nor a model folder (a path starting with / or "
                    "./); fix it"
                )
            continue
        demo = spec["demo"]
        hidden, heads = demo["hidden_size"], demo["num_attention_heads"]
        if hidden % heads:
            raise ConfigError(
                f"{key}.demo.hidden_size': {hidden} is not a multiple of num_attention_heads "
                f"({heads}); each head gets hidden_size / num_attention_heads dimensions, so make "
                "it divide"
            )
        limit = max_tokens(demo["max_position_embeddings"])
        for section in ("intermediate", "targets", "retrieval"):
            for task, settings in config[section].items():
                length = settings.get("max_seq_length", 0)
                if length > limit:
                    raise ConfigError(
                        f"config key '{section}.{task}.max_seq_length': {length} tokens do not "
                        f"fit model {name}, whose {demo['max_position_embeddings']} positions "
                        f"hold {limit} (XLM-R's two first positions are reserved); lower it or "
                        "raise the model's max_position_embeddings"
                    )


def max_tokens(max_position_embeddings: int) -> int:
    """The longest input an XLM-R-architecture model takes: its positions less the two that
    RoBERTa's position ids skip (padding_idx + 1 is the first)."""
    return max_position_embeddings - 2


def budget_value(budget: int | str) -> float:
    """A budget as a number: steps, or epochs for "<x>ep"."""
    return float(str(budget).removesuffix("ep"))


def _check_research_arms(config: dict) -> None:
    sequences, length = config["sequences"], config["training_length"]
    for key in ("orders", "permute"):
        for order in sequences[key]:
            missing = [t for t in order if t not in config["intermediate"]]
            if missing:
                raise ConfigError(
                    f"config key 'sequences.{key}': {missing[0]} in {'-'.join(order)} is not "
                    "under intermediate, whose entry gives each stage its training settings; "
                    "add it there"
                )
    for task in length["budgets"]:
        if task not in config["intermediate"]:
            raise ConfigError(
                f"config key 'training_length.budgets.{task}': {task} is not under intermediate, "
                "whose entry gives the budgets' other training settings; add it there"
            )
    length.setdefault("targets", ["xnli"] if "xnli" in config["targets"] else [])
    for key in ("sequences", "training_length"):
        for target in config[key].setdefault("targets", list(config["targets"])):
            if target not in config["targets"]:
                raise ConfigError(
                    f"config key '{key}.targets': {target} is not a target of this grid; add it "
                    f"under targets or remove it (targets: {', '.join(config['targets'])})"
                )
    if length["budgets"] and not length["targets"]:
        raise ConfigError(
            "config key 'training_length.targets': the budget axis needs a target (the default, "
            "xnli, is not in this grid); name one of " + ", ".join(config["targets"])
        )
    curve = length["curve"]
    if length["budgets"] and "languages" in curve:
        for target in length["targets"]:
            known = task_registry.get(target).languages
            unknown = [lang for lang in curve["languages"] if lang not in known]
            if unknown:
                raise ConfigError(
                    f"config key 'training_length.curve.languages': {unknown[0]} is not a "
                    f"language of {target}; choose from {' '.join(known)}"
                )
    _check_language_arms(config)


def _check_language_arms(config: dict) -> None:
    """The translated and mlm arms: names, tasks, languages (put in canonical order; English
    first) and targets (default all)."""
    taken = {BASELINE, MULTITASK, *task_registry.REGISTRY}
    for section in LANGUAGE_SECTIONS:
        for arm, spec in config[section].items():
            key = f"config key '{section}.{arm}'"

            def sub(name: str, prefix: str = f"{section}.{arm}") -> str:
                return f"config key '{prefix}.{name}'"

            if arm in taken:
                raise ConfigError(
                    f"{key}: {arm} is already the name of a task or arm; give this arm another name"
                )
            taken.add(arm)
            task = task_registry.get(spec["task"])
            if task.name not in config["intermediate"]:
                raise ConfigError(
                    f"{key}: {task.name} is not under intermediate, whose entry gives this arm "
                    "its training settings; add it there"
                )
            if section == "translated":
                data, known = task, ("en", *task.source_languages)
                if len(known) == 1:
                    raise ConfigError(
                        f"{key}: {task.name} has no translated training data; use a task that "
                        "has (mnli: XNLI's machine-translated MNLI; squad_v1: XTREME's "
                        "translate-train SQuAD, from data.local.squad_translate_train)"
                    )
            else:
                data = task_registry.get(MLM_TASK)
                known = data.source_languages
            for lang in spec["languages"]:
                if lang not in known:
                    raise ConfigError(
                        f"{sub('languages')}: {data.name} has no training data in {lang}; "
                        "choose from " + " ".join(known)
                    )
            order = ["en", *(lang for lang in known if lang != "en")]
            spec["languages"] = [lang for lang in order if lang in spec["languages"]]
            spec.setdefault("targets", list(config["targets"]))
            for target in spec["targets"]:
                if target not in config["targets"]:
                    raise ConfigError(
                        f"{sub('targets')}: {target} is not a target of this grid; add it under "
                        f"targets or remove it (targets: {', '.join(config['targets'])})"
                    )


def _check_robustness(config: dict, arms: list[str]) -> None:
    from xstilts import perturb

    section = config["robustness"]
    for target in section["targets"]:
        if target not in config["targets"]:
            raise ConfigError(
                f"config key 'robustness.targets': {target} is not a target of this grid; add "
                f"it under targets or remove it (targets: {', '.join(config['targets'])})"
            )
    for arm in section.setdefault("arms", list(arms)):
        if arm not in arms:
            raise ConfigError(
                f"config key 'robustness.arms': {arm} is not an arm of this grid; use one of "
                f"{', '.join(arms)}"
            )
    for name, spec in section["perturbations"].items():
        if name == "adversarial":
            raise ConfigError(
                "config key 'robustness.perturbations.adversarial': the name is the attack's "
                "(robustness.adversarial); give this perturbation another name"
            )
        ops = perturb.CHAR_OPS if spec["level"] == "char" else perturb.WORD_OPS
        if spec["op"] not in ops:
            raise ConfigError(
                f"config key 'robustness.perturbations.{name}.op': {spec['op']} is not a "
                f"{spec['level']}-level operation; use one of {', '.join(ops)}"
            )


def _check_similarity(config: dict, arms: list[str]) -> None:
    if not config["similarity"]["enabled"]:
        return
    if BASELINE not in arms:
        raise ConfigError(
            "config key 'similarity.enabled': the analysis relates similarity to gains over the "
            "baseline arm, which this grid has not; set baseline: true or disable similarity"
        )
    tasks = Grid(config).similarity_tasks()
    if not config["intermediate"] or len(tasks) < 3:
        raise ConfigError(
            "config key 'similarity.enabled': it needs at least one task in intermediate and "
            f"three tasks in all (intermediate and targets; this grid has {len(tasks)}), as "
            "similarities are centred on the tasks' mean; add tasks or disable similarity"
        )


def missing_local_data(config: dict) -> list[str]:
    """The datasets the grid reads from data.local.<name> (not served by the Hub as it needs
    them) whose folder is not set or lacks a file: one line each, with where to get it and what
    to drop instead. Empty when all are there, or for the demo (it writes its own copies)."""
    from xstilts.data.local import LOCAL_DATASETS, split_files

    if config["data"]["source"] != "hub":
        return []
    needed: dict[str, tuple[str, list[str]]] = {}  # local name → (a task reading it, files)
    retrieval = set(config["retrieval"])
    grid = Grid(config)
    used = [
        (t, s)
        for t in grid.tasks_used()
        for ss in task_registry.get(t).splits(grid.test_languages(t)).values()
        for s in ss
    ]
    by_language = [
        (t, task_registry.get(t).language_source(lang)) for t, lang in grid.language_data_used()
    ]
    used += by_language
    # local name → the languages of training data by language read from it (not masked-LM text)
    translated: dict[str, list[str]] = {}
    for t, src in by_language:
        if src.is_local and t != MLM_TASK:
            translated.setdefault(src.local_name, []).append(src.language)
    languages: dict[str, list[str]] = {}  # local name → the test languages read from it
    for task_name, src in used:
        if src.is_local:
            files = needed.setdefault(src.local_name, (task_name, []))[1]
            files.extend(f for f in src.local_files if f not in files)
            if (
                task_name in config["targets"]
                and src.language not in task_registry.get(task_name).languages
            ):
                languages.setdefault(src.local_name, []).append(src.language)
    lines = []
    for name, (task_name, files) in needed.items():
        key, directory = f"data.local.{name}", config["data"]["local"].get(name)
        if name in languages:
            instead = (
                f"leave {' '.join(dict.fromkeys(languages[name]))} out of "
                f"targets.{task_name}.languages (a grid whose benchmarks include xtreme-r "
                "evaluates them unless the list says otherwise)"
            )
        elif task_name in retrieval:
            instead = (
                f"replace retrieval.{task_name} by retrieval.{task_name}_mteb (the Hub's copy, "
                "which has no dev set, so its threshold is an oracle one)"
            )
        elif task_name == MLM_TASK:
            instead = "remove the mlm arms (or the languages without a file)"
        elif task_name in config["targets"]:
            instead = f"remove {task_name} from targets"
        elif name in translated:
            instead = (
                f"leave {' '.join(dict.fromkeys(translated[name]))} out of the languages of the "
                f"translated arms of {task_name}"
            )
        else:
            instead = f"remove {task_name} from intermediate and multitask.tasks"
        source = LOCAL_DATASETS[name]
        if not directory:
            problem = "is not set"
        else:
            # a file name, or a pattern (a UD release names files by treebank)
            missing = [f for f in files if not split_files(directory, (f,))]
            if not missing:
                continue
            problem = f"names {directory}, which has no {missing[0]}"
        lines.append(
            f"{key} ({source.what}; {task_name} reads {', '.join(files)}) {problem}: "
            f"{source.where}; or {instead}"
        )
    return lines


def local_data_message(lines: list[str]) -> str:
    """One message for every missing local dataset."""
    return (
        f"this grid reads {len(lines)} dataset(s) that the Hugging Face Hub does not serve as it "
        "needs them, and did not find them; set each data.local key to a folder holding its "
        "files (formats in config/README.md) or drop what reads it (`snakemake --cores 1 fetch` "
        "stages everything else meanwhile):\n" + "\n".join(f"  - {line}" for line in lines)
    )


def read_config(path: str | Path) -> dict:
    """A config file's contents; a YAML error names the file and the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; give the path of one") from None
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(
            f"config file {path} is not valid YAML at{where or ' some line'}: {problem}; fix the "
            "indentation or the brackets there (a value with a colon or # needs quotes)"
        ) from None
    if not isinstance(config, dict):
        raise ConfigError(
            f"config file {path} holds no keys; describe the grid as in config/config.yaml"
        )
    return config


def load(path: str | Path, schema_path: str | Path, check_local: bool = True) -> dict:
    return validate(read_config(path), schema_path, check_local)


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


@dataclass
class Grid:
    config: dict  # validated, defaults filled

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

    def budget_arm(self, task: str, budget: int | str) -> str:
        """The arm of ``task`` trained for ``budget``: ``task@budget``, or ``baseline@0`` for
        0 (the pretrained encoder, the same for every task). Budget arms are always research
        arms, so editing the axis never changes a main-grid cell."""
        if budget_value(budget) == 0:
            return BASELINE_AT_0
        return f"{task}{BUDGET_SEP}{budget}"

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

    def language_dirs(self, model: str, arm: str) -> list[str]:
        """The prepared training data by language an arm reads (none for most arms)."""
        return [self.language_dir(model, task, lang) for task, lang in self._language_sets(arm)]

    @staticmethod
    def language_dir(model: str, task: str, language: str) -> str:
        return f"results/features/{model}/by_language/{task}.{language}"

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

    @staticmethod
    def stages(arm: str) -> list[str]:
        return arm.split(STAGE_SEP)

    @classmethod
    def last_stage(cls, arm: str) -> tuple[str, str]:
        """The task of the arm's last stage and its budget ("" for the task's own setting)."""
        task, _, budget = cls.stages(arm)[-1].partition(BUDGET_SEP)
        return task, budget

    @classmethod
    def parent_arm(cls, arm: str) -> str | None:
        """The arm whose encoder a sequence's last stage starts from (None: the pretrained)."""
        stages = cls.stages(arm)
        return STAGE_SEP.join(stages[:-1]) if len(stages) > 1 else None

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

    @property
    def retrieval_targets(self) -> list[str]:
        return list(self.config["retrieval"])

    @property
    def data_kind(self) -> str:
        return self.config["data"]["source"]

    @property
    def data_root(self) -> str:
        return DATA_ROOTS[self.data_kind]

    def local_dir(self, name: str) -> str:
        """The user's directory of a local dataset (checked by the validation when used)."""
        return self.config["data"]["local"][name]

    # ---- models ----
    def model_spec(self, model: str) -> dict:
        return self.config["models"][model]

    def is_demo_model(self, model: str) -> bool:
        return "demo" in self.model_spec(model)

    @staticmethod
    def model_dir(model: str) -> str:
        return f"resources/models/{model}"

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

    @staticmethod
    def features_dir(model: str, task: str) -> str:
        return f"results/features/{model}/{task}"

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

    def prepare_params(self, model: str, task: str, language: str | None = None) -> str:
        spec = {"task": task, "max_seq_length": self.max_seq_length(task), "data": self.data_kind}
        rule = task_registry.get(task).validation_rule
        if rule and language is None:  # a held-out validation split (TyDiQA)
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
        training = self.fit_micro_batch(model, cell["training"])
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

    def fit_micro_batch(self, model: str, training: dict) -> dict:
        """``training`` with as many gradient accumulation steps as the model's
        micro_batch_size needs (the fewest that divide batch_size into micro-batches no larger),
        never fewer than the settings ask; unchanged for a model without the limit."""
        limit = self.config["models"].get(model, {}).get("micro_batch_size")
        batch, accum = training["batch_size"], training["gradient_accumulation_steps"]
        if limit is None or batch // accum <= limit:
            return training
        steps = next(d for d in range(accum, batch + 1) if batch % d == 0 and batch // d <= limit)
        return training | {"gradient_accumulation_steps": steps}

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
        cell["training"] = self.fit_micro_batch(model, cell["training"])
        curve = self.curve_spec(arm, target)
        return cell | {"curve": curve} if curve else cell

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

    # ---- robustness ----
    def robustness_cell(self, model: str, arm: str, seed: int, target: str) -> dict:
        section = self.config["robustness"]
        return self.evaluation_cell(model, arm, seed, target) | {
            "max_seq_length": self.max_seq_length(target),
            "max_examples": section["max_examples"],
            "perturbation_seed": section["seed"],
            "perturbations": section["perturbations"],
            "adversarial": section["adversarial"],
            "data": self.data_kind,
        }

    def robustness_files(self) -> list[str]:
        section = self.config["robustness"]
        return [
            f"results/robustness/{m}/{a}/seed{s}/{t}.json"
            for m in self.models
            for a in section["arms"]
            for s in self.seeds
            for t in section["targets"]
        ]

    # ---- task similarity ----
    def similarity_tasks(self) -> list[str]:
        """The tasks embedded: every single-task arm's and every fine-tuned target."""
        return sorted(set(self.config["intermediate"]) | set(self.targets))

    def similarity_cell(self, model: str) -> dict:
        return {
            "model": model,
            "layer": self.retrieval_layer(model),
            "examples": self.config["similarity"]["examples"],
            "precision": self.config["precision"],
            "features": {t: self.features_dir(model, t) for t in self.similarity_tasks()},
        }

    def similarity_files(self) -> list[str]:
        if not self.config["similarity"]["enabled"]:
            return []
        return [f"results/similarity/{m}.csv" for m in self.models]

    # ---- paths ----
    def encoder_dir(self, model: str, arm: str, seed: int | str) -> str:
        """The arm's encoder: the pretrained model itself for the baseline (no copy, no job);
        a budget arm may use another arm's (``encoder_arm``)."""
        arm = self.encoder_arm(arm)
        if arm == BASELINE:
            return self.model_dir(model)
        return f"results/intermediate/{model}/{arm}/seed{seed}/model"

    def resource_files(self) -> list[str]:
        """Every model directory and Hub dataset file the grid reads: what `snakemake fetch`
        stages (a dataset read from data.local is imported by the run that needs it)."""
        from xstilts.features import source_paths

        data = {
            p
            for t in self.tasks_used()
            for p in source_paths(t, self.data_kind, more_languages=self.more_languages(t))
        }
        for task, lang in self.language_data_used():
            data.update(source_paths(task, self.data_kind, lang))
        local = f"{DATA_ROOTS[self.data_kind]}/{LOCAL_PREFIX}"
        return [self.model_dir(m) for m in self.models] + sorted(
            p for p in data if not p.startswith(local)
        )

    def local_source(self, name: str, subset: str, split: str) -> dict:
        """What an import of a local dataset's split reads: the user's folder and a digest of
        the files of it that the split reads (the import reruns when their content changes)."""
        from xstilts.data.local import content_digest

        _, source = task_registry.all_sources()[f"{LOCAL_PREFIX}{name}/{subset}/{split}"]
        directory = self.local_dir(name)
        files = source.local_files + source.local_optional
        return {"directory": directory, "content": content_digest(directory, files)}

    def scores_files(self) -> list[str]:
        return [
            self.scores_file(m, a, s, t)
            for m in self.models
            for a in self.arms
            for s in self.seeds
            for t in self.targets + self.retrieval_targets
        ]

    @staticmethod
    def scores_file(model: str, arm: str, seed: int | str, target: str) -> str:
        return f"results/eval/{model}/{arm}/seed{seed}/scores/{target}.json"

    def research_cells(self, arms: list[str], targets: list[str]) -> list[dict]:
        """Per (model, arm, seed, target) of these arms on these targets: the score file, its
        per-example statistics and the target model directory (main-grid arms included)."""
        cells = set(self.target_cells())
        return [
            {
                "model": m,
                "arm": a,
                "seed": s,
                "target": t,
                "scores": self.scores_file(m, a, s, t),
                "examples": self.examples_file(self.scores_file(m, a, s, t)),
                "model_dir": self.target_model_dir(m, a, s, t),
            }
            for m in self.models
            for a in arms
            for s in self.seeds
            for t in targets
            if (a, t) in cells
        ]

    def example_files(self) -> list[str]:
        """The per-example statistics of every score file (same order), for bootstrap CIs."""
        return [self.examples_file(f) for f in self.scores_files()]

    @staticmethod
    def examples_file(scores_file: str) -> str:
        return scores_file.replace("/scores/", "/examples/").removesuffix(".json") + ".parquet"

    # ---- labels and submissions (XTREME layout) ----
    @property
    def evaluated_targets(self) -> list[str]:
        return self.targets + self.retrieval_targets

    def languages(self, target: str) -> list[str]:
        section = "retrieval" if target in self.config["retrieval"] else "targets"
        return self.config[section][target]["languages"]

    def labels_spec(self) -> dict:
        """target → (features dir of the first model, languages): gold does not depend on
        the model's tokenizer."""
        model = self.models[0]
        return {
            t: {"features": self.features_dir(model, t), "languages": self.languages(t)}
            for t in self.evaluated_targets
        }

    def predictions_dir(self, model: str, arm: str, seed: int | str, target: str) -> str:
        return f"results/eval/{model}/{arm}/seed{seed}/predictions/{target}"

    def validation_file(self, model: str, arm: str, seed: int | str, target: str) -> str:
        """Where an arm's validation score on a target is: the training summary of a trained
        target (in its model directory), the score file (BUCC's dev scores) of a retrieval
        task."""
        if target in self.config["retrieval"]:
            return f"results/eval/{model}/{arm}/seed{seed}/scores/{target}.json"
        return f"{self.target_model_dir(model, arm, seed, target)}/train_summary.json"

    def validation_input(self, model: str, arm: str, seed: int | str, target: str) -> str:
        """The job output that holds ``validation_file`` (a file, or the model directory)."""
        if target in self.config["retrieval"]:
            return self.validation_file(model, arm, seed, target)
        return self.target_model_dir(model, arm, seed, target)

    @staticmethod
    def target_model_dir(model: str, arm: str, seed: int | str, target: str) -> str:
        return f"results/target/{model}/{arm}/seed{seed}/{target}/model"

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

    def submission_files(self) -> list[str]:
        return ["results/labels"] + [
            f"results/submission/{m}/seed{s}/{choice}.zip"
            for m in self.models
            for s in self.seeds
            for choice in self.config["submission"]["arms"]
        ]


# The aggregation's outputs: rule output name → file under results/summary/.
SUMMARY_DIR = "results/summary"
SUMMARY_FILES = {
    "long_parquet": "scores_long.parquet",
    "long_csv": "scores_long.csv",
    "table_csv": "arm_target.csv",
    "table_md": "arm_target.md",
    "table_tex": "arm_target.tex",
    "metrics_csv": "arm_target_metrics.csv",
    "best_csv": "best_per_target.csv",
    "gains_ci_csv": "gains_ci.csv",
    "gains_parquet": "gains_by_language.parquet",
    "gains_csv": "gains_by_language.csv",
    "heatmap": "gains_heatmap.png",
    "family_csv": "gains_by_family.csv",
    "family_heatmap": "gains_by_family.png",
    "benchmarks_csv": "benchmarks.csv",
    "overview": "overview.html",  # the report's first screen: the table and the heatmap
}


def summary_outputs(targets: list[str] = ()) -> dict[str, str]:
    """Every summary file by name, plus one per-language gain figure per target
    (``language_gains_<target>``, as xstilts.aggregate.summarize names them)."""
    out = {name: f"{SUMMARY_DIR}/{file}" for name, file in SUMMARY_FILES.items()}
    for target in targets:
        out[f"language_gains_{target}"] = f"{SUMMARY_DIR}/language_gains/{target}.png"
    return out
