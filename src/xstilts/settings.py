"""A cell's training settings as one frozen, typed object, built once from its params.

The config's schema (``grid/schema.yaml``) is the only place a default is written: the grid fills
it into the config, a cell's params carry the filled values, and ``Training.from_cell`` reads
them. Nothing here supplies a value of its own: an optional setting the params leave out is off
(None). ``Training.from_schema`` builds settings from the schema's defaults plus the values it is
given, for code that trains without a config (tests, bench/).

Torch-free: the grid, the cost model and the workflow scripts import it.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

# the schema whose $defs.training holds every training default (and, at its top level, the
# grid's precision)
SCHEMA = Path(__file__).parent / "grid" / "schema.yaml"

# how a cell carries a field: always in its ``training``; in its ``training`` when it is on;
# beside its ``training`` (the grid's precision)
ALWAYS, OPTIONAL, CELL = "always", "optional", "cell"


def _carried(how: str):
    return field(metadata={"carried": how})


@dataclass(frozen=True)
class BestCheckpoint:
    """Model selection on English validation (training/selection.py): validate every ``every``
    optimizer steps and at the last, on the first ``examples`` examples of each task (0: all),
    and stop after ``patience`` validations without a gain (0: never early)."""

    every: int
    examples: int
    patience: int

    @classmethod
    def from_params(cls, params: Mapping | None) -> BestCheckpoint | None:
        """None when the params have no selection (or ``every`` 0, which the schema calls off)."""
        if not params or not params.get("every"):
            return None
        return cls(int(params["every"]), int(params["examples"]), int(params["patience"]))


@dataclass(frozen=True)
class Curve:
    """A learning curve logged during training (training/curves.py): the task's metrics on each
    of ``languages`` at step 0, every ``every`` steps and the last, on ``max_examples``."""

    every: int
    languages: tuple[str, ...]
    max_examples: int

    @classmethod
    def from_params(cls, params: Mapping | None) -> Curve | None:
        if not params:
            return None
        return cls(int(params["every"]), tuple(params["languages"]), int(params["max_examples"]))

    def params(self) -> dict:
        """As a cell's params carry it (the run's fingerprint hashes this dict)."""
        return {
            "every": self.every,
            "languages": list(self.languages),
            "max_examples": self.max_examples,
        }


@dataclass(frozen=True)
class Training:
    """The optimisation settings of one training run, as a cell's params carry them."""

    learning_rate: float = _carried(ALWAYS)
    batch_size: int = _carried(ALWAYS)
    gradient_accumulation_steps: int = _carried(ALWAYS)
    epochs: float = _carried(ALWAYS)
    max_steps: int = _carried(ALWAYS)  # > 0: exactly this many steps instead of ``epochs``
    warmup_ratio: float = _carried(ALWAYS)
    weight_decay: float = _carried(ALWAYS)
    adam_epsilon: float = _carried(ALWAYS)
    max_grad_norm: float = _carried(ALWAYS)
    precision: str = _carried(CELL)  # bf16 autocast on CUDA, or fp32
    # capped-proportional sampling, p(task) ∝ min(size, cap) (the multi-task arm)
    examples_cap: int | None = _carried(OPTIONAL)
    # task → its share of steps, the others in proportion to size (an mlm arm's text)
    fixed_probabilities: Mapping[str, float] | None = _carried(OPTIONAL)
    # "per_step": one task per optimizer step (how the runner always draws; the params say so
    # for multi-task cells with gradient accumulation)
    task_sampling: str | None = _carried(OPTIONAL)
    best_checkpoint: BestCheckpoint | None = _carried(OPTIONAL)
    # the params this was built from, as given: the run's fingerprint hashes them, so a
    # checkpoint of an older run of the same cell is recognised (``params()``)
    source: Mapping = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_cell(cls, cell: Mapping) -> Training:
        """A training cell's settings: its ``training`` and its ``precision``."""
        return cls.from_params(dict(cell["training"]) | {"precision": cell["precision"]})

    @classmethod
    def from_params(cls, params: Mapping) -> Training:
        """Settings from a flat dict of params (a cell's ``training`` plus ``precision``): every
        always-carried key must be there; an optional one left out is off."""
        names = {f.name for f in fields(cls) if "carried" in f.metadata}
        unknown = sorted(set(params) - names)
        if unknown:
            raise ValueError(f"unknown training settings {unknown}: known are {sorted(names)}")
        missing = [k for k in (*TRAINING_KEYS, "precision") if k not in params]
        if missing:
            raise ValueError(
                f"training settings without {missing}: build them from a cell's params or "
                "with Training.from_schema"
            )
        fixed = params.get("fixed_probabilities")
        return cls(
            **{k: params[k] for k in (*TRAINING_KEYS, "precision")},
            examples_cap=params.get("examples_cap"),
            fixed_probabilities=MappingProxyType(dict(fixed)) if fixed is not None else None,
            task_sampling=params.get("task_sampling"),
            best_checkpoint=BestCheckpoint.from_params(params.get("best_checkpoint")),
            source=MappingProxyType(copy.deepcopy(dict(params))),
        )

    @classmethod
    def from_schema(cls, **values) -> Training:
        """The schema's defaults with ``values`` on top (a ``best_checkpoint`` gets the
        schema's defaults for what it leaves out), as the grid would fill a config."""
        return cls.from_params(schema_defaults(values))

    def params(self) -> dict:
        """The params these settings were built from (a copy): what the run's fingerprint
        hashes, and what a sharded job's processes rebuild them from."""
        return json.loads(json.dumps(dict(self.source)))

    def __or__(self, changes: Mapping) -> Training:
        """These settings with some values changed, e.g. ``settings | {"max_steps": 12}``."""
        if not isinstance(changes, Mapping):
            return NotImplemented
        return Training.from_params(self.params() | dict(changes))


def _fields(how: str) -> tuple[str, ...]:
    return tuple(f.name for f in fields(Training) if f.metadata.get("carried") == how)


# the optimisation settings every training cell carries in its ``training`` (grid/cells.py)
TRAINING_KEYS = _fields(ALWAYS)
# the settings a cell's ``training`` carries only when they are on
OPTIONAL_KEYS = _fields(OPTIONAL)


@functools.cache
def _schema() -> dict:
    import yaml

    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


def schema_defaults(values: Mapping | None = None) -> dict:
    """Training params from the schema's defaults (``$defs.training`` and the top-level
    ``precision``) with ``values`` on top; a given ``best_checkpoint`` filled with its schema
    defaults."""
    schema = copy.deepcopy(_schema())
    properties = schema["$defs"]["training"]["properties"]
    out = {k: properties[k]["default"] for k in TRAINING_KEYS}
    out["precision"] = schema["properties"]["precision"]["default"]
    values = dict(values or {})
    select = values.get("best_checkpoint")
    if select:
        nested = properties["best_checkpoint"]["properties"]
        filled = {k: v["default"] for k, v in nested.items() if "default" in v}
        values["best_checkpoint"] = filled | dict(select)
    return out | values


@dataclass(frozen=True)
class Machine:
    """How a training job runs on its machine: no part of a cell's params, so changing any of
    it reruns nothing (docs/performance.md). ``compile``: torch.compile the encoder on CUDA;
    ``buckets``: pad every batch to one of that many lengths per task (None: 6 when compiled,
    else none); ``micro_batch_size``: the model's most examples per forward and backward pass
    (a number, or {least GPU GiB: examples}; None: no limit); ``tensorboard``: a folder for
    TensorBoard event files (None: none); a checkpoint every ``checkpoint_minutes`` (and every
    ``checkpoint_every_steps`` steps, when set); a log line every ``log_seconds``."""

    compile: bool = False
    buckets: int | None = None
    micro_batch_size: int | Mapping | None = None
    tensorboard: str | None = None
    checkpoint_minutes: float = 15.0
    checkpoint_every_steps: int | None = None
    log_seconds: float = 20.0
