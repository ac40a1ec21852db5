"""Seaborn figures of the summary tables."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402


def gain_heatmap(gains: pd.DataFrame, out: str | Path, xtreme_label: str = "XTREME avg") -> None:
    """Arm × target gain over the baseline (points), with the XTREME average column."""
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
            annot=True,
            fmt=".1f",
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
        ax.set_title("Gain over the baseline arm")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
