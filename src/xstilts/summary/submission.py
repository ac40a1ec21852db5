"""Gold labels and leaderboard submissions in the XTREME layout (``<task>/test-<lang>.<ext>``).

``write_labels`` writes the gold of every target as google-research/xtreme's evaluate.py reads
it (``--label_folder``); ``assemble`` copies one arm's predictions of every task — or, per
task, the predictions of the arm that is best on *validation* (the paper's "best intermediate
task per target"; never chosen on test) — into one folder and a zip file ready to upload.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from xstilts import tasks as task_registry
from xstilts.errors import UserError
from xstilts.tasks.retrieval import RetrievalTask


def write_labels(task_name: str, features_dir: str | Path, languages: list[str], out: Path) -> None:
    """The gold of one task's test languages into ``out/<xtreme name>/test-<lang>.<ext>``."""
    from xstilts.data.disk import load_split

    task = task_registry.get(task_name)
    folder = Path(out) / task.xtreme_name
    folder.mkdir(parents=True, exist_ok=True)
    for lang in languages:
        split = Path(features_dir) / task.test_split(lang)
        if not split.exists():
            raise UserError(
                f"features {split} are missing, whose gold labels {task_name} {lang} needs; "
                f"delete {features_dir} and run again"
            )
        gold = task.gold(load_split(split))
        task.write_labels(gold, folder / f"test-{lang}.{task.prediction_suffix}")


def validation_score(task_name: str, doc: dict) -> float | None:
    """An arm's English validation score on a task: the mean of the task's summary metrics in
    its training summary (``train_summary.json``), or of BUCC's dev scores over languages (in
    its score file); None when the task has no validation set."""
    task = task_registry.get(task_name)
    if "validation" not in doc or not doc["validation"]:
        return None
    scores = doc["validation"]
    # a training summary: task → metrics (a shared training job: its first target)
    head = task_registry.head_of(task_name, list(scores))
    if head is not None:
        return task.summary_score(scores[head])
    per_lang = [v for v in scores.values() if all(m in v for m in task.avg_metrics)]
    if not per_lang:
        return None
    return sum(v[m] for v in per_lang for m in task.avg_metrics) / (
        len(per_lang) * len(task.avg_metrics)
    )


def choose_arms(validation: dict[str, dict[str, float | None]]) -> dict[str, dict]:
    """target → {"arm", "validation", "basis"}: the arm with the best validation score (ties:
    the first arm in grid order). A retrieval target without any validation score takes the
    arm chosen for BUCC when there is one (Tatoeba: the same encoders, and XTREME gives it no
    dev set); any other target without one takes the baseline; ``basis`` says which rule
    applied (TyDiQA-GoldP's validation is SQuAD dev without XQuAD's questions: the task's
    ``validation_rule``)."""
    out: dict[str, dict] = {}
    pending = []
    for target, by_arm in validation.items():
        known = {a: s for a, s in by_arm.items() if s is not None}
        if not known:
            pending.append(target)
            continue
        arm = max(known, key=lambda a: (known[a], -list(by_arm).index(a)))
        # "validation", or how a task without its own English validation makes one (TyDiQA)
        basis = task_registry.get(target).validation_rule or "validation"
        out[target] = {"arm": arm, "validation": known[arm], "basis": basis}
    for target in pending:
        bucc = next((t for t in out if task_registry.get(t).xtreme_name == "bucc2018"), None)
        # only a retrieval task shares BUCC's encoder; another target without validation
        # falls back to the baseline rather than to an unrelated task's choice
        if bucc is not None and isinstance(task_registry.get(target), RetrievalTask):
            out[target] = {"arm": out[bucc]["arm"], "validation": None, "basis": f"as {bucc}"}
        else:
            out[target] = {"arm": "baseline", "validation": None, "basis": "no validation set"}
    return out


def assemble(predictions: dict[str, Path], out_dir: Path, zip_path: Path, manifest: dict) -> None:
    """Copy each target's predictions folder to ``out_dir/<xtreme name>/``, write
    ``manifest.json`` (which arm each task comes from, and why) and zip the folder."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for target, folder in predictions.items():
        name = task_registry.get(target).xtreme_name
        if (out_dir / name).exists():
            raise UserError(
                f"targets {target} and another both fill the submission folder {name}; keep one "
                "of them in the config"
            )
        shutil.copytree(folder, out_dir / name)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    write_zip(out_dir, Path(zip_path))


# every entry's time in the archive: the zip format's earliest, so a submission assembled again
# from the same predictions is the same file, byte for byte
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_zip(folder: Path, zip_path: Path) -> None:
    """``folder``'s files and subfolders, by relative path in sorted order (as
    ``shutil.make_archive`` lays them out), with fixed times and permissions."""
    entries = sorted(p for p in Path(folder).rglob("*"))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in entries:
            name = path.relative_to(folder).as_posix() + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = (0o40755 if path.is_dir() else 0o100644) << 16
            info.compress_type = zipfile.ZIP_STORED if path.is_dir() else zipfile.ZIP_DEFLATED
            archive.writestr(info, b"" if path.is_dir() else path.read_bytes())


def labels_job(cell: dict, inputs: dict, outputs: dict) -> None:
    """Rule labels: the gold of every evaluated target (``cell``: target → its ``features``
    folder and ``languages``) into ``outputs["labels"]``."""
    for target, spec in cell.items():
        write_labels(target, spec["features"], spec["languages"], outputs["labels"])


def submission_job(cell: dict, inputs: dict, outputs: dict) -> None:
    """Rule submission: one arm's predictions of every target (``cell["choice"]``: an arm), or
    per target the arm best on validation (``"best"``), into ``outputs["folder"]`` and
    ``outputs["zip"]``; ``cell["targets"]``: target → arm → its predictions and validation
    files, ``cell["arms"]`` in grid order (a tie goes to the first, as in the summary)."""
    if cell["choice"] == "best":
        validation = {
            target: {
                arm: validation_score(
                    target, json.loads(Path(by_arm[arm]["validation"]).read_text())
                )
                for arm in cell["arms"]
            }
            for target, by_arm in cell["targets"].items()
        }
        chosen = choose_arms(validation)
    else:
        chosen = {t: {"arm": cell["choice"], "basis": "configured"} for t in cell["targets"]}
    predictions = {t: Path(cell["targets"][t][c["arm"]]["predictions"]) for t, c in chosen.items()}
    assemble(predictions, Path(outputs["folder"]), Path(outputs["zip"]), {"tasks": chosen})
