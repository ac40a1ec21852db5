# Grid → targets: validate the config (defaults filled), build the cells, constrain wildcards.
# Every rule gets its cell's resolved settings as one canonical JSON string in params, so
# Snakemake's params trigger reruns exactly the cells whose settings changed.
import inspect
import json
import re
import sys
from pathlib import Path

try:
    from xstilts import analyses
    from xstilts import grid as xgrid
    from xstilts.grid import axes, cells, files, paths
    from xstilts.grid.checks import command_line_error
    from xstilts.grid.config import check_duplicate_keys
except ImportError as err:
    sys.exit(
        f"xstilts: the xstilts package is not importable ({err}); "
        'install it first with: pip install -e ".[dev]"'
    )

try:
    # Snakemake's YAML reader keeps the last of a key written twice: said before anything runs
    for _configfile in workflow.configfiles:
        check_duplicate_keys(_configfile)
    GRID = xgrid.resolve(
        # the schema is the package's (src/xstilts/grid/schema.yaml); numbers that --config
        # passes as strings inside lists and mappings are taken as numbers there
        xgrid.validate(config, check_local=False),  # local data: below, only where read
    )
except xgrid.ConfigError as err:
    sys.exit(f"xstilts: {err}")
# datasets read from data.local.<name> that are not there: the first job that reads one stops
# the run, naming them all; `snakemake fetch` (Hub data only) runs meanwhile
MISSING_LOCAL = xgrid.missing_local_data(GRID.config)


def _alternatives(names):
    """A wildcard regex matching exactly these names (never matching when there are none)."""
    return "|".join(re.escape(n) for n in names) or "(?!x)x"


# a Hugging Face dataset id (owner/name); local datasets live under "local/<name>" instead
HUB_REPO = r"(?!local/)[^/]+/[^/]+"
HUB_MODELS = [m for m in GRID.models if not axes.is_demo_model(GRID, m)]
DEMO_MODELS = [m for m in GRID.models if axes.is_demo_model(GRID, m)]


wildcard_constraints:
    model=_alternatives(GRID.models),
    arm=_alternatives(GRID.all_arms),
    seed=r"\d+",
    target=_alternatives(GRID.targets),
    rtarget=_alternatives(GRID.retrieval_targets),
    choice=_alternatives(["best", *GRID.arms]),
    task=_alternatives(axes.tasks_used(GRID)),


def final_outputs():
    return (
        files.scores_files(GRID)
        + list(xgrid.summary_outputs(GRID.evaluated_targets).values())
        + [paths.RESOLVED_CONFIG]
        + files.submission_files(GRID)
        # the research arms' score files, then the summaries of the analyses asked for
        + [
            c["scores"]
            for c in files.research_cells(GRID, GRID.research_arms, GRID.targets)
        ]
        + analyses.enabled_outputs(GRID)
        + [paths.PROVENANCE]
    )


# what this command line asks for, checked before Snakemake plans it: a target path naming no
# model or arm of the grid, and --report before the grid has finished (Snakemake's own errors
# there name neither the grid's arms nor the command that finishes it)
_COMMAND_ERROR = command_line_error(
    GRID,
    sys.argv[1:],
    " ".join(map(str, workflow.overwrite_configfiles)),
    final_outputs,
)
if _COMMAND_ERROR:
    sys.exit(f"xstilts: {_COMMAND_ERROR}")


def reported(analysis):
    """An analysis's summary outputs, its figures wrapped in report() under its section and
    caption; a figure named figure_<target> is labelled with its target."""
    out = analysis.outputs(GRID)
    if analysis.REPORT is None:
        return out
    title, caption = analysis.REPORT
    for name, path in out.items():
        if name == "figure" or name.startswith("figure_"):
            target = name.removeprefix("figure_") if name != "figure" else None
            out[name] = report(
                path,
                caption=f"../report/{caption}",
                category=section(title),
                labels={"target": target} if target else {"figure": Path(path).name},
            )
    return out


def analysis_params(analysis):
    """The summary's spec as its params (so a change reruns it), for analyses that have one."""
    if analysis.spec(GRID) is None:
        return {}
    return {"cell": lambda wc: xgrid.canonical(analysis.spec(GRID))}


def on_grid(function, **wildcard_names):
    """``function(GRID, ...)`` of a job's wildcards: its arguments are the wildcards of the same
    name (``wildcard_names``: an argument's wildcard where its name differs, e.g.
    ``target="rtarget"``)."""
    arguments = list(inspect.signature(function).parameters)[1:]

    def call(wildcards):
        given = wildcards.keys()
        values = {
            name: wildcards[wildcard_names.get(name, name)]
            for name in arguments
            if wildcard_names.get(name, name) in given
        }
        return function(GRID, **values)

    return call


def cell_params(function, **wildcard_names):
    """A rule's params: ``function(GRID, ...)`` (xstilts.grid.cells) of the job's wildcards
    (``on_grid``), as one canonical JSON string."""
    call = on_grid(function, **wildcard_names)
    return lambda wildcards: xgrid.canonical(call(wildcards))


def analysis_cell_inputs(jobs):
    """A cell job's named input files (its analysis's ``CELLS.inputs``)."""
    return on_grid(jobs.inputs)


def analysis_cell_params(jobs):
    """A cell job's params: its analysis's ``CELLS.cell``, as one canonical JSON string."""
    return cell_params(jobs.cell)


def demo_local_dir(wildcards):
    """The demo's own copy of a local dataset's files (built by build_demo_local); a user's
    folder is no input: its imports follow the content of its files (local_source)."""
    if wildcards.root == paths.DATA_ROOTS["demo"]:
        return paths.fill(paths.DEMO_LOCAL, name=wildcards.name)
    return []


def local_source(wildcards):
    if wildcards.root == paths.DATA_ROOTS["demo"]:
        return xgrid.canonical({"directory": demo_local_dir(wildcards)})
    if MISSING_LOCAL:
        sys.exit(f"xstilts: {xgrid.local_data_message(MISSING_LOCAL)}")
    return cell_params(cells.local_source)(wildcards)


def model_dir(wildcards):
    return files.model_dir(wildcards.model)


def prepare_data(wildcards):
    from xstilts.features import source_paths

    return source_paths(
        wildcards.task,
        GRID.data_kind,
        more_languages=axes.more_languages(GRID, wildcards.task),
    )


def stage_encoder(wildcards):
    return files.stage_encoder(GRID, wildcards.model, wildcards.arm, wildcards.seed)


def intermediate_features(wildcards):
    return [
        files.features_dir(wildcards.model, t)
        for t in axes.arm_tasks(GRID, wildcards.arm)
    ]


def language_features(wildcards):
    return files.language_dirs(GRID, wildcards.model, wildcards.arm)


def language_data(wildcards):
    from xstilts.features import source_paths

    return source_paths(wildcards.task, GRID.data_kind, wildcards.lang)


def arm_encoder(wildcards):
    return files.encoder_dir(GRID, wildcards.model, wildcards.arm, wildcards.seed)


def target_model(wildcards):
    """The fine-tuned model a target cell is tested with (shared by targets trained alike)."""
    return files.target_model_dir(
        GRID, wildcards.model, wildcards.arm, wildcards.seed, wildcards.target
    )


def submission_inputs(wildcards):
    """Every predictions folder the submission copies, and the files it chooses arms by: the
    target model directory (train_summary.json inside) or the retrieval score file."""
    spec = cells.submission_spec(
        GRID, wildcards.model, wildcards.seed, wildcards.choice
    )
    inputs = {"predictions": [], "validation": []}
    for by_arm in spec["targets"].values():
        for paths_of in by_arm.values():
            inputs["predictions"].append(paths_of["predictions"])
            if wildcards.choice == "best":
                inputs["validation"].append(paths_of["validation_input"])
    return inputs


def published_models():
    from xstilts.summary.published import comparable_models

    return comparable_models(GRID.config)


# What `snakemake --report report.html` shows: category, caption (workflow/report/) per output;
# the other summary files (CSV, Parquet, LaTeX) are results for downstream use, not the report.
REPORTED = {
    "heatmap": ("Main grid", "gains_heatmap.rst"),
    "table_md": ("Main grid", "arm_target.rst"),
    "table_tex": ("Main grid", "arm_target_tex.rst"),
    "best_csv": ("Main grid", "best_per_target.rst"),
    "overview": ("Main grid", "overview.rst"),
    "languages_html": ("Per-language scores and gains", "scores_by_language.rst"),
    "training_html": ("Training", "training.rst"),
    "training_curves": ("Training", "training_curves.rst"),
}


def section(title):
    """The report category of a section title, numbered by its place among the sections this
    grid has (xstilts.analyses.report_sections: the main grid's, then each analysis's).
    """
    return analyses.section(GRID, title)


def summary_report_outputs():
    """The aggregate rule's outputs, the reported ones wrapped in report()."""
    out = {}
    for name, path in xgrid.summary_outputs(GRID.evaluated_targets).items():
        if name.startswith("language_gains_"):
            target = name.removeprefix("language_gains_")
            retrieval = target in GRID.retrieval_targets
            category = "Retrieval" if retrieval else "Per-language scores and gains"
            out[name] = report(
                path,
                caption="../report/language_gains.rst",
                category=section(category),
                labels={"target": target},
            )
        elif name == "family_heatmap":
            out[name] = report(
                path,
                caption="../report/gains_by_family.rst",
                category=section("Per-language scores and gains"),
                labels={"target": "all targets, by family"},
            )
        elif name in REPORTED:
            category, caption = REPORTED[name]
            out[name] = report(
                path,
                caption=f"../report/{caption}",
                category=section(category),
                labels={"result": Path(path).name},
            )
        else:
            out[name] = path
    return out


# A Hub model's revision (models.<name>.revision, else the pin in src/xstilts/modeling/fetch.py)
# is the params of a job of its own, whose file the model's fetch reads: a changed revision
# fetches the model again. A model folder fetched before xstilts recorded what it fetched (no
# manifest in it) does not read it, so a grid finished before the pins refetches nothing.
def model_pin(wildcards):
    from xstilts.modeling.fetch import model_revision

    spec = axes.model_spec(GRID, wildcards.model)
    revision = model_revision(spec["hub_id"], spec.get("revision"))
    return xgrid.canonical({"hub_id": spec["hub_id"], "revision": revision or "main"})


def fetch_model_pin_file(wildcards):
    from xstilts.modeling.fetch import MANIFEST

    folder = Path(files.model_dir(wildcards.model))
    if folder.exists() and not (folder / MANIFEST).exists():
        return []
    return paths.fill(paths.MODEL_PIN, model=wildcards.model)


# A Hub repository's entry in src/xstilts/data/hub.py (its pinned revision): the params of a job
# of its own, whose file each fetch of the repository's splits reads, so a changed entry fetches
# that repository's splits again and nothing else. A split fetched before xstilts recorded what
# it fetched (no manifest beside it) does not read it: a grid finished before the pins reruns
# nothing (delete the split's parquet file to fetch it at the pin).
def hub_pin(wildcards):
    from xstilts.data.hub import pin

    return xgrid.canonical(pin(wildcards.repo))


def fetch_pin_file(wildcards):
    from xstilts.data.sources import manifest_path

    data = Path(
        paths.fill(
            paths.DATASET,
            root=paths.DATA_ROOTS["hub"],
            repo=wildcards.repo,
            subset=wildcards.subset,
            split=wildcards.split,
        )
    )
    if data.exists() and not manifest_path(data).exists():
        return []
    return paths.fill(paths.HUB_PIN, repo=wildcards.repo)
