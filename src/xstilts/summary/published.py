"""The grid's result beside the published one: for a grid of XLM-R Large on real data, each
target's best intermediate task (chosen on English validation) and the baseline against the
X-STILTs and XLM-R Large numbers of ``published.yaml``, in the published metric (QA: F1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

PUBLISHED = Path(__file__).with_name("published.yaml")
XLMR_LARGE = "xlm-roberta-large"


# the grid's target whose score a published number describes, where it is not the published
# task's name: UD-POS was published on XTREME's words (google-research/xtreme
# scripts/download_data.sh converts UD with --replace_subtokens_with_fused_forms), which
# udpos_fused reads; udpos (the Hub's google/xtreme copy, multiword tokens split into their
# words) scores other words and is never set beside a published number
COMPARABLE = {"udpos": "udpos_fused"}


def published() -> dict:
    return yaml.safe_load(PUBLISHED.read_text())


def comparable_models(config: dict) -> list[str]:
    """The models of a grid whose results the published ones describe: XLM-R Large (its Hub
    id, or a folder or model name that says so) on the Hub's data, not the demo's."""
    if config["data"]["source"] != "hub":
        return []
    return [
        name
        for name, spec in config["models"].items()
        if XLMR_LARGE in str(spec.get("hub_id", "")).lower() or name.lower() == "xlmr_large"
    ]


def comparison(long: pd.DataFrame, best: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Per model and published target: the best arm's and the baseline's score in the
    published metric (mean over seeds of the average over the task's XTREME languages, as
    published: XTREME-R's added languages left out), how many of those languages the grid
    tested, the published X-STILTs and XLM-R Large scores, and the differences."""
    from xstilts.benchmarks import BENCHMARKS

    ref = published()
    rows = []
    for model in models:
        chosen = best[(best.model == model)].set_index("target")
        for task, metric in ref["metric"].items():
            target = COMPARABLE.get(task, task)
            if target not in chosen.index:
                continue
            languages = BENCHMARKS["xtreme"].languages[task]
            row = {"model": model, "target": target, "metric": metric}
            tested = len(languages)
            for label, arm in (
                ("ours_best", chosen.loc[target, "arm"]),
                ("ours_baseline", "baseline"),
            ):
                cells = long[
                    (long.model == model)
                    & (long.arm == arm)
                    & (long.target == target)
                    & (long.metric == metric)
                    & long.language.isin(languages)
                ]
                per_seed = cells.groupby("seed").value.mean()
                row[label] = float(per_seed.mean()) if len(per_seed) else float("nan")
                counts = cells.groupby("seed").language.nunique()
                tested = min(tested, int(counts.min()) if len(counts) else 0)
            row["languages"] = f"{tested}/{len(languages)}"
            row["best_arm"] = chosen.loc[target, "arm"]
            row["x_stilts"] = ref["scores"]["X-STILTs"][task]
            row["xlmr_large"] = ref["scores"]["XLM-R Large"][task]
            row["best_minus_x_stilts"] = row["ours_best"] - row["x_stilts"]
            row["baseline_minus_xlmr_large"] = row["ours_baseline"] - row["xlmr_large"]
            rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    source = published()["source"]
    lines = [
        "| model | target (metric) | languages | best arm | ours: best | X-STILTs | difference "
        "| ours: baseline | XLM-R Large | difference |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.model} | {r.target} ({r.metric}) | {r.languages} | {r.best_arm} | "
            f"{r.ours_best:.1f} | "
            f"{r.x_stilts:.1f} | {r.best_minus_x_stilts:+.1f} | {r.ours_baseline:.1f} | "
            f"{r.xlmr_large:.1f} | {r.baseline_minus_xlmr_large:+.1f} |"
        )
    lines += [
        "",
        f"Published test scores: {source}. QA in F1 there (not (EM + F1) / 2), each the average "
        "over the task's XTREME languages; ours: the average of the same metric over those of "
        "them the grid tested (languages: how many; an average over fewer is not the published "
        "one's), mean over seeds, the best arm chosen on English validation. UD-POS only as "
        "udpos_fused (XTREME's words, multiword tokens fused, as published), never udpos (the "
        "Hub's copy, whose words are split).",
    ]
    return "\n".join(lines) + "\n"
