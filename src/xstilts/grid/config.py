"""The config: read it, check it against the schema (defaults filled), and cross-check what a
schema cannot say (tasks, languages, arms, models, local data), before any job runs. Every
error is one sentence naming the key and the fix (``ConfigError``)."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, validators

from xstilts.errors import ConfigError

SCHEMA = Path(__file__).with_name("schema.yaml")  # the JSON schema of a config, in YAML


# PyYAML reads YAML 1.1, where 1e-3 (no dot) is a string, not a number; Snakemake's --config
# passes every number inside a list or a mapping (seeds=[1,2], intermediate={mnli: {...}}) as a
# string. Both are taken as the value the user meant wherever the schema asks for a number, an
# integer or a boolean and no string.
_INTEGER = re.compile(r"[-+]?\d+")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _types(sub, root: dict, depth: int = 0) -> set[str]:
    """The JSON types a subschema accepts, through its $ref and oneOf/anyOf/allOf branches."""
    if not isinstance(sub, dict) or depth > 20:
        return set()
    types = sub.get("type", ())
    out = {types} if isinstance(types, str) else set(types)
    ref = sub.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        out |= _types(node, root, depth + 1)
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in sub.get(key, ()):
            out |= _types(branch, root, depth + 1)
    return out


def _string_patterns(sub, root: dict, depth: int = 0) -> list[str] | None:
    """The patterns a string must match where the subschema takes a string (None: any string
    goes, or none is known)."""
    if not isinstance(sub, dict) or depth > 20:
        return None
    types = sub.get("type", ())
    if types == "string" or (isinstance(types, list) and "string" in types):
        return [sub["pattern"]] if "pattern" in sub else None
    patterns: list[str] = []
    ref = sub.get("$ref")
    branches = [b for key in ("oneOf", "anyOf") for b in sub.get(key, ())]
    if isinstance(ref, str) and ref.startswith("#/"):
        node = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        branches.append(node)
    for branch in branches:
        if "string" in _types(branch, root):
            found = _string_patterns(branch, root, depth + 1)
            if found is None:
                return None
            patterns += found
    return patterns or None


def _coerced(value, sub, root: dict):
    """``value`` as the number, boolean or null the subschema asks for, when it is a string
    that spells one and the subschema takes no such string; else unchanged."""
    if not isinstance(value, str):
        return value
    types = _types(sub, root)
    if "string" in types:
        patterns = _string_patterns(sub, root)
        if patterns is None or any(re.search(p, value) for p in patterns):
            return value
    text = value.strip()
    if "null" in types and text in ("null", "~", "None"):
        return None
    if types & {"integer", "number"} and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        return float(text)
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def _with_defaults(cls):
    validate_properties = cls.VALIDATORS["properties"]
    validate_additional = cls.VALIDATORS["additionalProperties"]
    validate_items = cls.VALIDATORS["items"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
                if name in instance:
                    instance[name] = _coerced(instance[name], sub, validator.schema)
        yield from validate_properties(validator, properties, instance, schema)

    def coerce_additional(validator, additional, instance, schema):
        if isinstance(instance, dict) and isinstance(additional, dict):
            named = schema.get("properties", {})
            for name in instance:
                if name not in named:
                    instance[name] = _coerced(instance[name], additional, validator.schema)
        yield from validate_additional(validator, additional, instance, schema)

    def coerce_items(validator, items, instance, schema):
        if isinstance(instance, list) and isinstance(items, dict):
            instance[:] = [_coerced(v, items, validator.schema) for v in instance]
        yield from validate_items(validator, items, instance, schema)

    return validators.extend(
        cls,
        {
            "properties": set_defaults,
            "additionalProperties": coerce_additional,
            "items": coerce_items,
        },
    )


_Validator = _with_defaults(Draft202012Validator)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


# the research analyses (xstilts.analyses): each module owns its config sections (its SCHEMA)
ANALYSES = Path(__file__).parents[1] / "analyses"


def _module_constant(path: Path, name: str):
    """A module-level constant of a Python file (a literal), read without importing it."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return None


def analysis_sections(folder: Path = ANALYSES) -> list[dict]:
    """Each research analysis's config sections (its module's ``SCHEMA``, a YAML string), in
    the order of ``analyses.NAMES``. Read from the modules' source as data: the analyses import
    the grid, so the grid never imports them."""
    out = []
    for name in _module_constant(folder / "__init__.py", "NAMES"):
        text = _module_constant(folder / f"{name}.py", "SCHEMA")
        if text:
            out.append(yaml.safe_load(text))
    return out


def _merge_analyses(out: dict, fragments: list[dict]) -> None:
    """Each analysis's sections into the schema's properties, after the key its ``$after``
    names, else before ``benchmarks`` (the order the validated config's defaults are filled
    in, which the resolved config keeps: the rule resolved_config's params), and its
    ``$defs``."""
    for fragment in fragments:
        fragment = dict(fragment)
        out["$defs"].update(fragment.pop("$defs", {}))
        keys = list(out["properties"])
        after = fragment.pop("$after", None)
        if after in keys:
            at = keys.index(after) + 1
        else:
            at = keys.index("benchmarks") if "benchmarks" in keys else len(keys)
        for key in fragment:
            if key in out["properties"]:
                raise ValueError(f"analysis config key {key!r} is already in the schema")
        items = list(out["properties"].items())
        out["properties"] = dict(items[:at] + list(fragment.items()) + items[at:])


def schema(path: str | Path = SCHEMA) -> dict:
    """The schema, with each research analysis's sections merged in, and its enums of task
    names filled from the task registry (one description of each task: its role says where a
    config may name it)."""
    from xstilts import tasks

    out = yaml.safe_load(Path(path).read_text())
    _merge_analyses(out, analysis_sections())
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
    """Check the config against the JSON schema, fill defaults (the schema's, then those that
    depend on other keys: ``defaults.filled``), check tasks and languages; ``check_local``:
    also that every dataset read from data.local is there. Returns a new config; the one given
    is left as it was.

    Raises ConfigError with one sentence naming the offending key.
    """
    from xstilts.grid import checks, defaults

    config = copy.deepcopy(config)
    rules = schema(schema_path or SCHEMA)
    errors = list(_Validator(rules).iter_errors(config))
    if errors:
        err = max(errors, key=lambda e: (len(e.absolute_path), -len(e.context)))
        raise _schema_error(err, config)
    # a second pass: the defaults filled in the first pass are validated too
    for err in _Validator(rules).iter_errors(config):
        raise ConfigError(f"config key '{_key(err.absolute_path)}': {err.message}")
    config = defaults.filled(config)
    checks.check(config)
    if check_local:
        missing = checks.missing_local_data(config)
        if missing:
            raise ConfigError(checks.local_data_message(missing))
    return config


class DuplicateKeyError(yaml.YAMLError):
    """A mapping that names one key twice (YAML keeps only the last: the first is lost)."""

    def __init__(self, key, line: int, first: int):
        super().__init__(f"key {key!r} at line {line} repeats the one at line {first}")
        self.key, self.line, self.first = key, line, first


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping (a merge key ``<<``
    may still be overridden)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise DuplicateKeyError(key, line, first)
                seen[key] = line
        return super().construct_mapping(node, deep)


def duplicate_key_message(path: str | Path, err: DuplicateKeyError) -> str:
    return (
        f"config file {path} repeats key '{err.key}' at line {err.line} (first at line "
        f"{err.first}), and YAML would silently keep only the second; merge the two into one "
        "or rename one"
    )


def check_duplicate_keys(path: str | Path) -> None:
    """Raise ConfigError when the YAML (or JSON) file ``path`` repeats a key in a mapping; a
    file that cannot be read or parsed is left to the caller's own reader."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except DuplicateKeyError as err:
        raise ConfigError(duplicate_key_message(path, err)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return


def read_config(path: str | Path) -> dict:
    """A config file's contents; a YAML error or a repeated key names the file and the line."""
    if Path(path).is_dir():
        raise ConfigError(
            f"config file {path} is a folder; give the path of a YAML file in it, such as "
            f"{Path(path) / 'config.yaml'}"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; give the path of one") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or getattr(err, "reason", None) or err
        raise ConfigError(
            f"config file {path} cannot be read ({reason}); give a readable UTF-8 YAML file"
        ) from None
    try:
        config = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except DuplicateKeyError as err:
        raise ConfigError(duplicate_key_message(path, err)) from None
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
