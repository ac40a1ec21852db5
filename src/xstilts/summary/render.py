"""Rendering the summary's tables: Markdown, LaTeX and the report's HTML overview."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from xstilts.grid import paths
from xstilts.summary.bootstrap import CI_LEVEL
from xstilts.summary.read import BASELINE
from xstilts.summary.tables import NON_TARGET_COLUMNS


def benchmark_markdown(scores: pd.DataFrame, benchmark: str) -> str:
    """One benchmark's table: a row per (model, arm), its tasks, groups and average as
    columns; a score over fewer languages or tasks than the benchmark has carries a "*"."""
    from xstilts.benchmarks import BENCHMARKS

    rows = scores[scores.benchmark == benchmark]
    if rows.empty:
        return f"No {benchmark} task was evaluated.\n"
    table = BENCHMARKS[benchmark]
    columns = [t for t in table.tasks if (rows.name == t).any()]
    columns += [g for g in table.groups if ((rows.kind == "group") & (rows.name == g)).any()]
    columns.append("avg")
    out = [
        "| " + " | ".join(["model", "arm", *columns]) + " |",
        "|" + "---|" * 2 + "---:|" * len(columns),
    ]
    for (model, arm), g in rows.groupby(["model", "arm"], sort=False):
        by_name = {r.name: r for r in g.itertuples()}
        cells = []
        for name in columns:
            r = by_name.get(name)
            if r is None:
                cells.append("–")
                continue
            text = f"{r.score:.1f}" + ("" if r.complete else "*")
            cells.append(f"{text} ({r.tasks} tasks)" if name == "avg" else text)
        out.append("| " + " | ".join([model, arm, *cells]) + " |")
    out.append(
        f"\n\\* over fewer languages or tasks than {benchmark} has "
        f"({len(table.tasks)} tasks); not comparable to a complete {benchmark} score.\n"
    )
    return "\n".join(out) + "\n"


def best_markdown(best: pd.DataFrame) -> str:
    header = ["model", "target", "best arm", "chosen by", "validation", "test", "baseline"]
    header.append("gain [95 % CI]")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in best.itertuples():
        cells = [r.model, r.target, r.arm or "per target", r.basis, _fmt(r.validation, True)]
        gain = _signed(r.gain)
        if pd.notna(r.ci_low) and r.arm != BASELINE:
            gain += f" [{r.ci_low:+.1f}, {r.ci_high:+.1f}]" + ("†" if r.significant else "")
        cells += [_fmt(r.score, True), _fmt(r.baseline, True), gain]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _signed(value: float) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:+.1f}"


def ci_markdown(ci: pd.DataFrame) -> str:
    """Arm × target gains with their 95 % intervals; † when the interval excludes 0."""
    if ci.empty:
        return "No gains: the grid has no baseline arm, or no per-example statistics.\n"
    targets = list(dict.fromkeys(t for t in ci.target if t != "xtreme_avg"))
    if (ci.target == "xtreme_avg").any():
        targets.append("xtreme_avg")
    header = ["model", "arm"] + ["XTREME avg" if t == "xtreme_avg" else t for t in targets]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, arm), g in ci.groupby(["model", "arm"], sort=False):
        by_target = g.set_index("target")
        cells = [model, arm]
        for t in targets:
            if t not in by_target.index:
                cells.append("–")
                continue
            r = by_target.loc[t]
            mark = "†" if r["significant"] else ""
            cells.append(f"{r['gain']:+.1f} [{r['ci_low']:+.1f}, {r['ci_high']:+.1f}]{mark}")
        lines.append("| " + " | ".join(cells) + " |")
    n_seeds = int(ci.seeds.min())
    lines += [
        "",
        f"Gain over the baseline with its {CI_LEVEL:.0f} % confidence interval: a paired "
        f"bootstrap ({int(ci.resamples.iloc[0])} draws) over seeds ({n_seeds}) and test "
        "examples. † the interval excludes 0.",
    ]
    return "\n".join(lines) + "\n"


def metrics_markdown(metrics: pd.DataFrame) -> str:
    header = ["model", "arm"] + [f"{t} {m}" for t, m in metrics.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, arm), row in metrics.iterrows():
        lines.append("| " + " | ".join([model, arm] + [_fmt(v, True) for v in row]) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float, complete: bool, std: float | None = None) -> str:
    """``75.3``, ``75.3 ± 0.4`` over seeds, ``75.3*`` when incomplete; "–" when missing."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{value:.1f}" + ("" if std is None or pd.isna(std) else f" ± {std:.1f}")
    return text + ("" if complete else "*")


def _best_cells(table: pd.DataFrame) -> set[tuple[str, str, str]]:
    """(model, arm, column) of the highest mean in every column, per model (ties: all)."""
    best = set()
    for model, g in table.groupby(level="model", sort=False):
        for col in [*_targets(table), "xtreme_avg"]:
            top = g[col].max()
            if pd.notna(top):
                best |= {(model, arm, col) for (_, arm), v in g[col].items() if v == top}
    return best


def _targets(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in NON_TARGET_COLUMNS]


def _cells(table, std, best, row_key, row) -> tuple[list[tuple[str, bool]], str]:
    """A row's formatted target cells (each with whether it is the best) and XTREME cell."""
    model, arm = row_key
    incomplete = set(map(tuple, table.attrs.get("incomplete_cells", [])))

    def sd(col):
        return None if std is None else std.loc[row_key, col]

    cells = [
        (_fmt(row[t], (model, arm, t) not in incomplete, sd(t)), (model, arm, t) in best)
        for t in _targets(table)
    ]
    avg = _fmt(row["xtreme_avg"], bool(row["xtreme_complete"]), sd("xtreme_avg"))
    return cells, avg


def _display_rows(table: pd.DataFrame, std: pd.DataFrame | None):
    """Per arm of the table: (model, arm), then each target's cell and the XTREME average
    as (text, bold); an incomplete average names its coverage."""
    best = _best_cells(table)
    for key, row in table.iterrows():
        cells, avg = _cells(table, std, best, key, row)
        if not row["xtreme_complete"]:
            avg = f"{avg} ({row['xtreme_tasks']} tasks)"
        yield key, [*cells, (avg, (*key, "xtreme_avg") in best)]


TABLE_LEGEND = (
    "Bold: the best arm in the column. `*` incomplete: the average covers fewer languages or "
    "tasks than the benchmark has (XTREME has 9 tasks); it is not comparable to a full score."
)


def markdown(
    table: pd.DataFrame, metric_names: dict[str, str], std: pd.DataFrame | None = None
) -> str:
    """The paper's layout: one row per arm (baseline, the intermediate tasks, multitask), one
    column per target with its official metric, the XTREME average last; the best arm of each
    column in bold; mean ± standard deviation over seeds when there are several."""
    header = ["model", "arm"] + [f"{t} ({metric_names.get(t, '')})" for t in _targets(table)]
    header.append("XTREME avg")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, cells in _display_rows(table, std):
        out = [key[0], key[1]] + [f"**{c}**" if bold else c for c, bold in cells]
        lines.append("| " + " | ".join(out) + " |")
    lines += [
        "",
        TABLE_LEGEND + (" Mean ± standard deviation over seeds." if std is not None else ""),
    ]
    return "\n".join(lines) + "\n"


def overview_html(
    table: pd.DataFrame,
    metric_names: dict[str, str],
    std: pd.DataFrame | None,
    heatmap: str | Path,
) -> str:
    """The report's first screen: the arm × target table and the heatmap of gains (embedded),
    as an HTML fragment."""
    from html import escape

    head = ["model", "arm"] + [f"{t} ({metric_names.get(t, '')})" for t in _targets(table)]
    head.append("XTREME avg")
    rows = ["<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for key, cells in _display_rows(table, std):
        out = [f"<td>{escape(str(k))}</td>" for k in key]
        out += [
            f"<td><b>{escape(c)}</b></td>" if bold else f"<td>{escape(c)}</td>" for c, bold in cells
        ]
        rows.append("<tr>" + "".join(out) + "</tr>")
    picture = base64.b64encode(Path(heatmap).read_bytes()).decode("ascii")
    return (
        '<table class="table table-sm">\n' + "\n".join(rows) + "\n</table>\n"
        f"<p>{escape(TABLE_LEGEND)}</p>\n"
        f'<img alt="gains over the baseline" style="max-width: 100%; max-height: 42vh" '
        f'src="data:image/png;base64,{picture}">\n'
    )


def _tex(text: str) -> str:
    """Escape LaTeX's special characters in a name."""
    for char, repl in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%")):
        text = text.replace(char, repl)
    return text.replace("#", r"\#").replace("$", r"\$")


def latex(
    table: pd.DataFrame,
    metric_names: dict[str, str] | None = None,
    std: pd.DataFrame | None = None,
) -> str:
    """The same table as a booktabs ``tabular`` to ``\\input`` in a paper (needs
    ``\\usepackage{booktabs}``): the metric under each target, the best per column in bold."""
    metric_names = metric_names or {}
    targets = _targets(table)
    cols = "ll" + "r" * (len(targets) + 1)
    lines = [
        r"\begin{tabular}{" + cols + "}",
        r"\toprule",
        " & ".join(["Model", "Arm", *map(_tex, targets), "XTREME avg"]) + r" \\",
    ]
    if metric_names:
        lines.append(
            " & ".join(["", "", *(_tex(metric_names.get(t, "")) for t in targets), ""]) + r" \\"
        )
    lines.append(r"\midrule")
    best = _best_cells(table)
    for key, row in table.iterrows():
        cells, avg = _cells(table, std, best, key, row)
        out = [_tex(key[0]), _tex(key[1])]
        out += [r"\textbf{" + c + "}" if bold else c for c, bold in cells]
        out.append(r"\textbf{" + avg + "}" if (*key, "xtreme_avg") in best else avg)
        lines.append(" & ".join(out).replace("±", r"$\pm$") + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


BENCHMARK_TITLES = {"xtreme": "XTREME", "xtreme-r": "XTREME-R"}


def report_markdown(table, metric_names, std, ci, best, beside, bench, benchmarks, metrics, meta):
    """The summary's Markdown page (arm_target.md): the arm × target table, the gains with their
    intervals, the best arm per target, the published numbers beside (when given), each
    benchmark's table, every metric and the score files' notes."""
    notes = [f"- {t}: {n}" for t, ns in meta["notes"].items() for n in ns]
    return (
        "## Summary score per target (language average) and XTREME average\n\n"
        + markdown(table, metric_names, std)
        + "\n## Gains over the baseline with 95 % confidence intervals\n\n"
        + ci_markdown(ci)
        + "\n## Best intermediate task per target (chosen on English validation)\n\n"
        + best_markdown(best)
        + (f"\n## Beside the published numbers\n\n{beside}" if beside else "")
        + "".join(
            f"\n## {BENCHMARK_TITLES[b]} (evaluate.py --xtreme_version {b})\n\n"
            + benchmark_markdown(bench, b)
            for b in benchmarks
        )
        + "\n## Every metric (language average, mean over seeds)\n\n"
        + metrics_markdown(metrics)
        + ("\n## Notes\n\n" + "\n".join(notes) + "\n" if notes else "")
    )


PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:14px;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}"
    "th{background:#f3f3f3}td.name,th.name{text-align:left}"
    "small{color:#555}.sig{font-weight:bold}"
)


def _page(title: str, intro: str, body: str) -> str:
    """A standalone HTML page (the report shows it in a frame)."""
    from html import escape

    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{PAGE_STYLE}</style></head><body>\n<h2>{escape(title)}</h2>\n"
        f"<p>{intro}</p>\n{body}</body></html>\n"
    )


def _gain_text(r) -> str:
    """``+1.2 [-0.3, +2.8]``, with † when the interval excludes 0; no interval: the gain."""
    if pd.isna(r.gain):
        return ""
    text = f"{r.gain:+.1f}"
    if pd.notna(r.ci_low):
        text += f" [{r.ci_low:+.1f}, {r.ci_high:+.1f}]" + ("†" if r.significant else "")
    return text


def languages_html(langs: pd.DataFrame, metric_names: dict[str, str]) -> str:
    """Per target, a table of its languages: each arm's absolute score (mean over seeds) and,
    under it, its gain over the baseline with the 95 % interval."""
    from html import escape

    sections = []
    for (model, target), g in langs.groupby(["model", "target"], sort=False):
        arms = list(dict.fromkeys(g.arm))
        head = '<tr><th class="name">language</th><th class="name">family</th>'
        head += "".join(f"<th>{escape(a)}</th>" for a in arms) + "</tr>"
        lines = [head]
        for (lang, family), h in g.groupby(["language", "family"], sort=False):
            by_arm = {r.arm: r for r in h.itertuples()}
            cells = [f'<td class="name">{escape(lang)}</td><td class="name">{escape(family)}</td>']
            for arm in arms:
                r = by_arm.get(arm)
                if r is None or pd.isna(r.score):
                    cells.append("<td>–</td>")
                    continue
                gain = _gain_text(r)
                mark = ' class="sig"' if r.significant else ""
                cells.append(
                    f"<td>{r.score:.1f}"
                    + (f"<br><small{mark}>{escape(gain)}</small>" if gain else "")
                    + "</td>"
                )
            lines.append("<tr>" + "".join(cells) + "</tr>")
        metric = metric_names.get(target, "")
        title = f"{target} ({metric})" + (f", {model}" if langs.model.nunique() > 1 else "")
        sections.append(f"<h3>{escape(title)}</h3>\n<table>\n" + "\n".join(lines) + "\n</table>")
    if not sections:
        sections = ["<p>No per-language scores.</p>"]
    n_seeds = int(langs.seeds.max()) if len(langs) else 0
    intro = (
        "Each language's score (the target's official metric, mean over "
        f"{n_seeds} seed{'s' if n_seeds != 1 else ''}) per arm; under it the gain over the "
        f"baseline with its {CI_LEVEL:.0f} % interval from the paired bootstrap over seeds and "
        "test examples (the draws of the gains in arm_target.md, per language). † and bold: "
        f"the interval excludes 0. Every value is in {paths.summary_outputs()['languages_csv']}."
    )
    return _page("Scores and gains per language", intro, "\n".join(sections))


def training_html(training: pd.DataFrame, arms: list[tuple[str, str]]) -> str:
    """Per arm (rows, in the table's order): the English validation score of each task its
    intermediate run trained, and of each target after fine-tuning, mean over seeds."""
    from html import escape

    from xstilts.summary.training import INTERMEDIATE

    if training.empty:
        return _page("English validation", "No training summaries were found.", "")
    inter = training[training.phase == INTERMEDIATE]
    tasks = list(dict.fromkeys(inter.task))
    targets = [p for p in dict.fromkeys(training.phase) if p != INTERMEDIATE]
    mean = training.groupby(["model", "arm", "phase", "task"], sort=False)["validation"].mean()
    steps = inter.groupby(["model", "arm"], sort=False)["steps"].mean()
    head = ['<th class="name">model</th>', '<th class="name">arm</th>']
    head += [f"<th>intermediate: {escape(t)}</th>" for t in tasks] + ["<th>steps</th>"]
    head += [f"<th>target: {escape(t)}</th>" for t in targets]
    lines = ["<tr>" + "".join(head) + "</tr>"]

    def cell(key) -> str:
        value = mean.get(key)
        return "<td>–</td>" if value is None or pd.isna(value) else f"<td>{value:.1f}</td>"

    for model, arm in arms:
        out = [f'<td class="name">{escape(model)}</td><td class="name">{escape(arm)}</td>']
        out += [cell((model, arm, INTERMEDIATE, t)) for t in tasks]
        n = steps.get((model, arm))
        out.append("<td>–</td>" if n is None or pd.isna(n) else f"<td>{n:.0f}</td>")
        out += [cell((model, arm, t, t)) for t in targets]
        lines.append("<tr>" + "".join(out) + "</tr>")
    intro = (
        "The English validation score (each task's official metric on its English validation "
        "set, mean over seeds) of every task an arm's intermediate run trained, and of each "
        "target after fine-tuning from that arm's encoder: the scores the best arm per target "
        "is chosen on. The baseline has no intermediate run (its encoder is the pretrained "
        f"one). Every value is in {paths.summary_outputs()['training_csv']}; the training "
        f"curves are in {paths.SUMMARY_FILES['training_curves']}."
    )
    return _page("English validation per arm", intro, "<table>\n" + "\n".join(lines) + "\n</table>")
