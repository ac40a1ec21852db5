"""Seaborn figures of the summary tables (each research analysis draws its own figures in its
module, with ``plt``, ``sns`` and ``empty`` from here)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center")
    ax.set_axis_off()


def gain_heatmap(
    gains: pd.DataFrame,
    out: str | Path,
    xtreme_label: str = "XTREME avg",
    significant: set[tuple[str, str, str]] = frozenset(),
) -> None:
    """Arm × target gain over the baseline (points), with the XTREME average column; a gain
    whose 95 % interval excludes 0 (``significant``: (model, arm, target)) is marked †."""
    marks = pd.DataFrame(
        [
            [
                f"{v:.1f}" + ("†" if (m, a, t) in significant else "") if pd.notna(v) else ""
                for t, v in row.items()
            ]
            for (m, a), row in gains.iterrows()
        ],
        index=gains.index,
        columns=gains.columns,
    )
    data = gains.rename(columns={"xtreme_avg": xtreme_label}).astype(float)
    data.index = [
        f"{m} / {a}" if gains.index.get_level_values(0).nunique() > 1 else a for m, a in gains.index
    ]
    fig_w = 4.0 + 1.1 * max(1, data.shape[1])
    fig_h = 1.2 + 0.5 * max(1, data.shape[0])
    fig, ax = plt.subplots(figsize=(fig_w, fig_h), dpi=150)
    if data.empty:
        ax.text(0.5, 0.5, "no gains: the grid has no baseline arm", ha="center", va="center")
        ax.set_axis_off()
    else:
        bound = max(1.0, float(abs(data).max().max()))
        sns.heatmap(
            data,
            ax=ax,
            annot=marks.to_numpy(),
            fmt="",
            cmap="vlag",
            center=0,
            vmin=-bound,
            vmax=bound,
            cbar_kws={"label": "gain over baseline (points)"},
            linewidths=0.5,
        )
        ax.set_xlabel("target task (language average; XTREME avg over the targets present)")
        ax.set_ylabel("intermediate-task arm")
        ax.tick_params(axis="y", rotation=0)
        ax.set_title("Gain over the baseline arm (†: 95 % interval excludes 0)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def family_gains(families: pd.DataFrame, out) -> None:
    """Arm × language family: the gain over the baseline averaged over each family's languages
    and then over targets (a panel per model), the number of language scores averaged in each
    column's label."""
    from xstilts import languages as lang_table

    data = families[families.target == "all"] if len(families) else families
    models = list(dict.fromkeys(data.model)) if len(data) else []
    order = [f for f in lang_table.FAMILY_ORDER if len(data) and f in set(data.family)]
    arms = list(dict.fromkeys(data.arm)) if len(data) else []
    height = 1.5 + (0.45 * max(1, len(arms)) + 0.6) * max(1, len(models))
    fig, axes = plt.subplots(
        max(1, len(models)),
        1,
        figsize=(3.5 + 0.9 * max(1, len(order)), height),
        dpi=120,
        squeeze=False,
        layout="constrained",
    )
    if not models:
        empty(axes[0, 0], "no gains: the grid has no baseline arm")
    bound = max(1.0, float(data.gain.abs().max())) if len(data) else 1.0
    for ax, model in zip(axes[:, 0], models, strict=False):
        rows = data[data.model == model]
        matrix = rows.pivot_table(index="arm", columns="family", values="gain")
        counts = rows.groupby("family").languages.max()
        sns.heatmap(
            matrix.reindex(index=arms, columns=order),
            ax=ax,
            annot=True,
            fmt=".1f",
            cmap="vlag",
            center=0,
            vmin=-bound,
            vmax=bound,
            linewidths=0.5,
            cbar_kws={"label": "gain over baseline (points)"},
        )
        ax.set_xticks(
            [i + 0.5 for i in range(len(order))],
            [f"{f}\n({int(counts.get(f, 0))})" for f in order],
            rotation=45,
            ha="right",
            fontsize=8,
        )
        ax.set_xlabel("language family (WALS; language scores averaged, over all targets)")
        ax.set_ylabel("intermediate-task arm")
        ax.tick_params(axis="y", rotation=0)
        ax.set_title(f"{model}: gain by language family (mean over targets)", fontsize=9)
    fig.savefig(out)
    plt.close(fig)


def language_gains(gains: pd.DataFrame, target: str, metrics: tuple[str, ...], out) -> None:
    """Per-language gain over the baseline on one target, one panel per arm: languages ordered
    and coloured by family (xstilts.languages), the gain of the target's summary metric(s),
    mean over seeds."""
    from xstilts import languages as lang_table

    data = gains[(gains.target == target) & gains.metric.isin(metrics)]
    per_lang = (
        data.groupby(["model", "arm", "language"], sort=False)["gain"].mean().reset_index()
    )  # the mean over seeds and over the summary metrics (EM and F1 for QA)
    models = list(dict.fromkeys(per_lang.model))
    pairs = zip(per_lang.model, per_lang.arm, strict=True)
    per_lang["panel"] = [f"{m} / {a}" if len(models) > 1 else a for m, a in pairs]
    panels = list(dict.fromkeys(per_lang.panel))
    order = lang_table.by_family(per_lang.language.unique())
    families = list(dict.fromkeys(lang_table.family(code) for code in order))
    # the colour-blind-safe palette has 10 colours: families past the tenth are hatched too
    colours = sns.color_palette("colorblind", 10)
    style = {f: (colours[i % 10], "" if i < 10 else "///") for i, f in enumerate(families)}
    width = 3.0 + 0.28 * max(1, len(order))
    fig, axes = plt.subplots(
        max(1, len(panels)),
        1,
        figsize=(width, 1.2 + 1.4 * max(1, len(panels))),
        dpi=120,
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    label = " and ".join(metrics) or "score"
    if not panels:
        empty(axes[0, 0], f"no gains for {target}: no baseline arm")
    for ax, panel in zip(axes[:, 0], panels, strict=False):
        rows = per_lang[per_lang.panel == panel].set_index("language").reindex(order)
        bars = ax.bar(range(len(order)), rows["gain"].fillna(0.0), edgecolor="white")
        for bar, code in zip(bars, order, strict=True):
            colour, hatch = style[lang_table.family(code)]
            bar.set_facecolor(colour)
            bar.set_hatch(hatch)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_ylabel("gain (points)")
        ax.set_title(panel, fontsize=9, loc="left")
    axes[-1, 0].set_xticks(range(len(order)), order, rotation=90, fontsize=8)
    axes[-1, 0].set_xlabel("test language (ISO 639-1), grouped by family")
    handles = [
        plt.Rectangle((0, 0), 1, 1, facecolor=style[f][0], hatch=style[f][1], edgecolor="white")
        for f in families
    ]
    fig.suptitle(f"{target}: gain over the baseline per language ({label}, mean over seeds)")
    if handles:
        ncol = min(6, len(families))
        fig.legend(handles, families, loc="outside lower center", fontsize=7, ncol=ncol)
    fig.savefig(out)
    plt.close(fig)


def training_curves(curves: pd.DataFrame, out, phases: list[str]) -> None:
    """The training loss against the optimizer step: a panel per phase (the intermediate
    training, then each target's fine-tuning), a line per arm (and seed, in the arm's colour);
    a panel says so when its runs recorded no curve (trained by an older xstilts)."""
    phases = phases or ["intermediate"]
    arms = list(dict.fromkeys(curves.arm)) if len(curves) else []
    colours = dict(zip(arms, sns.color_palette("tab10", max(1, len(arms))), strict=False))
    width = min(4, len(phases))
    rows = -(-len(phases) // width)
    fig, axes = plt.subplots(rows, width, figsize=(4.2 * width, 3.2 * rows), dpi=120, squeeze=False)
    for ax, phase in zip(axes.flat, phases, strict=False):
        data = curves[curves.phase == phase] if len(curves) else curves
        if data.empty:
            empty(ax, f"{phase}: no training curve recorded")
            continue
        multi_model = data.model.nunique() > 1
        for (model, arm, seed), g in data.groupby(["model", "arm", "seed"], sort=False):
            first = seed == data[(data.model == model) & (data.arm == arm)].seed.min()
            label = (f"{model} / {arm}" if multi_model else arm) if first else None
            ax.plot(g.step, g.loss, color=colours[arm], label=label, linewidth=1.2)
        ax.set_title("intermediate training" if phase == "intermediate" else f"target: {phase}")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("training loss")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(phases) :]:
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
