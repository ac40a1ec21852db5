"""The config: read it, check it against the schema (defaults filled), and cross-check what a
schema cannot say (tasks, languages, arms, models, local data), before any job runs. Every
error is one sentence naming the key and the fix (``ConfigError``)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, validators

from xstilts.errors import ConfigError

SCHEMA = Path(__file__).with_name("schema.yaml")  # the JSON schema of a config, in YAML


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


def schema(path: str | Path = SCHEMA) -> dict:
    """The schema, its enums of task names filled from the task registry (one description of
    each task: its role says where a config may name it)."""
    from xstilts import tasks

    out = yaml.safe_load(Path(path).read_text())
    out["$defs"]["task_name"]["enum"] = list(tasks.INTERMEDIATE_TASKS)
    out["$defs"]["target_name"]["enum"] = list(
        tasks.TARGET_TASKS + tasks.XTREME_R_TARGETS + tasks.ALTERNATIVE_TARGETS
    )
    out["$defs"]["retrieval_name"]["enum"] = list(tasks.RETRIEVAL_TASKS)
    out["$defs"]["robust_target"]["enum"] = tasks.robustness_targets()
    return out


def _schema_error(err, config: dict) -> ConfigError:
    """One sentence for the most specific of the schema's errors."""
    # the deepest error names the most specific key; oneOf/allOf wrappers are less useful
    while err.context:
        err = max(err.context, key=lambda e: len(e.absolute_path))
    message = err.message
    if err.validator == "oneOf":
        options = [" ".join(s.get("required", [])) for s in err.validator_value]
        message = f"set exactly one of: {', '.join(options)}"
    if err.validator == "required" and not err.absolute_path:
        missing = [k for k in err.validator_value if k not in config]
        return ConfigError(
            f"the config has no {' and no '.join(repr(k) for k in missing)}: a config file "
            "given with --configfile replaces config/config.yaml instead of adding to it, so "
            "it describes the whole grid; start from a copy of config/config.yaml (or "
            "config/quickstart.yaml) and edit it, or change single keys with --config"
        )
    return ConfigError(
        f"config key '{_key(err.absolute_path)}': {message}; "
        "fix it in your config file (every key is explained in config/README.md)"
    )


def validate(config: dict, schema_path: str | Path | None = None, check_local: bool = True) -> dict:
    """Check the config against the JSON schema, fill defaults, check tasks and languages;
    ``check_local``: also that every dataset read from data.local is there.

    Raises ConfigError with one sentence naming the offending key.
    """
    from xstilts.grid import checks

    config = copy.deepcopy(config)
    rules = schema(schema_path or SCHEMA)
    errors = list(_Validator(rules).iter_errors(config))
    if errors:
        err = max(errors, key=lambda e: (len(e.absolute_path), -len(e.context)))
        raise _schema_error(err, config)
    # a second pass: the defaults filled in the first pass are validated too
    for err in _Validator(rules).iter_errors(config):
        raise ConfigError(f"config key '{_key(err.absolute_path)}': {err.message}")
    checks.check(config)
    if check_local:
        missing = checks.missing_local_data(config)
        if missing:
            raise ConfigError(checks.local_data_message(missing))
    return config


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


def load(path: str | Path, schema_path: str | Path | None = None, check_local: bool = True) -> dict:
    return validate(read_config(path), schema_path, check_local)
