"""The demo data has the exact schema of each real split and a learnable, rule-based signal."""

from __future__ import annotations

import json

import datasets
import pytest

from xstilts import tasks
from xstilts.data import demo
from xstilts.data.sources import load
from xstilts.tasks import qa, retrieval
from xstilts.tasks.build import build_demo_split

ALL = tasks.all_sources()
# training data by language (XNLI's translated MNLI, masked-LM text): the same generator and
# schema in every language, so two of each stand for the rest
BY_LANGUAGE = {s.key for t in tasks.REGISTRY.values() for s in t.language_sources}
KEYS = sorted(k for k in ALL if k not in BY_LANGUAGE or ALL[k][1].language in ("de", "sw"))


@pytest.mark.parametrize("key", KEYS)
def test_demo_split_has_the_real_schema(tmp_path, key):
    task, source = ALL[key]
    out = tmp_path / "x.parquet"
    n = build_demo_split(key, out, scale=100)
    ds = load(out)
    # column names, dtypes and label encodings (ClassLabel names) as on the hub
    assert ds.features == source.features.to_datasets()
    assert ds.column_names == list(source.features)
    size = demo.demo_size(source.num_rows, 100)
    if source.features is retrieval.BUCC_RELEASE:  # a row per sentence; size = gold pairs
        assert sum(g != "" for g in ds["gold"]) == size and len(ds) == n > 2 * size
    elif source.features is retrieval.MTEB_BUCC:  # one row holds both corpora
        assert len(ds) == n == 1 and len(ds[0]["gold"]) == size
    elif key == qa.squad_selection().key:  # the ids XQuAD's copy takes, then as many more
        assert len(ds) == n == 2 * size
    elif source.id_prefix is None:
        assert len(ds) == n == size
    else:  # TyDiQA: one file holds every language, the demo size for each
        assert len(ds) == n == size * 9


def test_demo_size_follows_the_real_size():
    assert demo.demo_size(392_702, 100) == 2000  # capped
    assert demo.demo_size(49_401, 100) == 494
    assert demo.demo_size(5_010, 100) == 200  # floor


def test_the_label_follows_from_the_text_in_english():
    # every English hypothesis carries a shared cue word of its label (LABEL_NOISE aside)
    task, source = ALL["nyu-mll/glue/mnli/train"]
    ds = task.demo_rows(source, 600, seed=3)
    names = source.features["label"].names
    hits = 0
    for row in ds:
        label = task.label_names.index(names[row["label"]])
        cues = demo.cue_words("nli", label)
        hits += any(c in row["hypothesis"].split() for c in cues)
    # 8 % of labels are replaced by a random one (2/3 of those differ): ~94.7 % expected
    assert 0.90 < hits / len(ds) < 0.99


def test_other_languages_share_cues_at_their_transfer_rate():
    task, source = ALL["facebook/xnli/de/test"]
    ds = task.demo_rows(source, 400, seed=5)
    shared = {c for label in range(3) for c in demo.cue_words("nli", label)}
    rate = sum(any(w in shared for w in h.split()) for h in ds["hypothesis"]) / len(ds)
    assert abs(rate - demo.transfer_rate("de")) < 0.08
    assert 0.45 <= demo.transfer_rate("de") < 0.95


def test_unknown_split_is_a_clear_error(tmp_path):
    with pytest.raises(KeyError, match="no task reads"):
        build_demo_split("nobody/nothing/train", tmp_path / "x.parquet", scale=100)


def test_demo_text_uses_each_language_script():
    assert all("\u0400" <= ch <= "\u04ff" for ch in demo.lexicon("ru")[0])
    assert all("\u4e00" <= ch <= "\u9fff" for ch in demo.lexicon("zh")[0])
    assert demo.lexicon("de") == demo.lexicon("de")  # deterministic


def test_corrupt_parquet_is_a_user_error(tmp_path):
    from xstilts.errors import UserError

    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(UserError, match="bad.parquet"):
        load(bad)
    with pytest.raises(UserError, match="missing"):
        load(tmp_path / "absent.parquet")


def test_snli_unlabelled_rows_are_dropped(tmp_path):
    _, source = ALL["stanfordnlp/snli/plain_text/train"]
    ds = datasets.Dataset.from_dict(
        {"premise": ["a", "b"], "hypothesis": ["c", "d"], "label": [0, -1]},
        features=source.features.to_datasets(),
    )
    ds.to_parquet(str(tmp_path / "s.parquet"))
    assert load(tmp_path / "s.parquet", source)["label"] == [0]


def test_demo_tokenizer_vocabulary_on_a_worked_example():
    import math

    from xstilts.modeling.demo_model import SPECIALS, train_tokenizer, unigram_vocab

    # words ▁ab x3, ▁abc x1; 4 characters, room for 2 pieces in 11. Candidates by characters
    # saved: ▁ab 8, ab 4, ▁a 4, ▁abc 3, abc 2, bc 1; with log-frequency scores over their
    # counts, Viterbi splits ▁ab as [▁ab] and ▁abc as [▁abc] (log 1/28 > log 4/28 + log 1/28),
    # so those two stay, scored by use (3 and 1), the characters by max(use, 1) = 1, total 8
    vocab = unigram_vocab(["ab ab ab", "abc"], vocab_size=11)
    assert vocab[:5] == [(s, 0.0) for s in SPECIALS]
    expected = [("▁ab", 3), ("a", 1), ("b", 1), ("c", 1), ("▁", 1), ("▁abc", 1)]
    assert [p for p, _ in vocab[5:]] == [p for p, _ in expected]
    for (_, score), (_, n) in zip(vocab[5:], expected, strict=True):
        assert math.isclose(score, math.log(n / 8))
    tokenizer = train_tokenizer(["ab ab ab", "abc"], vocab_size=11)
    assert tokenizer.tokenize("abc ab") == ["▁abc", "▁ab"]


def test_the_demo_tokenizer_is_the_same_in_every_process(tmp_path):
    """Two processes with different hash seeds estimate the same vocabulary (tokenizers'
    UnigramTrainer did not), so a grid run on a cluster and one on a laptop start from the same
    demo model; its weights come from a seeded torch generator."""
    import os
    import subprocess
    import sys

    code = (
        "import json; from xstilts.data import demo; "
        "from xstilts.modeling.demo_model import unigram_vocab; "
        "print(json.dumps(unigram_vocab(demo.corpus(['de', 'en', 'ru'], 60), 800)))"
    )
    vocabs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert vocabs[0] == vocabs[1] and len(json.loads(vocabs[0])) == 800
