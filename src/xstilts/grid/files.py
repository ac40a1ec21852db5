"""The grid's files: each cell's paths, and the files each rule reads or ``rule all`` asks for,
listed per rule (the patterns are in paths.py)."""

from __future__ import annotations

from xstilts.grid import axes, paths
from xstilts.grid.arms import BASELINE, parent_arm
from xstilts.grid.grid import Grid


# ---- one cell's paths ----
def model_dir(model: str) -> str:
    return paths.fill(paths.MODEL, model=model)


def features_dir(model: str, task: str) -> str:
    return paths.fill(paths.FEATURES, model=model, task=task)


def language_dir(model: str, task: str, language: str) -> str:
    return paths.fill(paths.LANGUAGE_FEATURES, model=model, task=task, lang=language)


def language_dirs(grid: Grid, model: str, arm: str) -> list[str]:
    """The prepared training data by language an arm reads (none for most arms)."""
    return [language_dir(model, task, lang) for task, lang in axes.language_sets(grid, arm)]


def encoder_dir(grid: Grid, model: str, arm: str, seed: int | str) -> str:
    """The arm's encoder: the pretrained model itself for the baseline (no copy, no job);
    a budget arm may use another arm's (``axes.encoder_arm``)."""
    arm = axes.encoder_arm(grid, arm)
    if arm == BASELINE:
        return model_dir(model)
    return paths.fill(paths.INTERMEDIATE_MODEL, model=model, arm=arm, seed=seed)


def stage_encoder(grid: Grid, model: str, arm: str, seed: int | str) -> str:
    """The encoder an intermediate job starts from."""
    parent = parent_arm(arm)
    return model_dir(model) if parent is None else encoder_dir(grid, model, parent, seed)


def scores_file(model: str, arm: str, seed: int | str, target: str) -> str:
    return paths.fill(paths.SCORES, model=model, arm=arm, seed=seed, target=target)


def examples_file(model: str, arm: str, seed: int | str, target: str) -> str:
    """The per-example statistics beside a cell's score file (for bootstrap intervals)."""
    return paths.fill(paths.EXAMPLES, model=model, arm=arm, seed=seed, target=target)


def predictions_dir(model: str, arm: str, seed: int | str, target: str) -> str:
    return paths.fill(paths.PREDICTIONS, model=model, arm=arm, seed=seed, target=target)


def target_model_dir(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> str:
    """The fine-tuned model a target cell is tested with: its own ``train_target`` job's,
    or the one it shares with a target trained the same way (``axes.training_target``)."""
    target = axes.training_target(grid, model, arm, seed, target)
    return paths.fill(paths.TARGET_MODEL, model=model, arm=arm, seed=seed, target=target)


def validation_file(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> str:
    """Where an arm's validation score on a target is: the training summary of a trained
    target (in its model directory), the score file (BUCC's dev scores) of a retrieval
    task."""
    if target in grid.config["retrieval"]:
        return scores_file(model, arm, seed, target)
    return f"{target_model_dir(grid, model, arm, seed, target)}/train_summary.json"


def validation_input(grid: Grid, model: str, arm: str, seed: int | str, target: str) -> str:
    """The job output that holds ``validation_file`` (a file, or the model directory)."""
    if target in grid.config["retrieval"]:
        return validation_file(grid, model, arm, seed, target)
    return target_model_dir(grid, model, arm, seed, target)


# ---- the files of the grid's rules ----
def resource_files(grid: Grid) -> list[str]:
    """Every model directory and Hub dataset file the grid reads: what `snakemake fetch`
    stages (a dataset read from data.local is imported by the run that needs it)."""
    from xstilts.features import source_paths

    kind = grid.data_kind
    data = {
        p
        for t in axes.tasks_used(grid)
        for p in source_paths(t, kind, more_languages=axes.more_languages(grid, t))
    }
    for task, lang in axes.language_data_used(grid):
        data.update(source_paths(task, kind, lang))
    local = f"{paths.DATA_ROOTS[kind]}/{paths.LOCAL_PREFIX}"
    return [model_dir(m) for m in grid.models] + sorted(p for p in data if not p.startswith(local))


def _main_cells(grid: Grid):
    """(model, arm, seed, target) of the main grid's evaluated cells, in the grid's order."""
    return [
        (m, a, s, t)
        for m in grid.models
        for a in grid.arms
        for s in grid.seeds
        for t in grid.evaluated_targets
    ]


def scores_files(grid: Grid) -> list[str]:
    return [scores_file(*cell) for cell in _main_cells(grid)]


def example_files(grid: Grid) -> list[str]:
    """The per-example statistics of every score file (same order), for bootstrap CIs."""
    return [examples_file(*cell) for cell in _main_cells(grid)]


def research_cells(grid: Grid, arms: list[str], targets: list[str]) -> list[dict]:
    """Per (model, arm, seed, target) of these arms on these targets: the score file, its
    per-example statistics and the target model directory (main-grid arms included)."""
    cells = set(grid.target_cells)
    return [
        {
            "model": m,
            "arm": a,
            "seed": s,
            "target": t,
            "scores": scores_file(m, a, s, t),
            "examples": examples_file(m, a, s, t),
            "model_dir": target_model_dir(grid, m, a, s, t),
        }
        for m in grid.models
        for a in arms
        for s in grid.seeds
        for t in targets
        if (a, t) in cells
    ]


def submission_files(grid: Grid) -> list[str]:
    return [paths.LABELS] + [
        paths.fill(paths.SUBMISSION, model=m, seed=s, choice=choice) + ".zip"
        for m in grid.models
        for s in grid.seeds
        for choice in grid.config["submission"]["arms"]
    ]


def trained_model_dirs(grid: Grid) -> list[str]:
    """The main grid's intermediate and target model directories: their train_summary.json
    gives each run's English validation score and training curve (the report's training
    section)."""
    out = []
    for m in grid.models:
        for s in grid.seeds:
            for a in grid.arms:
                if a in grid.intermediate_arms:
                    out.append(paths.fill(paths.INTERMEDIATE_MODEL, model=m, arm=a, seed=s))
                out += [validation_input(grid, m, a, s, t) for t in grid.targets]
    return list(dict.fromkeys(out))


def provenance_cells(grid: Grid) -> list[dict]:
    """For every score file of the main grid: its model and every data file its arm and
    target read (the provenance rule's params)."""
    from xstilts.features import source_paths

    def data(task):
        return source_paths(task, grid.data_kind, more_languages=axes.more_languages(grid, task))

    cells = []
    for m in grid.models:
        for a in grid.arms:
            read = sorted({p for t in axes.arm_tasks(grid, a) for p in data(t)})
            for s in grid.seeds:
                for t in grid.evaluated_targets:
                    cells.append(
                        {
                            "scores": scores_file(m, a, s, t),
                            "model": m,
                            "model_dir": model_dir(m),
                            "model_spec": axes.model_spec(grid, m),
                            "data": sorted(set(read) | set(data(t))),
                        }
                    )
    return cells
