"""The research analyses: each reads finished cells of the grid and writes one summary.

Every analysis module exposes the same small interface, which ``workflow/rules/analysis.smk``
and ``common.smk`` loop over (no analysis is wired by hand):

- ``NAME``: its summary rule is ``<NAME>_summary``, logging to ``logs/<NAME>_summary.log``;
- ``REPORT``: (category, caption file in workflow/report/) for its figures, or None;
- ``enabled(grid)``: whether the config asks for it (then its outputs are targets of ``all``);
- ``outputs(grid)``: name → summary file; figures are named ``figure`` or ``figure_<target>``;
- ``inputs(grid)``: name → the files its summary reads (per-cell results, score files);
- ``spec(grid)``: the JSON-able description its summary needs beyond its inputs (the rule's
  ``params.spec``, so a change reruns the summary), or None;
- ``summarize(inputs, spec, outputs)``: writes the outputs.

Cells of their own (perturbed evaluation, task embeddings) are rules of their own in
analysis.smk, with their params from ``xstilts.grid`` like every other cell.

To add an analysis: write its module with this interface, add its name to ``NAMES`` and, when
it has figures, a caption in workflow/report/.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

# in the order of the report's sections
NAMES = ("robustness", "similarity", "sequences", "training_length", "multilingual")


def all_analyses() -> list[ModuleType]:
    return [import_module(f"xstilts.analyses.{name}") for name in NAMES]


def by_rule(rule: str) -> ModuleType:
    """The analysis whose summary rule this is."""
    for analysis in all_analyses():
        if f"{analysis.NAME}_summary" == rule:
            return analysis
    raise KeyError(f"no analysis has a summary rule named {rule!r}")


def enabled_outputs(grid) -> list[str]:
    """Every summary file of the analyses the config asks for."""
    return [
        path
        for analysis in all_analyses()
        if analysis.enabled(grid)
        for path in analysis.outputs(grid).values()
    ]
