"""Every path the workflow reads and writes: one pattern each, which the rules (.smk files)
and the code both use. A cell's identity is its path; a pattern never changes, so a grid
finished by an older xstilts keeps its files.

Patterns are Snakemake wildcard strings; ``fill`` gives a concrete path and ``rename`` the same
pattern under other wildcard names (the retrieval rules call their target ``rtarget``).
"""

from __future__ import annotations

from xstilts.data.sources import DATA_ROOTS, LOCAL_PREFIX  # noqa: F401 (the data layer's)

# ---- inputs staged once (local rules) ----
MODEL = "resources/models/{model}"
DATASET = "{root}/{repo}/{subset}/{split}.parquet"  # one split of one dataset config
DEMO_LOCAL = "resources/demo/local/{name}"  # the demo's copy of a local dataset's files

# a Hub model's and a Hub repository's pinned revision (the params of a job of its own, whose
# file the fetch reads)
MODEL_PIN = "resources/models/{model}.pin.json"
HUB_PIN = "resources/datasets/{repo}/pin.json"

# ---- per task × model ----
FEATURES_ROOT = "results/features"  # every model's prepared features (xstilts cost --features)
FEATURES = FEATURES_ROOT + "/{model}/{task}"
LANGUAGE_FEATURES = FEATURES_ROOT + "/{model}/by_language/{task}.{lang}"

# ---- per cell ----
INTERMEDIATE_MODEL = "results/intermediate/{model}/{arm}/seed{seed}/model"
TARGET_MODEL = "results/target/{model}/{arm}/seed{seed}/{target}/model"
EVAL = "results/eval/{model}/{arm}/seed{seed}"
PREDICTIONS = EVAL + "/predictions/{target}"
SCORES = EVAL + "/scores/{target}.json"
EXAMPLES = EVAL + "/examples/{target}.parquet"
# training checkpoints for resume: outside the declared outputs, removed when a job succeeds
INTERMEDIATE_CHECKPOINTS = "results/checkpoints/intermediate/{model}/{arm}/seed{seed}"
TARGET_CHECKPOINTS = "results/checkpoints/target/{model}/{arm}/seed{seed}/{target}"

# ---- leaderboard files ----
LABELS = "results/labels"
SUBMISSION = "results/submission/{model}/seed{seed}/{choice}"
SUBMISSION_ZIP = "results/submission/{model}/seed{seed}/{choice}.zip"

# ---- the summary ----
SUMMARY_DIR = "results/summary"
# the aggregation's outputs: rule output name → file under SUMMARY_DIR
SUMMARY_FILES = {
    "long_parquet": "scores_long.parquet",
    "long_csv": "scores_long.csv",
    "table_csv": "arm_target.csv",
    "table_md": "arm_target.md",
    "table_tex": "arm_target.tex",
    "metrics_csv": "arm_target_metrics.csv",
    "best_csv": "best_per_target.csv",
    "gains_ci_csv": "gains_ci.csv",
    "gains_parquet": "gains_by_language.parquet",
    "gains_csv": "gains_by_language.csv",
    "heatmap": "gains_heatmap.png",
    "family_csv": "gains_by_family.csv",
    "family_heatmap": "gains_by_family.png",
    "benchmarks_csv": "benchmarks.csv",
    # the report's sections beyond the main table: per language, training, the config
    "languages_csv": "scores_by_language.csv",  # absolute scores and gains with intervals
    "languages_html": "scores_by_language.html",
    "training_csv": "training.csv",  # each run's English validation, steps and time
    "curves_csv": "training_curves.csv",  # each run's training loss by step
    "training_html": "training.html",
    "training_curves": "training_curves.png",
    "overview": "overview.html",  # the report's first screen: the table and the heatmap
}
LANGUAGE_GAINS = SUMMARY_DIR + "/language_gains/{target}.png"
RESOLVED_CONFIG = SUMMARY_DIR + "/config.yaml"  # the config as validated: the report's section
# which data, model and code every score came from (the provenance rule)
PROVENANCE = SUMMARY_DIR + "/provenance.json"


# ---- the research analyses (xstilts.analyses): folders named after each analysis's module ----
def analysis_dir(module: str) -> str:
    """An analysis's folder of summary files, results/summary/<module> (``module``: its name in
    ``analyses.NAMES``, or the module's ``__name__``)."""
    return f"{SUMMARY_DIR}/{module.rpartition('.')[2]}"


def analysis_cells(module: str, key: str) -> str:
    """The pattern of an analysis's per-cell files, results/<module>/<key> (``key``: the cell's
    wildcards and the file's suffix, e.g. ``{model}/{arm}/seed{seed}/{target}.json``)."""
    return f"results/{module.rpartition('.')[2]}/{key}"


def fill(pattern: str, **values) -> str:
    """The path ``pattern`` names for these wildcard values."""
    return pattern.format(**values)


def rename(pattern: str, **names: str) -> str:
    """``pattern`` with wildcards renamed, e.g. ``rename(SCORES, target="rtarget")``."""
    for old, new in names.items():
        pattern = pattern.replace("{" + old + "}", "{" + new + "}")
    return pattern


def summary_outputs(targets: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """Every summary file by name, plus one per-language gain figure per target
    (``language_gains_<target>``, as xstilts.summary names them)."""
    out = {name: f"{SUMMARY_DIR}/{file}" for name, file in SUMMARY_FILES.items()}
    for target in targets:
        out[f"language_gains_{target}"] = fill(LANGUAGE_GAINS, target=target)
    return out


# ---- TensorBoard event files of a training job (a logging option: no declared output) ----
# the model's folder under results/tensorboard/<phase>/, less its last part ("model")
INTERMEDIATE_TENSORBOARD = "results/tensorboard/intermediate/{model}/{arm}/seed{seed}"
TARGET_TENSORBOARD = "results/tensorboard/target/{model}/{arm}/seed{seed}/{target}"


def values(pattern: str, path: str) -> dict[str, str]:
    """The wildcard values that ``fill`` turns into ``path`` (``fill``'s inverse), e.g.
    ``values(LANGUAGE_FEATURES, "results/features/m/by_language/mnli.de")`` →
    ``{"model": "m", "task": "mnli", "lang": "de"}``; a wildcard takes no "/", and where two
    share a folder name the first takes the most it can (a language code has no ".").
    A ValueError when ``path`` is not of ``pattern``."""
    import re

    regex, seen, at = "", set(), 0
    for match in re.finditer(r"\{(\w+)\}", pattern):
        regex += re.escape(pattern[at : match.start()])
        name = match.group(1)
        regex += f"(?P={name})" if name in seen else f"(?P<{name}>[^/]+)"
        seen.add(name)
        at = match.end()
    regex += re.escape(pattern[at:])
    found = re.fullmatch(regex, str(path))
    if found is None:
        raise ValueError(f"{path} is not a path of the pattern {pattern}")
    return found.groupdict()
