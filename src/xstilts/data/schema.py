"""Column schemas of the data sources, written without importing ``datasets``.

The names and signatures are those of ``datasets``' feature types (``Value``, ``ClassLabel``,
``List``, ``Sequence``, ``Features``), so a schema reads like the dataset card's, but building
one costs nothing: the workflow describes every task's sources when it builds its DAG, and that
must not import ``datasets`` (or torch). ``to_datasets`` turns a schema into the real
``datasets.Features`` where rows are built or checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Value:
    dtype: str


@dataclass(frozen=True)
class ClassLabel:
    names: tuple[str, ...]

    def __init__(self, names):
        object.__setattr__(self, "names", tuple(names))

    @property
    def num_classes(self) -> int:
        return len(self.names)

    @property
    def dtype(self) -> str:
        return "int64"

    def int2str(self, value: int) -> str:
        return self.names[int(value)]

    def str2int(self, name: str) -> int:
        return self.names.index(name)


@dataclass(frozen=True)
class List:
    feature: Any


def Sequence(feature: Any) -> List:  # noqa: N802 (datasets' name)
    """``datasets.Sequence`` of a plain feature is a ``List`` of it (datasets 4 and later)."""
    return List(feature)


class Features(dict):
    """Column name → feature, in column order."""

    def to_datasets(self):
        import datasets

        return datasets.Features({name: to_datasets(f) for name, f in self.items()})


def to_datasets(feature: Any):
    """The ``datasets`` feature type a schema stands for."""
    import datasets

    if isinstance(feature, Features):
        return feature.to_datasets()
    if isinstance(feature, dict):
        return {name: to_datasets(f) for name, f in feature.items()}
    if isinstance(feature, Value):
        return datasets.Value(feature.dtype)
    if isinstance(feature, ClassLabel):
        return datasets.ClassLabel(names=list(feature.names))
    if isinstance(feature, List):
        return datasets.List(to_datasets(feature.feature))
    raise TypeError(f"not a schema feature: {feature!r}")


def from_dict(rows: dict[str, list], features: Features):
    """``datasets.Dataset.from_dict`` with the schema's features."""
    import datasets

    return datasets.Dataset.from_dict(rows, features=features.to_datasets())


def from_list(rows: list[dict], features: Features):
    """``datasets.Dataset.from_list`` with the schema's features."""
    import datasets

    return datasets.Dataset.from_list(rows, features=features.to_datasets())
