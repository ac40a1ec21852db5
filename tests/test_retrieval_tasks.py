"""BUCC and Tatoeba as tasks: their sources (release files, Hub copies), features, and the
evaluation of one language on hand-made embeddings."""

from __future__ import annotations

import datasets
import pytest
import torch

from xstilts import tasks
from xstilts.errors import UserError
from xstilts.tasks import retrieval as rt


def _features(rows: dict[str, list[str]]) -> datasets.Dataset:
    return datasets.Dataset.from_dict(rows)


def test_the_bucc_release_files_are_read_as_xtremes_download_script_leaves_them(tmp_path):
    (tmp_path / "de-en.dev.de").write_text("de-01\tEin Hund\nde-02\tZwei Katzen\n")
    (tmp_path / "de-en.dev.en").write_text("en-07\tTwo cats\nen-08\tA dog\nen-09\tA bird\n")
    (tmp_path / "de-en.dev.gold").write_text("de-01\ten-08\nde-02\ten-07\n")
    ds = rt.read_bucc_release(tmp_path, "de", "dev")
    assert ds["side"] == ["de", "de", "en", "en", "en"]
    assert ds["id"] == ["de-01", "de-02", "en-07", "en-08", "en-09"]
    assert ds["gold"] == ["en-08", "en-07", "", "", ""]
    out = tmp_path / "copy"
    rt.write_bucc_release(ds, out, "de", "dev")
    for suffix in ("de", "en", "gold"):
        name = f"de-en.dev.{suffix}"
        assert (out / name).read_text() == (tmp_path / name).read_text()
    # the test gold is deleted by the download script: the test split reads without it
    (tmp_path / "de-en.test.de").write_text("de-05\tHallo\n")
    (tmp_path / "de-en.test.en").write_text("en-05\tHello\n")
    assert rt.read_bucc_release(tmp_path, "de", "test")["gold"] == ["", ""]
    with pytest.raises(UserError, match=r"fr-en\.dev\.fr is missing.*data\.local\.bucc2018"):
        rt.read_bucc_release(tmp_path, "fr", "dev")


def test_the_mteb_copy_holds_one_row_with_one_based_gold_pairs():
    task = tasks.get("bucc2018_mteb")
    source = task.test[0]
    ds = datasets.Dataset.from_dict(
        {
            "sentence1": [["Ein Hund", "Zwei Katzen"]],
            "sentence2": [["Two cats", "A dog"]],
            "gold": [[[1, 2], [2, 1]]],
        },
        features=rt.MTEB_BUCC.to_datasets(),
    )
    rows = task.sentence_rows(ds, source)
    # gold (1, 2): sentence1[0] "Ein Hund" ↔ sentence2[1] "A dog"; ids are 0-based positions
    assert rows["side"] == ["src", "src", "trg", "trg"]
    assert rows["id"] == ["0", "1", "0", "1"]
    assert rows["gold"] == ["1", "0", "", ""]
    assert task.xtreme_name == "bucc2018" and task.oracle_threshold


def test_tatoeba_strips_the_hub_copys_trailing_newlines_and_reads_telugu_from_mteb():
    task = tasks.get("tatoeba")
    assert len(task.languages) == 36
    assert [s.language for s in task.test] == list(task.all_languages)
    # google/xtreme has no tatoeba.tel config: Telugu's LASER test file (234 pairs) from mteb
    (te,) = task.splits(["te"])["test.te"]
    assert (te.repo, te.config, te.split, te.num_rows) == (
        "mteb/tatoeba-bitext-mining",
        "tel-eng",
        "test",
        234,
    )
    ds = datasets.Dataset.from_dict(
        {
            "source_sentence": ["Hallo\n"],
            "target_sentence": ["Hello\n"],
            "source_lang": ["deu"],
            "target_lang": ["eng"],
        },
        features=rt.TATOEBA.to_datasets(),
    )
    rows = task.sentence_rows(ds, task.test[0])
    assert rows["text"] == ["Hallo", "Hello"]


def test_tatoebas_xtreme_r_languages_come_from_mtebs_copy_language_side_first():
    task = tasks.get("tatoeba")
    (source,) = task.splits(["pl"])["test.pl"]
    assert (source.repo, source.config, source.split) == (
        "mteb/tatoeba-bitext-mining",
        "pol-eng",
        "test",
    )
    ds = datasets.Dataset.from_dict(
        {
            "sentence1": ["Cześć ", "Dziękuję"],
            "sentence2": ["Hello", "Thank you"],
            "lang": ["pol-eng", "pol-eng"],
        },
        features=rt.MTEB_TATOEBA.to_datasets(),
    )
    rows = task.sentence_rows(ds, source)
    assert rows["side"] == ["src", "src", "trg", "trg"]
    assert rows["text"] == ["Cześć", "Dziękuję", "Hello", "Thank you"]
    assert rows["gold"] == ["0", "1", "0", "1"]


def _embed_by_text(vectors: dict[str, list[float]]):
    def embed(features: datasets.Dataset) -> torch.Tensor:
        return torch.tensor([vectors[t] for t in features["text"]], dtype=torch.float32)

    return embed


def test_tatoeba_searches_from_the_alphabetically_sorted_english_side():
    task = tasks.get("tatoeba")
    # pairs (src i ↔ en i): 0 "Zebra"/z, 1 "Apfel"/a, 2 "Maus"/m; English sorted: Apple, Mouse,
    # Zebra = rows 1, 2, 0; so the gold lines are "1", "2", "0"
    feats = _features(
        {"side": ["src"] * 3 + ["trg"] * 3, "id": ["0", "1", "2", "0", "1", "2"],
         "text": ["Zebra-de", "Apfel", "Maus", "Zebra", "Apple", "Mouse"],
         "gold": ["0", "1", "2", "0", "1", "2"]}
    )  # fmt: skip
    vectors = {
        "Zebra-de": [1, 0, 0], "Apfel": [0, 1, 0], "Maus": [0, 0, 1],
        # Apple is closest to Apfel, Mouse to Maus, but Zebra points nearer Maus than Zebra-de
        "Zebra": [0.2, 0, 1], "Apple": [0.1, 1, 0], "Mouse": [0, 0.1, 1],
    }  # fmt: skip
    predictions, scores, dev = task.evaluate_language(
        "de", {"test.de": feats}, _embed_by_text(vectors)
    )
    assert task.gold(feats) == ["1", "2", "0"]
    assert predictions == ["1", "2", "2"]  # Apple → Apfel, Mouse → Maus, Zebra → Maus (wrong)
    assert scores == {"accuracy": pytest.approx(200 / 3)} and dev == {}


def test_bucc_mines_with_the_dev_threshold_and_reports_it():
    task = tasks.get("bucc2018")

    def split(prefix: str):
        # two gold pairs with identical vectors, and one unrelated sentence on each side
        return _features(
            {"side": ["src", "src", "src", "trg", "trg", "trg"],
             "id": [f"{prefix}de-1", f"{prefix}de-2", f"{prefix}de-3",
                    f"{prefix}en-1", f"{prefix}en-2", f"{prefix}en-3"],
             "text": [f"{prefix}a", f"{prefix}b", f"{prefix}c",
                      f"{prefix}A", f"{prefix}B", f"{prefix}C"],
             "gold": [f"{prefix}en-2", f"{prefix}en-1", "", "", "", ""]}
        )  # fmt: skip

    # a = B = (1,0,0,1)/√2, b = A = (0,1,0,1)/√2, c = (0,0,1,1)/√2, C = (0,0,.6,1)/1.166
    # cosines: a·B = b·A = 1, a·A = b·B = a·c.. = .5, a·C = b·C = 1/(√2·1.166) = .606,
    # c·A = c·B = .5, c·C = 1.6/1.649 = .970. Means of the 3 neighbours (k = 4 > 3 rows):
    # a, b: (1 + .5 + .606)/3 = .702; c: (.5 + .5 + .970)/3 = .657; A, B: (1 + .5 + .5)/3 =
    # .667; C: (.606 + .606 + .970)/3 = .727. Ratio margins: a–B = b–A = 1/((.702 + .667)/2)
    # = 1.461; c–C = .970/((.657 + .727)/2) = 1.402. Mined (one-to-one): a–B, b–A, c–C. The
    # dev cut after the two true pairs has F1 = 1 (after all three: P = 2/3), so the threshold
    # is the midpoint (1.461 + 1.402)/2 = 1.43, and on the same test set only a–B, b–A pass.
    vec = {"a": [1, 0, 0, 1], "B": [1, 0, 0, 1], "b": [0, 1, 0, 1], "A": [0, 1, 0, 1],
           "c": [0, 0, 1, 1], "C": [0, 0, 0.6, 1]}  # fmt: skip
    vectors = {p + k: v for p in ("d", "t") for k, v in vec.items()}
    predictions, scores, dev = task.evaluate_language(
        "de", {"dev.de": split("d"), "test.de": split("t")}, _embed_by_text(vectors)
    )
    assert predictions == ["tde-1\tten-2", "tde-2\tten-1"]
    assert scores["f1"] == 100.0 and scores["precision"] == 100.0 and scores["recall"] == 100.0
    assert dev == {"f1": 100.0, "precision": 100.0, "recall": 100.0}
    assert scores["threshold"] == pytest.approx((1.461 + 1.402) / 2, abs=2e-3)
