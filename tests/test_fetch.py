"""The real loading code (datasets.load_dataset, from_pretrained) on local hub-layout copies.

The Hub is not reachable here, so a dataset repository is laid out on disk exactly as on the
Hub (parquet data files per config, declared in the README's YAML header), and the demo model
directory stands in for a model repository. Both go through the functions the fetch rules call.
"""

from __future__ import annotations

import datasets

from xstilts import tasks
from xstilts.data.sources import fetch, load
from xstilts.modeling.fetch import fetch_model
from xstilts.modeling.model import load_encoder

from conftest import GLUE_README


def test_fetch_dataset_keeps_the_hub_schema(tmp_path):
    task, source = tasks.all_sources()["nyu-mll/glue/mnli/train"]
    repo = tmp_path / "hub" / "nyu-mll" / "glue"
    (repo / "mnli").mkdir(parents=True)
    (repo / "README.md").write_text(GLUE_README)
    rows = task.demo_rows(source, 50, seed=0)
    rows.to_parquet(str(repo / "mnli" / "train-00000-of-00001.parquet"))
    rows.select(range(10)).to_parquet(str(repo / "mnli/validation_matched-00000-of-00001.parquet"))

    out = tmp_path / "resources/datasets/nyu-mll/glue/mnli/train.parquet"
    assert fetch(str(repo), "mnli", "train", out) == 50
    fetched = load(out, source)
    assert fetched.features == source.features.to_datasets()
    assert fetched["label"] == rows["label"]
    assert isinstance(fetched.features["label"], datasets.ClassLabel)


def test_fetch_model_saves_a_loadable_copy(tmp_path, demo_model):
    out = tmp_path / "resources/models/copy"
    fetch_model(str(demo_model), out)
    encoder, tokenizer = load_encoder(out)
    assert encoder.config.model_type == "xlm-roberta"
    assert tokenizer("a b")["input_ids"][0] == tokenizer.bos_token_id
    assert not (out / "heads.pt").exists()


def test_the_fetch_target_stages_every_model_and_dataset_of_the_paper_grid(tmp_path):
    """On the shipped paper config, with no data.local set: fetch plans every Hub download;
    a run of the grid names every missing local dataset at once, before any job."""
    import shutil
    import subprocess
    import sys
    from collections import Counter

    from smk import REPO, run

    shutil.copy(REPO / "config/config.yaml", tmp_path / "paper.yaml")
    jobs = run(tmp_path, tmp_path / "paper.yaml", dryrun=True, targets=["fetch"])
    # XNLI 1+15, MNLI 2, SNLI 2 (ANLI+ validates on its dev too), ANLI 3+3, QQP 2, PAWS-X 2+7,
    # SQuAD 2, SQuAD 2.0 2, XQuAD 11, MLQA 7, TyDiQA 2 (train and validation, one file for all
    # languages) = 61 splits; UD-POS
    # 2+33, PAN-X 2+40, HellaSwag 2, CosmosQA 2, CommonsenseQA 2 = 83 more; Tatoeba 35 + 1
    # (Telugu from mteb's copy). CCGbank and the BUCC release are not on the Hub: the run that
    # reads them imports them from data.local
    # and a pin job per Hub repository (13) and model (1): its revision (tests/test_pins.py)
    assert Counter(rule for rule, _ in jobs) == {
        "fetch_dataset": 180,
        "fetch_model": 1,
        "fetch": 1,
        "pin_dataset": 13,
        "pin_model": 1,
    }
    fetched = {(wc["repo"], wc["subset"], wc["split"]) for r, wc in jobs if r == "fetch_dataset"}
    assert ("facebook/xnli", "sw", "test") in fetched
    assert ("google/xtreme", "tydiqa", "train") in fetched
    assert ("stanfordnlp/snli", "plain_text", "train") in fetched
    assert ("google/xtreme", "udpos.Afrikaans", "test") in fetched  # the Hub's config name
    assert ("google/xtreme", "PAN-X.yo", "test") in fetched
    assert [wc for r, wc in jobs if r == "fetch_model"] == [{"model": "xlmr_large"}]
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(REPO / "Snakefile")]
    done = subprocess.run(
        [*cmd, "--configfile", "paper.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (message,) = [line for line in done.stderr.splitlines() if line.startswith("xstilts:")]
    assert "reads 2 dataset(s) that the Hugging Face Hub does not serve" in message
    listed = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith("- ")]
    assert [line.split(" ")[1] for line in listed] == ["data.local.bucc2018", "data.local.ccgbank"]
    assert "https://catalog.ldc.upenn.edu/LDC2005T13" in listed[1]
    assert "retrieval.bucc2018_mteb" in listed[0]


OFFLINE_FETCH = """
import sys
from xstilts.errors import UserError
from xstilts.data.sources import fetch
from xstilts.modeling.fetch import fetch_model
try:
    if sys.argv[1] == "model":
        fetch_model("FacebookAI/xlm-roberta-large", sys.argv[2])
    else:
        fetch("facebook/xnli", "sw", "test", sys.argv[2])
except UserError as err:
    print(err)
"""


def test_a_download_without_the_hub_says_which_resource_and_how_to_stage_it(tmp_path):
    """A compute node has no internet: the fetch step fails with one sentence that names the
    model or dataset and the command that stages it (offline mode: no retries, no network)."""
    import os
    import subprocess
    import sys

    env = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    for kind, what in [
        ("model", "the model FacebookAI/xlm-roberta-large"),
        ("dataset", "the dataset facebook/xnli (sw, test)"),
    ]:
        out = subprocess.run(
            [sys.executable, "-c", OFFLINE_FETCH, kind, str(tmp_path / kind)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        ).stdout.strip()
        assert out.startswith(f"could not download {what} from the Hugging Face Hub ("), out
        assert "run `snakemake --cores 1 fetch` in this directory" in out
        assert "\n" not in out


def test_a_missing_model_or_data_file_names_the_fetch_command(tmp_path):
    import pytest

    from xstilts.errors import UserError

    with pytest.raises(UserError, match=r"no config\.json.*snakemake --cores 1 fetch"):
        load_encoder(tmp_path / "resources/models/xlmr_large")
    with pytest.raises(UserError, match=r"is missing.*snakemake --cores 1 fetch"):
        load(tmp_path / "resources/datasets/facebook/xnli/sw/test.parquet")


# ---- what the Hub serves, checked against the task's source ----------------------------------


def _hub_copy(tmp_path, monkeypatch, rename=None, labels=None):
    """A local copy of nyu-mll/glue's mnli in the Hub's layout, its train split changed as a
    Hub update might change it: a column renamed, or the label names reordered (read through a
    cache of its own: datasets keys a local folder's cache by its name, not its content)."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    task, source = tasks.all_sources()["nyu-mll/glue/mnli/train"]
    repo = tmp_path / "hub" / "nyu-mll" / "glue"
    (repo / "mnli").mkdir(parents=True)
    (repo / "README.md").write_text(GLUE_README)
    rows = task.demo_rows(source, 20, seed=0)
    if rename:
        rows = rows.rename_column(*rename)
    if labels:
        rows = rows.cast_column("label", datasets.ClassLabel(names=labels))
    for split in ("train", "validation_matched"):
        rows.to_parquet(str(repo / f"mnli/{split}-00000-of-00001.parquet"))
    return repo, source


def test_a_renamed_column_stops_the_fetch_naming_dataset_config_and_column(tmp_path, monkeypatch):
    import pytest

    from xstilts.errors import UserError

    repo, source = _hub_copy(tmp_path, monkeypatch, rename=("hypothesis", "sentence2"))
    with pytest.raises(UserError) as err:
        fetch(str(repo), "mnli", "train", tmp_path / "out.parquet", source=source)
    assert str(err.value).startswith(
        f"{repo} (mnli, train) on the Hub has changed: column hypothesis should be that column "
        "and is none"
    )
    assert not (tmp_path / "out.parquet").exists()  # nothing half-fetched is left


def test_a_reordered_label_list_stops_the_fetch(tmp_path, monkeypatch):
    import pytest

    from xstilts.errors import UserError

    labels = ["neutral", "entailment", "contradiction"]
    repo, source = _hub_copy(tmp_path, monkeypatch, labels=labels)
    with pytest.raises(UserError) as err:
        fetch(str(repo), "mnli", "train", tmp_path / "out.parquet", source=source)
    assert (
        "column label should be labels ['entailment', 'neutral', 'contradiction'] and is labels "
        "['neutral', 'entailment', 'contradiction']"
    ) in str(err.value)


def test_a_source_the_hub_lacks_is_not_a_network_failure(tmp_path, monkeypatch):
    """A config that is not there, or a revision that is not, says so, and where the table of
    sources is; only an unreachable Hub is reported as one (see the offline test above)."""
    import pytest
    import requests
    from huggingface_hub.errors import RevisionNotFoundError

    from xstilts.data.sources import _load_error
    from xstilts.errors import UserError

    repo, source = _hub_copy(tmp_path, monkeypatch)
    with pytest.raises(UserError) as err:
        fetch(str(repo), "mnli_matched", "train", tmp_path / "out.parquet", source=source)
    message = str(err.value)
    assert f"{repo} (mnli_matched, train) is not on the Hugging Face Hub as xstilts reads it" in (
        message
    )
    assert "this is no network failure" in message and "src/xstilts/data/hub.py" in message
    response = requests.Response()
    response.status_code = 404
    gone = RevisionNotFoundError(
        "Revision Not Found for url: https://huggingface.co/x", response=response
    )
    message = str(_load_error(gone, "mteb/BUCC", "de-en", "test", "4145722"))
    assert "at revision 4145722" in message and "this is no network failure" in message
    offline = ConnectionError("Couldn't reach 'mteb/BUCC' on the Hub (OfflineModeIsEnabled)")
    message = str(_load_error(offline, "mteb/BUCC", "de-en", "test", None))
    assert message.startswith("could not download the dataset mteb/BUCC (de-en, test)")
    # datasets' "no data files in the folder" errors are FileNotFoundErrors, not the network's
    from datasets.data_files import EmptyDatasetError
    from datasets.exceptions import DataFilesNotFoundError

    empty = EmptyDatasetError("The directory at copa doesn't contain any data files")
    unmatched = DataFilesNotFoundError("No (supported) data files found in aps/super_glue")
    for lost in (empty, unmatched):
        message = str(_load_error(lost, "aps/super_glue", "copa", "test", None))
        assert "this is no network failure" in message
    # the Hub library downloads with httpx, whose errors are no OSError: a reset connection
    from huggingface_hub.utils import httpx

    reset = httpx.ReadError("[Errno 104] Connection reset by peer")
    message = str(_load_error(reset, "mteb/BUCC", "de-en", "test", None))
    assert message.startswith("could not download the dataset mteb/BUCC (de-en, test)")


def test_a_config_served_as_a_folder_of_the_parquet_branch(tmp_path, monkeypatch):
    """aps/super_glue's parquet branch holds copa/<split>/0000.parquet with no dataset card:
    datasets 5 reads it as data_dir="copa", config "default" (data/hub.py)."""
    from xstilts.data import hub

    task, source = tasks.all_sources()["aps/super_glue/copa/train"]
    assert hub.load_arguments("aps/super_glue", "copa") == {
        "path": "aps/super_glue",
        "name": None,
        "data_dir": "copa",
        "revision": "refs/convert/parquet",
    }
    branch = tmp_path / "super_glue"
    for name in ("copa", "boolq"):  # another subset beside it, as on the Hub
        for split in ("train", "validation"):
            (branch / name / split).mkdir(parents=True)
            task.demo_rows(source, 12 if name == "copa" else 5, seed=1).to_parquet(
                str(branch / name / split / "0000.parquet")
            )
    monkeypatch.setitem(hub.HUB, str(branch), hub.HubDataset(config_is_folder=True))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    out = tmp_path / "copa.parquet"
    assert fetch(str(branch), "copa", "train", out, source=source) == 12
    assert load(out, source).features == source.features.to_datasets()
