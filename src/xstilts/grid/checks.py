"""What a schema cannot say about a config: tasks and their languages, arms, models and the
datasets read from data.local; each check raises ConfigError naming the key and the fix, and
changes nothing (the defaults the checks rely on are filled before, by ``defaults.filled``)."""

from __future__ import annotations

import re
from pathlib import Path

from xstilts import tasks as task_registry
from xstilts.errors import ConfigError
from xstilts.features import max_tokens
from xstilts.grid import axes
from xstilts.grid.arms import BASELINE, LANGUAGE_SECTIONS, MLM_TASK, MULTITASK
from xstilts.grid.resolved import main_arms, resolve


def check(config: dict) -> None:
    """Every cross-check of a schema-valid config whose defaults are filled
    (``defaults.filled``); raises ConfigError for the first that fails."""
    _check_models(config)
    _check_batches(config)
    if {"bucc2018", "bucc2018_mteb"} <= set(config["retrieval"]):
        raise ConfigError(
            "config key 'retrieval': bucc2018 and bucc2018_mteb both score BUCC 2018; keep one "
            "(bucc2018 reads the release files with a dev set, bucc2018_mteb the Hub copy)"
        )
    _check_languages(config)
    _check_micro_batches(config)
    arms = main_arms(config)
    for choice in config["submission"]["arms"]:
        if choice != "best" and choice not in arms:
            raise ConfigError(
                f"config key 'submission.arms': {choice} is not an arm of this grid; use best "
                f"or one of {', '.join(arms)}"
            )
    _check_research_arms(config)
    _check_robustness(config, arms)
    _check_similarity(config, arms)


def _check_batches(config: dict) -> None:
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


def _check_micro_batches(config: dict) -> None:
    """A model's micro_batch_size table is keyed by GPU memory in GiB (numbers)."""
    for name, spec in config["models"].items():
        table = spec.get("micro_batch_size")
        if not isinstance(table, dict):
            continue
        for gib in table:
            try:
                float(gib)
            except ValueError:
                raise ConfigError(
                    f"config key 'models.{name}.micro_batch_size': {gib!r} is not a GPU memory "
                    "in GiB; key each entry by the least memory it needs, e.g. {75: 32, 0: 4}"
                ) from None


def _check_languages(config: dict) -> None:
    """Each evaluated target's languages: known ones (defaults.filled put them in canonical
    order, and wrote the default: the task's own and those a reported benchmark adds)."""
    evaluated = [("targets", t, s) for t, s in config["targets"].items()]
    evaluated += [("retrieval", t, s) for t, s in config["retrieval"].items()]
    for section, target, settings in evaluated:
        known = task_registry.get(target).all_languages
        unknown = [lang for lang in settings["languages"] if lang not in known]
        if unknown:
            raise ConfigError(
                f"config key '{section}.{target}.languages': {', '.join(unknown)} "
                f"{'is' if len(unknown) == 1 else 'are'} not {target} test language(s); "
                f"choose from {' '.join(known)}"
            )


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
    for key in ("sequences", "training_length"):
        for target in config[key]["targets"]:
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
    """The translated and mlm arms: names, tasks, languages and targets."""
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
            for target in spec["targets"]:
                if target not in config["targets"]:
                    raise ConfigError(
                        f"{sub('targets')}: {target} is not a target of this grid; add it under "
                        f"targets or remove it (targets: {', '.join(config['targets'])})"
                    )


def _check_robustness(config: dict, arms: list[str]) -> None:
    from xstilts.data import perturb

    section = config["robustness"]
    for target in section["targets"]:
        if target not in config["targets"]:
            raise ConfigError(
                f"config key 'robustness.targets': {target} is not a target of this grid; add "
                f"it under targets or remove it (targets: {', '.join(config['targets'])})"
            )
    for arm in section["arms"]:
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
    tasks = sorted(set(config["intermediate"]) | set(config["targets"]))  # axes.similarity_tasks
    if not config["intermediate"] or len(tasks) < 3:
        raise ConfigError(
            "config key 'similarity.enabled': it needs at least one task in intermediate and "
            f"three tasks in all (intermediate and targets; this grid has {len(tasks)}), as "
            "similarities are centred on the tasks' mean; add tasks or disable similarity"
        )


def _local_reads(config: dict) -> tuple[dict, dict, dict]:
    """What the grid reads from data.local: local name → (a task reading it, its files);
    local name → the test languages read from it beyond its target's own; local name → the
    languages of training data by language read from it (not masked-LM text)."""
    grid = resolve(config)
    used = [
        (t, s)
        for t in axes.tasks_used(grid)
        for ss in task_registry.get(t).splits(axes.test_languages(grid, t)).values()
        for s in ss
    ]
    by_language = [
        (t, task_registry.get(t).language_source(lang)) for t, lang in axes.language_data_used(grid)
    ]
    used += by_language
    translated: dict[str, list[str]] = {}
    for t, src in by_language:
        if src.is_local and t != MLM_TASK:
            translated.setdefault(src.local_name, []).append(src.language)
    needed: dict[str, tuple[str, list[str]]] = {}
    languages: dict[str, list[str]] = {}
    for task_name, src in used:
        if src.is_local:
            files = needed.setdefault(src.local_name, (task_name, []))[1]
            files.extend(f for f in src.local_files if f not in files)
            if (
                task_name in config["targets"]
                and src.language not in task_registry.get(task_name).languages
            ):
                languages.setdefault(src.local_name, []).append(src.language)
    return needed, languages, translated


def _instead(config: dict, name: str, task_name: str, languages: dict, translated: dict) -> str:
    """What a grid without local dataset ``name`` (read by ``task_name``) drops instead."""
    if name in languages:
        return (
            f"leave {' '.join(dict.fromkeys(languages[name]))} out of "
            f"targets.{task_name}.languages (a grid whose benchmarks include xtreme-r "
            "evaluates them unless the list says otherwise)"
        )
    if task_name in config["retrieval"]:
        return (
            f"replace retrieval.{task_name} by retrieval.{task_name}_mteb (the Hub's copy, "
            "which has no dev set, so its threshold is an oracle one)"
        )
    if task_name == MLM_TASK:
        return "remove the mlm arms (or the languages without a file)"
    if task_name in config["targets"]:
        return f"remove {task_name} from targets"
    if name in translated:
        return (
            f"leave {' '.join(dict.fromkeys(translated[name]))} out of the languages of the "
            f"translated arms of {task_name}"
        )
    return f"remove {task_name} from intermediate and multitask.tasks"


def missing_local_data(config: dict) -> list[str]:
    """The datasets the grid reads from data.local.<name> (not served by the Hub as it needs
    them) whose folder is not set or lacks a file: one line each, with where to get it and what
    to drop instead. Empty when all are there, or for the demo (it writes its own copies)."""
    from xstilts.data.local import LOCAL_DATASETS, split_files

    if config["data"]["source"] != "hub":
        return []
    needed, languages, translated = _local_reads(config)
    lines = []
    for name, (task_name, files) in needed.items():
        key, directory = f"data.local.{name}", config["data"]["local"].get(name)
        source = LOCAL_DATASETS[name]
        instead = source.instead or _instead(config, name, task_name, languages, translated)
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


# the wildcards a target path names, by path pattern (xstilts.grid.paths): a segment naming no
# model, arm or target of the grid matches no rule, and Snakemake says only MissingRuleException
_CELL_PATH = re.compile(
    r"results/(?:checkpoints/)?(?P<kind>intermediate|target|eval|robustness)/(?P<model>[^/]+)"
    r"(?:/(?P<arm>[^/]+)(?:/seed(?P<seed>[^/]*)(?:/(?P<rest>.*))?)?)?"
)
_MODEL_PATH = re.compile(r"results/(?:features|submission)/(?P<model>[^/]+)")
_TARGET_IN_REST = {  # where the target is in the part after seed<n>/, by kind
    "target": re.compile(r"(?P<target>[^/]+)(?:/.*)?"),
    "eval": re.compile(
        r"(?:scores|examples)/(?P<target>[^/]+)\.(?:json|parquet)"
        r"|predictions/(?P<ptarget>[^/]+)(?:/.*)?"
    ),
    "robustness": re.compile(r"(?P<target>[^/]+)\.json"),
}


def _unknown(what: str, name: str, path: str, known: list[str], configfiles: str) -> str:
    return (
        f"the target {path} names {what} '{name}', which is not in this grid"
        f"{f' ({configfiles})' if configfiles else ''}; its {what}s are {', '.join(known)}: "
        f"fix the path or add the {what} to the config (`xstilts check --config FILE` lists them)"
    )


def target_path_error(grid, target: str, configfiles: str = "") -> str | None:
    """One sentence when the output path ``target`` names a model, arm or target that is not in
    ``grid``; None when it names none or only known ones."""
    path = target.removeprefix("./")
    cell = _CELL_PATH.match(path)
    match = cell or _MODEL_PATH.match(path)
    if match is None:
        return None
    if match["model"] not in grid.models:
        return _unknown("model", match["model"], target, list(grid.models), configfiles)
    if cell is None or cell["arm"] is None:
        return None
    arms = list(grid.all_arms)
    if cell["kind"] != "intermediate":
        arms = list(dict.fromkeys([BASELINE, *arms]))
    if cell["arm"] not in arms:
        return _unknown("arm", cell["arm"], target, arms, configfiles)
    rule = _TARGET_IN_REST.get(cell["kind"])
    found = rule.fullmatch(cell["rest"]) if rule and cell["rest"] else None
    name = found and (found.groupdict().get("target") or found.groupdict().get("ptarget"))
    targets = list(dict.fromkeys([*grid.targets, *grid.retrieval_targets]))
    if name and name not in targets:
        return _unknown("target", name, target, targets, configfiles)
    return None


def _report_requested(argv: list[str]) -> bool:
    """--report without --report-after-run: a report of results that must exist already."""
    report = any(a == "--report" or a.startswith("--report=") for a in argv)
    return report and "--report-after-run" not in argv


def command_line_error(grid, argv: list[str], configfiles: str, outputs) -> str | None:
    """One sentence for what a snakemake command line asks of the grid and cannot get: a target
    path naming a model, arm or target that the grid lacks, or --report before the grid's
    results (``outputs()``, the default target's files) exist; None when there is none."""
    for arg in argv:
        if not arg.startswith("-") and "results/" in arg:
            message = target_path_error(grid, arg, configfiles)
            if message:
                return message
    if _report_requested(argv):
        missing = [str(p) for p in outputs() if not Path(p).exists()]
        if missing:
            configfile = f" --configfile {configfiles}" if configfiles else ""
            return (
                f"--report needs the grid's results, and {len(missing)} of them are not there "
                f"yet (the first: {missing[0]}); finish the grid first with `snakemake --cores "
                f"all{configfile}`, then run --report again (or add --report-after-run)"
            )
    return None
