"""The defaults a schema cannot write, filled into a new config before the checks: those that
depend on other keys (each task's max_seq_length, each target's languages, the research arms'
targets, the robustness arms) and the canonical order of the languages lists (English first in
an arm's). A value the checks refuse (an unknown language) is kept, at the end, for them to
name."""

from __future__ import annotations

import copy

from xstilts import tasks as task_registry
from xstilts.benchmarks import BENCHMARKS
from xstilts.grid.arms import LANGUAGE_SECTIONS, MLM_TASK
from xstilts.grid.resolved import main_arms


def filled(config: dict) -> dict:
    """A copy of a schema-valid config (its defaults filled) with what the defaults settle."""
    config = copy.deepcopy(config)
    for section in ("intermediate", "targets"):
        for name, settings in config[section].items():
            settings.setdefault("max_seq_length", task_registry.get(name).default_max_seq_length)
    _fill_languages(config)
    length = config["training_length"]
    length.setdefault("targets", ["xnli"] if "xnli" in config["targets"] else [])
    for key in ("sequences", "training_length"):
        config[key].setdefault("targets", list(config["targets"]))
    _fill_language_arms(config)
    config["robustness"].setdefault("arms", main_arms(config))
    return config


def _ordered(order: list[str] | tuple[str, ...], langs: list[str]) -> list[str]:
    """``langs`` in ``order``; those not in it after, as given."""
    return [lang for lang in order if lang in langs] + [lang for lang in langs if lang not in order]


def _fill_languages(config: dict) -> None:
    """Each evaluated target's languages, in canonical order; by default the task's own, and
    those a reported benchmark adds (XTREME-R's PAN-X adds pl, uk, ...)."""
    evaluated = [*config["targets"].items(), *config["retrieval"].items()]
    for target, settings in evaluated:
        task = task_registry.get(target)
        known = task.all_languages
        reported = {
            lang
            for name in config["benchmarks"]
            for lang in BENCHMARKS[name].languages.get(task.xtreme_name, ())
        }
        langs = settings.get(
            "languages", [lang for lang in known if lang in task.languages or lang in reported]
        )
        settings["languages"] = _ordered(known, langs)


def _fill_language_arms(config: dict) -> None:
    """The translated and mlm arms' languages in canonical order (English first), their targets
    by default every target."""
    for section in LANGUAGE_SECTIONS:
        for spec in config[section].values():
            if section == "translated":
                task = task_registry.get(spec["task"])
                known = ("en", *task.source_languages)
            else:
                known = task_registry.get(MLM_TASK).source_languages
            order = ["en", *(lang for lang in known if lang != "en")]
            spec["languages"] = _ordered(order, spec["languages"])
            spec.setdefault("targets", list(config["targets"]))
