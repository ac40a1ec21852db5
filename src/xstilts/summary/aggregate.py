"""Aggregation: per-cell score files → long table, arm × target table, gains over the baseline.

Reads only the score JSON files the evaluation jobs write (task, languages, metrics, the
expected languages); knows nothing task-specific beyond the XTREME task table. Averages follow
google-research/xtreme's evaluate.py: per task, each metric is averaged uniformly over
languages and the task's summary score is the mean of its ``avg_metrics`` (accuracy for
XNLI/PAWS-X); the XTREME score is the unweighted mean of the task summaries. A task average over
fewer languages than the task has, or an XTREME average over fewer than its nine tasks, is
computed over what is there and marked incomplete, never passed off as complete.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from xstilts.summary.bootstrap import bootstrap_gains
from xstilts.summary.read import read_scores, read_validation, task_scores
from xstilts.summary.render import (
    languages_html,
    latex,
    overview_html,
    report_markdown,
    training_html,
)
from xstilts.summary.tables import (
    arm_target_std,
    arm_target_table,
    benchmark_table,
    best_table,
    gains_by_family,
    gains_by_language,
    gains_table,
    language_scores,
    metric_label,
    metric_table,
    xtreme_label,
)
from xstilts.summary.training import INTERMEDIATE, read_training

LANGUAGE_GAINS = "language_gains_"  # + target: the per-language gain figure of one target


def summarize(
    score_files: list[str | Path],
    outputs: dict[str, str | Path],
    example_files: list[str | Path] | None = None,
    benchmarks: tuple[str, ...] = ("xtreme",),
    published_models: tuple[str, ...] = (),
    model_dirs: list[str | Path] = (),
) -> None:
    """Write every summary file; ``outputs`` maps the names in grid.SUMMARY_FILES to paths,
    and ``language_gains_<target>`` to the per-language gain figure of each target;
    ``example_files`` (per-example statistics, one per score file) give the gains' confidence
    intervals; each of ``benchmarks`` ("xtreme", "xtreme-r") gets its own table of task, group
    and benchmark scores; the ``published_models`` (XLM-R Large on real data) are set beside the
    published X-STILTs and XLM-R Large numbers (xstilts.published); the ``model_dirs``
    (intermediate and target models) give each run's English validation and training
    curve."""
    from xstilts.summary import figures as plots  # seaborn only where figures are drawn

    found = _tables(score_files, example_files, benchmarks, published_models, model_dirs)
    writers = _writers(found, plots)
    for name, path in outputs.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if name.startswith(LANGUAGE_GAINS):
            target = name.removeprefix(LANGUAGE_GAINS)
            _language_gains(plots, found.gains, found.meta, target, path)
        elif name != "overview":
            writers[name](path)
    if "overview" in outputs:  # after the heatmap it shows
        page = overview_html(found.table, found.metric_names, found.std, outputs["heatmap"])
        beside = found.beside
        if beside:  # the published numbers under the heatmap, as Markdown in a <pre>
            from html import escape

            page += f"<h3>Beside the published numbers</h3>\n<pre>{escape(beside)}</pre>\n"
        Path(outputs["overview"]).write_text(page, encoding="utf-8")


def _tables(
    score_files, example_files, benchmarks, published_models, model_dirs
) -> SimpleNamespace:
    """Every table the summary writes, read from the score files (and the examples and
    model directories beside them)."""
    long, meta = read_scores(score_files)
    tasks = task_scores(long, meta)
    table = arm_target_table(tasks)
    std = arm_target_std(tasks, table)
    gains = gains_by_language(long, meta)
    families = gains_by_family(gains, meta)
    metric_names = {t: metric_label(m) for t, m in meta["avg_metrics"].items()}
    metrics = metric_table(long, meta)
    bench = pd.concat([benchmark_table(long, meta, b) for b in benchmarks], ignore_index=True)
    intervals: list[dict] = []  # per language
    ci, draws = bootstrap_gains(
        score_files, example_files or [None] * len(score_files), by_language=intervals
    )
    langs = language_scores(long, meta, intervals)
    runs, curves = read_training(list(model_dirs))
    best = best_table(table, read_validation(score_files), draws)
    significant = {(r.model, r.arm, r.target) for r in ci.itertuples() if r.significant}
    beside = ""
    if published_models:
        from xstilts.summary import published

        beside = published.markdown(published.comparison(long, best, list(published_models)))
    report = report_markdown(
        table, metric_names, std, ci, best, beside, bench, benchmarks, metrics, meta
    )
    return SimpleNamespace(
        long=long,
        meta=meta,
        table=table,
        std=std,
        gains=gains,
        families=families,
        metric_names=metric_names,
        metrics=metrics,
        bench=bench,
        langs=langs,
        runs=runs,
        curves=curves,
        best=best,
        ci=ci,
        significant=significant,
        beside=beside,
        report=report,
    )


def _writers(found: SimpleNamespace, plots) -> dict:
    """Summary output name → the function that writes it to a path."""
    return {
        "long_parquet": lambda p: found.long.to_parquet(p, index=False),
        "long_csv": lambda p: found.long.to_csv(p, index=False),
        "table_csv": lambda p: found.table.to_csv(p),
        "table_md": lambda p: Path(p).write_text(found.report),
        "metrics_csv": lambda p: found.metrics.to_csv(p),
        "table_tex": lambda p: Path(p).write_text(
            latex(found.table, found.metric_names, found.std)
        ),
        "best_csv": lambda p: found.best.to_csv(p, index=False),
        "gains_ci_csv": lambda p: found.ci.to_csv(p, index=False),
        "gains_parquet": lambda p: found.gains.to_parquet(p, index=False),
        "gains_csv": lambda p: found.gains.to_csv(p, index=False),
        "heatmap": lambda p: plots.gain_heatmap(
            gains_table(found.table), p, xtreme_label(found.table), found.significant
        ),
        "family_csv": lambda p: found.families.to_csv(p, index=False),
        "benchmarks_csv": lambda p: found.bench.to_csv(p, index=False),
        "family_heatmap": lambda p: plots.family_gains(found.families, p),
        "languages_csv": lambda p: found.langs.to_csv(p, index=False),
        "languages_html": lambda p: Path(p).write_text(
            languages_html(found.langs, found.metric_names)
        ),
        "training_csv": lambda p: found.runs.to_csv(p, index=False),
        "curves_csv": lambda p: found.curves.to_csv(p, index=False),
        "training_html": lambda p: Path(p).write_text(
            training_html(found.runs, list(found.table.index))
        ),
        "training_curves": lambda p: plots.training_curves(found.curves, p, _phases(found.runs)),
    }


def _language_gains(plots, gains: pd.DataFrame, meta: pd.DataFrame, target: str, path) -> None:
    """The per-language gain figure of ``target``."""
    if target not in meta.index:  # bucc2018_mteb's score files say "bucc2018"
        from xstilts import tasks as task_registry

        with contextlib.suppress(KeyError):
            target = task_registry.get(target).xtreme_name
    metrics_used = tuple(meta.loc[target, "avg_metrics"]) if target in meta.index else ()
    plots.language_gains(gains, target, metrics_used, path)


# ---- provenance: which data, model and code every score came from ----


def code_version(directory: str | Path | None = None) -> dict:
    """The xstilts version and, where ``directory`` (default: the package's) is in a git
    checkout, its commit as ``git describe --always --dirty`` and ``git rev-parse HEAD`` say at
    this moment; None outside a checkout or without git."""
    import subprocess

    import xstilts

    directory = Path(directory or Path(xstilts.__file__).parent)

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=directory, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() or None if done.returncode == 0 else None

    return {
        "xstilts": xstilts.__version__,
        "git_describe": git("describe", "--always", "--dirty"),
        "git_commit": git("rev-parse", "HEAD"),
    }


def _generator_sha256() -> str:
    """One SHA-256 over the source of the code that writes demo data and models (the task
    modules' demo rows, the demo builders): what a demo result's data came from."""
    import hashlib

    import xstilts

    package = Path(xstilts.__file__).parent
    files = sorted(package.glob("tasks/*.py")) + [
        package / "modeling" / "demo_model.py",
        *sorted(package.glob("data/*.py")),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def describe_data(path: str | Path) -> dict:
    """Where one source file came from: a Hub split's manifest (the commit and source files
    fetch recorded), a demo split (the generator's hash) or a local import; with the file's
    SHA-256 now and whether it is still the file that was fetched."""
    from xstilts.data.sources import DATA_ROOTS, LOCAL_PREFIX, file_sha256, read_manifest

    path = Path(path)
    described: dict = {"sha256": file_sha256(path) if path.exists() else None}
    if str(path).startswith(DATA_ROOTS["demo"] + "/"):
        return described | {"kind": "demo", "generator": "xstilts.tasks.build.build_demo_split"}
    if str(path).startswith(f"{DATA_ROOTS['hub']}/{LOCAL_PREFIX}"):
        return described | {"kind": "local"}  # imported from data.local.<name>
    manifest = read_manifest(path)
    if manifest is None:
        return described | {
            "kind": "hub",
            "commit": None,
            "note": "fetched before xstilts recorded what it fetched: the commit is unknown "
            "(delete the file and run the fetch to fetch it at its pin)",
        }
    keep = ("repo", "config", "split", "revision", "commit", "files", "rows")
    return (
        described
        | {"kind": "hub"}
        | {k: manifest.get(k) for k in keep}
        | {"unchanged_since_fetch": manifest.get("sha256") == described["sha256"]}
    )


def describe_model(folder: str | Path, spec: dict) -> dict:
    """Where a model folder came from: the Hub commit fetch recorded, or a demo model (its
    settings and the generator's hash); with one SHA-256 over its files."""
    import hashlib

    from xstilts.data.sources import file_sha256
    from xstilts.modeling.fetch import MANIFEST, read_model_manifest

    folder = Path(folder)
    digest = hashlib.sha256()
    for p in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        digest.update(f"{p.relative_to(folder)}\0{file_sha256(p)}\n".encode())
    described: dict = {"files_sha256": digest.hexdigest() if folder.exists() else None}
    if "demo" in spec:
        return described | {
            "kind": "demo",
            "generator": "xstilts.modeling.demo_model.build",
            "settings": spec["demo"],
        }
    manifest = read_model_manifest(folder)
    if manifest is None:
        return described | {
            "kind": "hub",
            "hub_id": spec.get("hub_id"),
            "commit": None,
            "note": "fetched before xstilts recorded what it fetched: the commit is unknown",
        }
    keep = ("hub_id", "revision", "commit")
    return described | {"kind": "hub"} | {k: manifest.get(k) for k in keep}


def provenance(cells: list[dict], out: str | Path, code_dir: str | Path | None = None) -> dict:
    """Write ``out`` (provenance.json): for every score file of ``cells`` (each: ``scores``,
    ``model``, ``model_dir``, ``model_spec``, ``data``: the source files its arm and target
    read), the sources' commits and hashes, the model's and the code's version; returns it."""
    import json

    sources = {p: describe_data(p) for p in sorted({p for c in cells for p in c["data"]})}
    models = {
        c["model"]: describe_model(c["model_dir"], c["model_spec"])
        for c in sorted(cells, key=lambda c: c["model"])
    }
    demo = any(s["kind"] == "demo" for s in sources.values()) or any(
        m["kind"] == "demo" for m in models.values()
    )
    scores = []
    for c in cells:
        doc = json.loads(Path(c["scores"]).read_text())
        cell = doc["cell"]
        scores.append(
            {
                "scores": c["scores"],
                "model": cell["model"],
                "arm": cell["arm"],
                "seed": cell["seed"],
                "target": doc["task"],
                "model_commit": models[c["model"]].get("commit"),
                "sources": [
                    {"path": p, "commit": sources[p].get("commit"), "sha256": sources[p]["sha256"]}
                    for p in sorted(c["data"])
                ],
            }
        )
    document = {
        "code": code_version(code_dir),
        "generator_sha256": _generator_sha256() if demo else None,
        "models": models,
        "sources": sources,
        "scores": scores,
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return document


def aggregate_job(
    cell: None, inputs: dict, outputs: dict, benchmarks: tuple, published: tuple
) -> None:
    """Rule aggregate: ``summarize`` of the score files ``inputs["scores"]``, with the
    per-example statistics ``inputs["examples"]`` and the trained models ``inputs["models"]``;
    ``benchmarks`` and ``published`` are the rule's params of those names."""
    summarize(
        inputs["scores"],
        outputs,
        inputs["examples"],
        tuple(benchmarks),
        tuple(published),
        inputs["models"],
    )


def provenance_job(cell: list[dict], inputs: dict, outputs: dict) -> dict:
    """Rule provenance: ``provenance`` of the cells (one per score file) into
    ``outputs["provenance"]``."""
    return provenance(cell, outputs["provenance"])


def resolved_config_job(cell: dict, inputs: dict, outputs: dict) -> None:
    """Rule resolved_config: the config as validated (``cell``, every default filled in, in
    the config's own order) as YAML into ``outputs["config"]``."""
    import yaml

    Path(outputs["config"]).parent.mkdir(parents=True, exist_ok=True)
    Path(outputs["config"]).write_text(yaml.safe_dump(cell, sort_keys=False))


def _phases(runs: pd.DataFrame) -> list[str]:
    """The training curve's panels: the intermediate training (when any arm has one), then
    every target trained."""
    phases = list(dict.fromkeys(runs.phase))
    return [p for p in [INTERMEDIATE] if p in phases] + [p for p in phases if p != INTERMEDIATE]
