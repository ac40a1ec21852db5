"""A dataset read from data.local is imported again when the content of its files changes, not
when its folder or files are touched; a missing one is named before any job runs."""

from __future__ import annotations

import os
import time

import yaml

from xstilts.data.local import content_digest

from conftest import hub_config
from smk import job_set, run

DEV = "resources/datasets/local/bucc2018/de-en/dev.parquet"


def test_the_digest_follows_content_not_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d/a.txt").write_text("one\n")
    first = content_digest(tmp_path / "d", ("a.txt", "b.txt"))
    os.utime(tmp_path / "d/a.txt", (time.time() + 60, time.time() + 60))
    (tmp_path / "d/unrelated.txt").write_text("not read by the split\n")
    assert content_digest(tmp_path / "d", ("a.txt", "b.txt")) == first
    (tmp_path / "d/a.txt").write_text("two\n")
    assert content_digest(tmp_path / "d", ("a.txt", "b.txt")) != first
    (tmp_path / "d/a.txt").write_text("one\n")
    assert content_digest(tmp_path / "d", ("a.txt", "b.txt")) == first
    (tmp_path / "d/b.txt").write_text("an optional file, now there\n")
    both = content_digest(tmp_path / "d", ("a.txt", "b.txt"))
    assert both != first
    # an edit in place of the same size that puts the old time stamp back (cp -p, touch -r)
    before = (tmp_path / "d/a.txt").stat()
    (tmp_path / "d/a.txt").write_text("six\n")
    os.utime(tmp_path / "d/a.txt", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert content_digest(tmp_path / "d", ("a.txt", "b.txt")) != both


def test_touching_a_local_folder_reruns_nothing_and_new_content_reruns_its_import(
    tmp_path, bucc_dir
):
    import shutil

    local = tmp_path / "bucc2018"
    shutil.copytree(bucc_dir, local)
    data = {"source": "hub", "local": {"bucc2018": str(local)}}
    config = hub_config(retrieval={"bucc2018": {}}, data=data)
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(config))
    jobs = run(tmp_path, tmp_path / "grid.yaml", dryrun=False, targets=[DEV])
    assert [rule for rule, _ in jobs] == ["import_local_dataset"]
    # touched files and an added file the split does not read: nothing to run
    later = time.time() + 120
    for path in local.iterdir():
        os.utime(path, (later, later))
    (local / "README.txt").write_text("notes of my own\n")
    assert run(tmp_path, tmp_path / "grid.yaml", dryrun=True, targets=[DEV]) == []
    # new content in a file the split reads: its import runs again
    dev = local / "de-en.dev.de"
    dev.write_text(dev.read_text().replace("\n", " \n", 1))
    again = job_set(run(tmp_path, tmp_path / "grid.yaml", dryrun=True, targets=[DEV]))
    assert [rule for rule, _ in again] == ["import_local_dataset"]


def test_udpos_fused_needs_the_ud_v25_release_and_leaves_the_hub_udpos_as_it_was(tmp_path):
    """udpos_fused reads data.local.ud_v25: unset or empty, one sentence says where to get UD
    v2.5 (the LINDAT handle of XTREME's download script) and the alternative (udpos, the Hub's
    split words); with the release there it validates, and udpos's params do not change."""
    import re

    import pytest

    from xstilts import grid
    from xstilts.tasks.tagging import UDPOS_CONFIG

    schema = "src/xstilts/grid/schema.yaml"
    settings = {"epochs": 2, "batch_size": 32, "languages": ["en", "de"]}
    config = hub_config(targets={"udpos": settings, "udpos_fused": dict(settings)})
    before = grid.resolve(grid.validate(hub_config(targets={"udpos": dict(settings)}), schema))
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, schema)
    message = str(err.value)
    assert re.search(r"data\.local\.ud_v25 \(the UD v2\.5 release.*\) is not set", message)
    assert "http://hdl.handle.net/11234/1-3105" in message
    assert "replace udpos_fused by udpos in targets" in message
    config["data"]["local"] = {"ud_v25": str(tmp_path)}
    with pytest.raises(grid.ConfigError, match=r"has no \*/en_\*-ud-train\.conllu"):
        grid.validate(config, schema)
    # the features hold every language's test split (the evaluated ones are a subset)
    for code, name in UDPOS_CONFIG.items():
        (tmp_path / f"UD_{name}-X").mkdir()
        for split in ("train", "dev", "test") if code == "en" else ("test",):
            (tmp_path / f"UD_{name}-X" / f"{code}_x-ud-{split}.conllu").write_text("")
    g = grid.resolve(grid.validate(config, schema))
    assert grid.cells.prepare_params(g, "xlmr_large", "udpos") == grid.cells.prepare_params(
        before, "xlmr_large", "udpos"
    )
    assert grid.cells.target_cell(g, "xlmr_large", "mnli", 1, "udpos") == grid.cells.target_cell(
        before, "xlmr_large", "mnli", 1, "udpos"
    )
    assert grid.files.features_dir("xlmr_large", "udpos_fused") != grid.files.features_dir(
        "xlmr_large", "udpos"
    )
