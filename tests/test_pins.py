"""Every source pinned, and what a fetch got recorded beside it (issue 29).

The Hub is not reachable here: a dataset repository is laid out on disk as on the Hub, under the
run's directory at its Hub id (``nyu-mll/glue/``), which ``datasets.load_dataset`` reads as a
local folder, so the fetch rules run their real code (sources.fetch) offline.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from xstilts import tasks
from xstilts.data import hub
from xstilts.data.sources import file_sha256, manifest_path, read_manifest
from xstilts.modeling.fetch import MODEL_PINS

from conftest import GLUE_README

SHA = re.compile(r"[0-9a-f]{40}")
TARGET = "resources/datasets/nyu-mll/glue/mnli/train.parquet"


def test_every_hub_source_is_pinned_to_a_commit_or_says_why_not():
    """The table covers every repository a task reads; each entry reads a full commit SHA with
    its reference, or keeps a branch and says why (no public reference gives the commit)."""
    repos = {s.repo for _, s in tasks.all_sources().values() if not s.is_local}
    assert repos <= set(hub.HUB), repos - set(hub.HUB)
    for repo, entry in hub.HUB.items():
        assert entry.reference, repo
        if entry.revision is not None and SHA.fullmatch(entry.revision):
            assert hub.is_pinned(repo) and not entry.unpinned, repo
            assert hub.pin(repo)["revision"] == entry.revision
        else:
            assert entry.unpinned, f"{repo} reads {entry.revision or 'main'} and says not why"
            assert not hub.is_pinned(repo)
    # the commits the references link (full SHAs in their URLs; MTEB's pins)
    assert hub.HUB["facebook/xnli"].revision == "b8dd5d7af51114dbda02c0e3f6133f332186418e"
    assert hub.HUB["mteb/BUCC"].revision == "414572247440f0ccacf7eb0bb70a31533a0e5443"
    assert hub.HUB["stanfordnlp/snli"].revision == "cdb5c3d5eed6ead6e5a341c8e56e669bb666725b"
    # a parquet branch is read at its own commit where public code gives it, else as a branch
    assert hub.HUB["allenai/social_i_qa"].revision == "537a2ec8ec565adc0b70b70752893e59e024df26"
    for repo in ("Rowan/hellaswag", "aps/super_glue"):
        assert hub.HUB[repo].revision == hub.PARQUET_BRANCH and hub.HUB[repo].unpinned


def test_every_shipped_hub_model_is_pinned_or_says_why_not():
    from smk import REPO

    text = "\n".join(p.read_text() for p in sorted((REPO / "config").glob("*.yaml")))
    hub_ids = set(re.findall(r"hub_id: ([\w.-]+/[\w.-]+)", text))  # commented ones included
    assert "FacebookAI/xlm-roberta-large" in hub_ids
    for hub_id in hub_ids:
        pin = MODEL_PINS[hub_id]
        assert (pin["revision"] and SHA.fullmatch(pin["revision"])) or pin["unpinned"], hub_id


def test_the_fetch_dry_run_of_a_fresh_checkout_names_every_sources_revision(tmp_path):
    """`snakemake -n fetch` on the paper config: one pin job per Hub repository and model, whose
    message names the revision read, and every split's fetch reads its repository's pin."""
    from smk import REPO

    (tmp_path / "paper.yaml").write_text((REPO / "config/config.yaml").read_text())
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(REPO / "Snakefile")]
    done = subprocess.run(
        [*cmd, "--configfile", "paper.yaml", "--", "fetch"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    pins = dict(re.findall(r"pin the dataset (\S+) at (\{.*\})", out))
    fetched = set(re.findall(r"fetch (\S+/\S+) \((\S+), (\S+)\) at the revision (\S+) pins", out))
    assert len(fetched) == 180
    assert {f[0] for f in fetched} == set(pins)
    for (
        repo,
        pin_file,
    ) in {(f[0], f[3]) for f in fetched}:
        assert pin_file == f"resources/datasets/{repo}/pin.json"
    for repo, pin in pins.items():
        pin = json.loads(pin)
        assert pin["revision"] == (hub.HUB[repo].revision or "main")
        assert pin["pinned"] == bool(SHA.fullmatch(pin["revision"])), repo
    assert pins["facebook/xnli"].count("b8dd5d7af51114dbda02c0e3f6133f332186418e") == 1
    (model,) = re.findall(r"pin the model xlmr_large at (\{.*\})", out)
    assert json.loads(model) == {
        "hub_id": "FacebookAI/xlm-roberta-large",
        "revision": MODEL_PINS["FacebookAI/xlm-roberta-large"]["revision"],
    }


def _glue_copy(workdir: Path, rows: int) -> int:
    """nyu-mll/glue's mnli as the Hub lays it out, with ``rows`` training rows."""
    task, source = tasks.all_sources()["nyu-mll/glue/mnli/train"]
    repo = workdir / "nyu-mll" / "glue"
    (repo / "mnli").mkdir(parents=True, exist_ok=True)
    (repo / "README.md").write_text(GLUE_README)
    data = task.demo_rows(source, rows, seed=0)
    data.to_parquet(str(repo / "mnli" / "train-00000-of-00001.parquet"))
    data.select(range(5)).to_parquet(str(repo / "mnli/validation_matched-00000-of-00001.parquet"))
    return len(data)


def _grid(workdir: Path, monkeypatch) -> Path:
    """The quick start's grid on Hub data, run offline with a datasets cache of its own (the
    fetch job's script inherits the environment)."""
    from smk import REPO

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(workdir / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(workdir / "hf" / "datasets"))

    config = yaml.safe_load((REPO / "config/quickstart.yaml").read_text())
    config["data"]["source"] = "hub"
    (workdir / "grid.yaml").write_text(yaml.safe_dump(config))
    return workdir / "grid.yaml"


def test_a_fetch_records_what_it_got_and_a_changed_pin_fetches_again(tmp_path, monkeypatch):
    """The fetch rule writes the split and its manifest (source files and hashes, the file's
    hash and rows); run again it does nothing; a moved pin fetches that repository's split
    again (only the pin job and the fetch)."""
    from smk import run

    rows = _glue_copy(tmp_path, 60)
    grid = _grid(tmp_path, monkeypatch)
    jobs = run(tmp_path, grid, dryrun=False, targets=[TARGET])
    assert sorted(rule for rule, _ in jobs) == ["fetch_dataset", "pin_dataset"]
    manifest = read_manifest(tmp_path / TARGET)
    source_file = tmp_path / "nyu-mll/glue/mnli/train-00000-of-00001.parquet"
    assert manifest["files"] == [
        {"path": "mnli/train-00000-of-00001.parquet", "sha256": file_sha256(source_file)}
    ]
    assert (
        manifest["rows"] == rows and manifest["split"] == "train" and manifest["config"] == "mnli"
    )
    assert manifest["sha256"] == file_sha256(tmp_path / TARGET)
    pin = json.loads((tmp_path / "resources/datasets/nyu-mll/glue/pin.json").read_text())
    assert pin["revision"] == hub.HUB["nyu-mll/glue"].revision
    assert run(tmp_path, grid, dryrun=False, targets=[TARGET]) == []

    moved = dataclasses.replace(hub.HUB["nyu-mll/glue"], revision="0" * 40)
    monkeypatch.setitem(hub.HUB, "nyu-mll/glue", moved)
    # what the new commit serves (the local copy's datasets cache dropped: another commit of a
    # Hub repository has other file URLs, so another cache entry)
    shutil.rmtree(tmp_path / "hf")
    moved_rows = _glue_copy(tmp_path, 150)
    assert moved_rows != rows
    jobs = run(tmp_path, grid, dryrun=False, targets=[TARGET])
    assert sorted(rule for rule, _ in jobs) == ["fetch_dataset", "pin_dataset"]
    assert read_manifest(tmp_path / TARGET)["rows"] == moved_rows
    assert run(tmp_path, grid, dryrun=False, targets=[TARGET]) == []


def test_a_split_fetched_before_manifests_is_not_fetched_again(tmp_path, monkeypatch):
    """A grid finished before the pins: its split has no manifest, and neither a run nor a moved
    pin fetches it again (deleting the file does, at the pin)."""
    from smk import run

    _glue_copy(tmp_path, 20)
    grid = _grid(tmp_path, monkeypatch)
    target = tmp_path / TARGET
    target.parent.mkdir(parents=True)
    (tmp_path / "nyu-mll/glue/mnli/train-00000-of-00001.parquet").replace(target)
    _glue_copy(tmp_path, 20)
    assert run(tmp_path, grid, dryrun=True, targets=[TARGET]) == []
    moved = dataclasses.replace(hub.HUB["nyu-mll/glue"], revision="0" * 40)
    monkeypatch.setitem(hub.HUB, "nyu-mll/glue", moved)
    assert run(tmp_path, grid, dryrun=True, targets=[TARGET]) == []
    assert not manifest_path(target).exists()
    target.unlink()
    jobs = run(tmp_path, grid, dryrun=True, targets=[TARGET])
    assert sorted(rule for rule, _ in jobs) == ["fetch_dataset", "pin_dataset"]


COMMIT = "b8dd5d7af51114dbda02c0e3f6133f332186418e"  # a commit, as a fetch records one
MODEL_COMMIT = "c" * 40
FETCHED_FILES = [{"path": "en/test-00000-of-00001.parquet", "sha256": "ab" * 32}]


def _two_scores_tree() -> tuple[list[dict], dict[str, Path]]:
    """In the current folder, a results tree of two scores: XLM-R Large's on a Hub split fetched
    with its manifest and one fetched before manifests, a demo model's on a demo split. The
    provenance rule's cells, and the three splits by kind."""
    import pandas as pd

    from xstilts.data.sources import write_manifest
    from xstilts.modeling.fetch import write_model_manifest

    fetched = Path("resources/datasets/facebook/xnli/en/test.parquet")
    before = Path("resources/datasets/facebook/xnli/de/test.parquet")
    demo = Path("resources/demo/datasets/nyu-mll/glue/mnli/train.parquet")
    for i, path in enumerate((fetched, before, demo)):
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"x": list(range(i + 3))}).to_parquet(path)
    origin = {"repo": "facebook/xnli", "config": "en", "split": "test", "revision": COMMIT}
    write_manifest(fetched, origin | {"commit": COMMIT, "files": FETCHED_FILES})
    model = Path("resources/models/xlmr_large")
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    write_model_manifest(model, {"hub_id": "FacebookAI/xlm-roberta-large", "commit": MODEL_COMMIT})
    demo_model = Path("resources/models/demo_tiny")
    demo_model.mkdir(parents=True)
    (demo_model / "config.json").write_text('{"hidden_size": 8}')
    cells = []
    for name, spec, data in [
        ("xlmr_large", {"hub_id": "FacebookAI/xlm-roberta-large"}, [fetched, before]),
        ("demo_tiny", {"demo": {"hidden_size": 8}}, [demo]),
    ]:
        scores = Path(f"results/eval/{name}/baseline/seed1/scores/xnli.json")
        scores.parent.mkdir(parents=True)
        cell = {"model": name, "arm": "baseline", "seed": 1}
        scores.write_text(json.dumps({"cell": cell, "task": "xnli"}))
        cells.append(
            {
                "scores": str(scores),
                "model": name,
                "model_dir": str(Path("resources/models", name)),
                "model_spec": spec,
                "data": [str(p) for p in data],
            }
        )
    return cells, {"fetched": fetched, "before": before, "demo": demo}


def test_provenance_names_every_source_model_and_the_code_version(tmp_path, monkeypatch):
    """provenance.json on a results tree of two scores: a Hub split fetched with its manifest, one
    fetched before manifests, a demo split; a fetched model and a demo model; the code version
    from git where the code is a checkout, none elsewhere."""
    from xstilts import __version__
    from xstilts.summary.aggregate import provenance

    from smk import REPO

    monkeypatch.chdir(tmp_path)
    cells, splits = _two_scores_tree()
    fetched, before, demo = splits["fetched"], splits["before"], splits["demo"]
    doc = provenance(cells, "results/summary/provenance.json", code_dir=REPO)
    assert json.loads(Path("results/summary/provenance.json").read_text()) == doc
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    assert doc["code"]["git_commit"] == (git.stdout.strip() if git.returncode == 0 else None)
    assert doc["code"]["xstilts"] == __version__
    hub_score, demo_score = doc["scores"]
    assert hub_score["model"] == "xlmr_large" and hub_score["model_commit"] == MODEL_COMMIT
    assert [(s["path"], s["commit"]) for s in hub_score["sources"]] == [
        (str(before), None),
        (str(fetched), COMMIT),
    ]
    assert hub_score["sources"][1]["sha256"] == file_sha256(fetched)
    assert doc["sources"][str(fetched)]["files"] == FETCHED_FILES
    assert doc["sources"][str(fetched)]["unchanged_since_fetch"] is True
    assert (
        doc["sources"][str(before)]["kind"] == "hub"
        and "before" in doc["sources"][str(before)]["note"]
    )
    assert doc["sources"][str(demo)]["kind"] == "demo" and demo_score["model_commit"] is None
    assert doc["models"]["demo_tiny"]["kind"] == "demo"
    assert doc["models"]["demo_tiny"]["settings"] == {"hidden_size": 8}
    assert len(doc["generator_sha256"]) == 64
    # outside a git checkout: no commit, and no error
    outside = provenance(cells, "elsewhere.json", code_dir=tmp_path)
    assert outside["code"]["git_commit"] is None and outside["code"]["git_describe"] is None


def test_a_fetched_model_records_its_files_and_their_hashes(tmp_path, demo_model):
    """fetch_model's manifest, through its real code on a downloaded copy: every saved file with
    its SHA-256 (no Hub commit for a folder)."""
    from xstilts.modeling.fetch import MANIFEST, fetch_model, read_model_manifest

    out = tmp_path / "resources/models/copy"
    fetch_model(str(demo_model), out)
    manifest = read_model_manifest(out)
    saved = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    assert [f["path"] for f in manifest["files"]] == [str(p.relative_to(out)) for p in saved]
    assert {f["sha256"] for f in manifest["files"]} == {file_sha256(p) for p in saved}
    assert "config.json" in [f["path"] for f in manifest["files"]] and manifest["commit"] is None
