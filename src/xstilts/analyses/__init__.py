"""The research analyses: each reads finished cells of the grid and writes one summary.

An analysis is a plug-in: one module that owns its config section, its per-cell jobs (when it
has some), its summary, its figures and its report section. ``workflow/rules/analysis.smk``,
``common.smk`` and the schema loop over ``NAMES`` (no analysis is wired by hand). A module has:

- ``NAME``: its summary rule is ``<NAME>_summary``, logging to ``logs/<NAME>_summary.log``;
  its summary files live in ``paths.analysis_dir(<module name>)`` (results/summary/<module>);
- ``SCHEMA``: its config sections, a YAML string literal (config key → JSON schema; ``$defs``
  may add definitions, ``$after`` names the config key its sections follow, else they come
  before ``benchmarks``), or None; merged into the grid's schema when it is read, from the
  module's source (xstilts.grid.config: the grid never imports the analyses);
- ``REPORT``: (section title, caption file in workflow/report/) for its figures, or None; the
  report numbers its sections in the order of ``report_sections``;
- ``enabled(grid)``: whether the config asks for it (then its outputs are targets of ``all``);
- ``outputs(grid)``: name → summary file; figures are named ``figure`` or ``figure_<target>``;
- ``inputs(grid)``: name → the files its summary reads (per-cell results, score files);
- ``spec(grid)``: the JSON-able description its summary needs beyond its inputs (the rule's
  ``params.spec``, so a change reruns the summary), or None;
- ``summarize(inputs, spec, outputs)``: writes the outputs;
- ``CELLS``: its per-cell jobs (``CellJobs``), or None.

To add an analysis: write its module with this interface, add its name to ``NAMES`` and, when
it has figures, a caption in workflow/report/ (docs/extending.md, applied by
tests/test_extending.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

from xstilts.grid import paths

# in the order of the report's sections
NAMES = (
    "robustness",
    "similarity",
    "sequences",
    "training_length",
    "multilingual",
)


@dataclass(frozen=True)
class CellJobs:
    """An analysis's jobs of its own, one per cell, each run by one rule of analysis.smk.

    ``key``: the cell's wildcards as a path (``{model}/{arm}/seed{seed}/{target}``), which
    names its output ``results/<module>/<key><suffix>``, its log and its benchmark;
    ``outputs``: output name → suffix; ``cells(grid)``: every cell's wildcards (dicts);
    ``cell(grid, **wildcards)``: the cell's params (JSON-able: its rerun contract);
    ``inputs(grid, **wildcards)``: input name → file(s); ``run``: the module's function a job
    calls as ``run(cell, inputs, outputs)``; ``env``: its conda environment (envs/<env>.yaml).
    """

    rule: str
    key: str
    outputs: dict[str, str]
    cells: Callable[..., list[dict]]
    cell: Callable[..., dict]
    inputs: Callable[..., dict]
    run: str
    env: str = "train"


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


# ---- per-cell jobs ----


def with_cells() -> list[ModuleType]:
    """The analyses that have per-cell jobs."""
    return [a for a in all_analyses() if a.CELLS is not None]


def cell_outputs(module: str, jobs: CellJobs) -> dict[str, str]:
    """Output name → the pattern of an analysis's per-cell files (``module``: its name)."""
    return {
        name: paths.analysis_cells(module, jobs.key + suffix)
        for name, suffix in jobs.outputs.items()
    }


def cell_files(module: str, jobs: CellJobs, grid, name: str | None = None) -> list[str]:
    """Every cell's output ``name`` (the first output by default): what its summary reads."""
    pattern = cell_outputs(module, jobs)[name or next(iter(jobs.outputs))]
    return [paths.fill(pattern, **wildcards) for wildcards in jobs.cells(grid)]


def run_cell(cell: dict, inputs: dict, outputs: dict, rule: str) -> None:
    """A per-cell job (workflow/scripts/analysis_cell.py): the job of the analysis whose cell
    rule ``rule`` is, imported once the job's environment is set."""
    for analysis in with_cells():
        if analysis.CELLS.rule == rule:
            getattr(analysis, analysis.CELLS.run)(cell, inputs, outputs)
            return
    raise KeyError(f"no analysis has a cell rule named {rule!r}")


def run_summary(cell: dict | None, inputs: dict, outputs: dict, rule: str) -> None:
    """A summary job (workflow/scripts/analysis_summary.py): the ``summarize`` of the analysis
    whose summary rule ``rule`` is, with its spec (the job's cell, None for an analysis without
    one) and each input as a list of files."""
    files = {name: [f] if isinstance(f, str) else list(f) for name, f in inputs.items()}
    by_rule(rule).summarize(files, cell, outputs)


# ---- the report ----


def report_sections(grid) -> list[str]:
    """The report's sections this grid has, in the menu's order: the main grid, per language,
    retrieval (when scored), training, each analysis asked for that has figures (in ``NAMES``
    order), the provenance and the configuration."""
    titles = ["Main grid", "Per-language scores and gains"]
    titles += ["Retrieval"] if grid.retrieval_targets else []
    titles.append("Training")
    for analysis in all_analyses():
        if analysis.REPORT is not None and analysis.enabled(grid):
            titles.append(analysis.REPORT[0])
    return titles + ["Provenance", "Configuration"]


def section(grid, title: str) -> str:
    """The report category of a section: its title numbered by its place among the sections
    this grid has, so the menu (sorted by name) lists them in order, without gaps ("01."
    before "10."); a title the grid has not is returned as it is."""
    titles = report_sections(grid)
    if title not in titles:
        return title
    width = len(str(len(titles)))
    return f"{titles.index(title) + 1:0{width}d}. {title}"
