"""The Grid: a validated config seen as its axes (models, arms, targets), its cells (each rule's
params) and its files (what each rule reads, what ``rule all`` asks for)."""

from __future__ import annotations

from dataclasses import dataclass

from xstilts.grid.axes import Axes
from xstilts.grid.cells import Cells
from xstilts.grid.files import Files


@dataclass
class Grid(Axes, Cells, Files):
    config: dict  # validated, defaults filled
