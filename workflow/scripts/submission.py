"""Assemble one leaderboard submission: an arm's predictions, or the best arm per task."""

import json
from pathlib import Path

from xstilts.job import run


def main(smk):
    from xstilts.summary.submission import assemble, choose_arms, validation_score

    spec = json.loads(smk.params.spec)
    if spec["choice"] == "best":
        validation = {  # arms in grid order: a tie goes to the first, as in the summary
            target: {
                arm: validation_score(
                    target, json.loads(Path(by_arm[arm]["validation"]).read_text())
                )
                for arm in spec["arms"]
            }
            for target, by_arm in spec["targets"].items()
        }
        chosen = choose_arms(validation)
    else:
        chosen = {t: {"arm": spec["choice"], "basis": "configured"} for t in spec["targets"]}
    predictions = {t: Path(spec["targets"][t][c["arm"]]["predictions"]) for t, c in chosen.items()}
    assemble(predictions, Path(smk.output.folder), Path(smk.output.zip), {"tasks": chosen})


run(snakemake, main)  # noqa: F821
