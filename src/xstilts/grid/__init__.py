"""The experiment grid: a validated config → cells, their settings and their paths.

A cell is (model, arm, seed) for the intermediate phase and (model, arm, seed, target) for the
target phase; its identity is its path. Each cell's resolved settings travel to its rule as one
canonical JSON string (sorted keys), so Snakemake's params trigger reruns exactly the changed
cells. The workflow builds every target path from here; scripts never read the config.

- ``config``: reading and validating a config (the schema is ``schema.yaml`` beside it);
  ``defaults``: the defaults that depend on other keys, filled into a new config;
  ``checks``: what the schema cannot say (they only check).
- ``arms``: the arm-name grammar (stages, ``@`` budgets), as pure functions.
- ``Grid`` (``grid``): the validated config and its axes, resolved once by ``resolve``
  (``resolved``). Plain functions take it first, in modules that import one way:
  ``axes`` (an arm's tasks and languages, a target's settings) ← ``files`` (each cell's paths,
  what each rule reads and what ``rule all`` asks for) ← ``cells`` (each rule's params, the
  rerun contract).
- ``paths``: every path pattern, which the rules use too.
"""

from __future__ import annotations

from xstilts.errors import ConfigError
from xstilts.features import max_tokens
from xstilts.grid.arms import (
    BASELINE,
    BASELINE_AT_0,
    BUDGET_SEP,
    LANGUAGE_SECTIONS,
    MLM_TASK,
    MULTITASK,
    STAGE_SEP,
    budget_value,
)
from xstilts.grid.cells import TRAINING_KEYS, canonical
from xstilts.grid.checks import is_model_folder, local_data_message, missing_local_data
from xstilts.grid.config import SCHEMA, load, read_config, validate
from xstilts.grid.grid import Grid
from xstilts.grid.paths import SUMMARY_DIR, SUMMARY_FILES, summary_outputs
from xstilts.grid.resolved import resolve

__all__ = [
    "BASELINE",
    "BASELINE_AT_0",
    "BUDGET_SEP",
    "LANGUAGE_SECTIONS",
    "MLM_TASK",
    "MULTITASK",
    "SCHEMA",
    "STAGE_SEP",
    "SUMMARY_DIR",
    "SUMMARY_FILES",
    "TRAINING_KEYS",
    "ConfigError",
    "Grid",
    "budget_value",
    "canonical",
    "is_model_folder",
    "load",
    "local_data_message",
    "max_tokens",
    "missing_local_data",
    "read_config",
    "resolve",
    "summary_outputs",
    "validate",
]
