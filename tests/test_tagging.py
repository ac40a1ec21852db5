"""Token tagging: sub-token alignment, windows over long sentences, word-level decoding, the
seqeval and accuracy metrics on hand-worked examples, the XTREME prediction layout, and CCGbank
in jiant's file format."""

from __future__ import annotations

import datasets
import pytest
import torch

from xstilts import tasks
from xstilts.errors import UserError
from xstilts.metrics import tagging as tag_metrics
from xstilts.tasks import tagging
from xstilts.tasks.build import build_demo_local, import_local

BOS, EOS = 0, 2
PANX = tasks.get("panx")
UDPOS = tasks.get("udpos")


@pytest.fixture(scope="module")
def tokenizer(demo_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(demo_model)


# ---- alignment on hand-made pieces ----
def test_the_tag_sits_on_the_first_piece_of_each_word():
    # words: "a" = [5], "bcde" = [6, 7, 8, 9], "f" = [10]; tags 1, 2, 3
    (feat,) = tagging.window_features([[5], [6, 7, 8, 9], [10]], [1, 2, 3], 16, BOS, EOS)
    assert feat["input_ids"] == [BOS, 5, 6, 7, 8, 9, 10, EOS]
    assert feat["labels"] == [-100, 1, 2, -100, -100, -100, 3, -100]
    assert feat["word_starts"] == [1, 2, 6]


def test_a_long_sentence_is_cut_between_words_and_keeps_every_word():
    # five words of two pieces each; max_length 6 leaves room for 4 pieces: 2 words a window
    pieces = [[10 + 2 * i, 11 + 2 * i] for i in range(5)]
    feats = tagging.window_features(pieces, [0, 1, 2, 3, 4], 6, BOS, EOS)
    assert [f["input_ids"] for f in feats] == [
        [BOS, 10, 11, 12, 13, EOS],
        [BOS, 14, 15, 16, 17, EOS],
        [BOS, 18, 19, EOS],
    ]
    assert [f["labels"] for f in feats] == [
        [-100, 0, -100, 1, -100, -100],
        [-100, 2, -100, 3, -100, -100],
        [-100, 4, -100, -100],
    ]
    assert tagging.split_into_windows(pieces, 4) == [(0, 2), (2, 4), (4, 5)]


def test_a_word_longer_than_the_window_keeps_its_first_pieces_and_its_tag():
    feats = tagging.window_features([[3], list(range(20, 30)), [4]], [7, 8, 9], 6, BOS, EOS)
    assert [f["input_ids"] for f in feats] == [
        [BOS, 3, EOS],
        [BOS, 20, 21, 22, 23, EOS],
        [BOS, 4, EOS],
    ]
    assert [f["labels"][1] for f in feats] == [7, 8, 9]


# ---- with the demo tokenizer ----
def test_word_pieces_spell_each_word(tokenizer):
    words = ["Pamupotihazeludobibe", "a", "Bakito", ""]  # a long word; an empty one
    (pieces,) = tagging.word_pieces(tokenizer, [words])
    assert len(pieces) == 4
    assert len(pieces[0]) > 2  # split into many pieces
    for word, p in zip(words[:3], pieces[:3], strict=True):
        assert tokenizer.decode(p).strip() == word
    assert pieces[3] == [tokenizer.unk_token_id]  # no pieces: <unk>, as xtreme's utils_tag


def _panx_rows(sentences):
    names = list(tagging.PANX_TAGS)
    return datasets.Dataset.from_dict(
        {
            "tokens": [[w for w, _ in s] for s in sentences],
            "ner_tags": [[names.index(t) for _, t in s] for s in sentences],
            "langs": [["en"] * len(s) for s in sentences],
        },
        features=tagging.PANX.to_datasets(),
    )


SENTENCES = [
    [("Ada", "B-PER"), ("Lovelace", "I-PER"), ("visited", "O"), ("Kathmandu", "B-LOC")],
    [("the", "O")] * 3 + [("Pamupotihazeludobibe", "B-ORG"), ("Corp", "I-ORG")] + [("x", "O")] * 30,
    [],
]


@pytest.mark.parametrize("max_length", [128, 8])
def test_decoding_gives_one_tag_per_original_word(tokenizer, max_length):
    source = PANX.splits()["test.en"][0]
    feats = PANX.featurize(_panx_rows(SENTENCES), source, tokenizer, max_length)
    if max_length == 8:  # the long sentences are cut into several windows
        assert len(feats) > len(SENTENCES) + 3
    assert all(len(ids) <= max_length for ids in feats["input_ids"])
    # logits that put the gold tag at each word's first piece and "O" everywhere else
    logits = []
    for labels in feats["labels"]:
        row = torch.zeros(len(labels) + 3, len(tagging.PANX_TAGS))  # + padding, as a batch has
        for pos, label in enumerate(labels):
            row[pos, label if label >= 0 else 0] = 5.0
        logits.append(row)
    gold = [[t for _, t in s] for s in SENTENCES]
    assert PANX.decode(logits, feats) == gold
    assert PANX.gold(feats) == gold
    # a wrong tag on a piece that does not start a word changes nothing
    row, pos = next(
        (i, p)
        for i, labels in enumerate(feats["labels"])
        for p in range(1, len(labels) - 1)
        if labels[p] == -100
    )
    logits[row][pos, 3] = 99.0
    assert PANX.decode(logits, feats) == gold


def test_training_labels_ignore_every_piece_but_the_first(tokenizer):
    source = PANX.splits()["test.en"][0]
    feats = PANX.featurize(_panx_rows(SENTENCES[:2]), source, tokenizer, 128)
    batch = PANX.collate(feats[:], tokenizer.pad_token_id)
    labelled = (batch["labels"] != -100).sum(dim=1).tolist()
    assert labelled == [4, 35]  # one label per word
    assert batch["labels"].shape == batch["input_ids"].shape


# ---- metrics, hand-worked ----
def test_seqeval_f1_on_a_worked_ner_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]
    # gold entities PER(0-1), LOC(3), ORG(0'); predicted PER(0-1), ORG(3), ORG(0'):
    # 2 correct of 3 predicted, 2 found of 3 gold
    scores = tag_metrics.seqeval_scores(pred, gold)
    assert scores["precision"] == pytest.approx(200 / 3)
    assert scores["recall"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(200 / 3)


def test_seqeval_merges_runs_of_unprefixed_upos_tags():
    # seqeval 0.0.12 reads NOUN as letter "N" and type "NOUN": gold NOUN NOUN VERB = chunks
    # NOUN(0-1), VERB(2); predicted NOUN VERB VERB = NOUN(0), VERB(1-2): no chunk matches, F1 0,
    # while 2 of 3 words are tagged right
    assert tag_metrics.seqeval_scores([["NOUN", "VERB", "VERB"]], [["NOUN", "NOUN", "VERB"]])[
        "f1"
    ] == pytest.approx(0.0)
    assert tag_metrics.token_accuracy([["NOUN", "VERB", "VERB"]], [["NOUN", "NOUN", "VERB"]]) == (
        pytest.approx(200 / 3)
    )
    # no runs: one chunk per word, ADJ vs ADV differ in type: 2 of 3 chunks
    scores = UDPOS.score([["NOUN", "VERB", "ADV"]], [["NOUN", "VERB", "ADJ"]])
    assert scores["f1"] == pytest.approx(200 / 3)
    assert scores["accuracy"] == pytest.approx(200 / 3)
    assert UDPOS.avg_metrics == ("f1",)  # the XTREME average uses the official number


def test_predictions_are_one_tag_per_line_with_a_blank_line_between_sentences(tmp_path):
    path = tmp_path / "test-de.tsv"
    PANX.write_predictions([["B-PER", "O"], ["O"]], path)
    assert path.read_text() == "B-PER\nO\n\nO\n\n"


# ---- CCGbank in jiant's format ----
def test_ccgbank_is_read_from_jiants_file_format(tmp_path):
    (tmp_path / "tags_to_id.json").write_text('{"NP": 0, "(S\\\\NP)/NP": 1, "N/N": 7}')
    (tmp_path / "train.tsv").write_text(
        "Pierre Vinken saw it\tN/N NP (S\\NP)/NP NP\n\nHe left\tNP NP\n"
    )
    ds = tagging.read_ccg_files(tmp_path, "train")
    assert ds["tokens"] == [["Pierre", "Vinken", "saw", "it"], ["He", "left"]]
    assert ds["tags"] == [[7, 0, 1, 0], [0, 0]]
    assert ds.features == tagging.CCG.to_datasets()


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("a b\tNP\n", "2 words but 1 supertags"),
        ("a b NP NP\n", "expected 'words<TAB>supertags'"),
        ("a\tXX\n", "supertag 'XX' is not in"),
    ],
)
def test_a_broken_ccgbank_line_is_named(tmp_path, line, words):
    (tmp_path / "tags_to_id.json").write_text('{"NP": 0}')
    (tmp_path / "dev.tsv").write_text("a\tNP\n" + line)
    with pytest.raises(UserError, match="dev.tsv line 2") as err:
        tagging.read_ccg_files(tmp_path, "validation")
    assert words in str(err.value)


def test_the_demo_ccgbank_goes_through_the_same_importer(tmp_path):
    build_demo_local("ccgbank", tmp_path / "raw", scale=100)
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [
        "dev.tsv",
        "tags_to_id.json",
        "train.tsv",
    ]
    out = tmp_path / "train.parquet"
    n = import_local("local/ccgbank/jiant/train", tmp_path / "raw", out)
    from xstilts.data.sources import load

    ds = load(out)
    assert len(ds) == n >= 200
    assert ds.features == tagging.CCG.to_datasets()
    assert all(len(w) == len(t) for w, t in zip(ds["tokens"], ds["tags"], strict=True))
    assert tasks.get("ccg").build_head(8, 0.0).classifier.out_features == 1363


# ---- XTREME-R's additions: WikiANN spans, UD v2.7 release files ----
def test_wikiann_spans_are_the_entities_of_the_bio_tags():
    words = ["Ana", "Pop", "lives", "in", "Cluj", "Napoca", "at", "UBB", "now"]
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O", "I-ORG", "O"]
    # an I- after O starts an entity, as seqeval reads it
    assert tagging.entity_spans(words, tags) == ["PER: Ana Pop", "LOC: Cluj Napoca", "ORG: UBB"]
    assert tagging.entity_spans(["a", "b"], ["B-PER", "B-PER"]) == ["PER: a", "PER: b"]


UD_WORDS = """# sent_id = 1
# text = Nu știu.
1\tNu\tnu\tPART\t_\tPolarity=Neg\t2\tadvmod\t_\t_
2\tștiu\tști\tVERB\t_\t_\t0\troot\t_\tSpaceAfter=No
3\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

# sent_id = 2
1-2\tdă-mi\t_\t_\t_\t_\t_\t_\t_\t_
1\tdă\tda\tVERB\t_\t_\t0\troot\t_\t_
2\tmi\teu\tPRON\t_\t_\t1\tiobj\t_\t_
2.1\tel\tel\tPRON\t_\t_\t_\t_\t1:nsubj\t_
"""


def test_a_ud_release_is_read_as_syntactic_words_of_all_treebanks(tmp_path):
    # two treebanks of one language (name order), and another language's file that is not read
    for treebank, text in (("RRT", UD_WORDS), ("Nonstandard", UD_WORDS.split("\n\n")[1])):
        folder = tmp_path / f"UD_Romanian-{treebank}"
        folder.mkdir()
        (folder / f"ro_{treebank.lower()}-ud-test.conllu").write_text(text, encoding="utf-8")
        (folder / f"ro_{treebank.lower()}-ud-train.conllu").write_text(text, encoding="utf-8")
    (tmp_path / "UD_Polish-PDB").mkdir()
    (tmp_path / "UD_Polish-PDB" / "pl_pdb-ud-test.conllu").write_text(UD_WORDS)
    ds = tagging.read_ud_release(tmp_path, "ro")
    # Nonstandard first; the multiword token "dă-mi" (1-2) and the empty node 2.1 are skipped
    assert ds["tokens"] == [["dă", "mi"], ["Nu", "știu", "."], ["dă", "mi"]]
    upos = tagging.UPOS
    assert ds["pos_tags"][1] == [upos.index("PART"), upos.index("VERB"), upos.index("PUNCT")]
    assert ds.features == tagging.UDPOS.to_datasets()
    with pytest.raises(UserError, match=r"has no UD_Wolof-\*/wo_\*-ud-test\.conllu"):
        tagging.read_ud_release(tmp_path, "wo")
    bad = tmp_path / "UD_Ukrainian-IU"
    bad.mkdir()
    (bad / "uk_iu-ud-test.conllu").write_text("1\tа\tа\tCONJ\t_\t_\t0\troot\t_\t_\n")
    with pytest.raises(UserError, match=r"uk_iu-ud-test\.conllu line 1: 'CONJ' is not a UPOS"):
        tagging.read_ud_release(tmp_path, "uk")


def test_the_demo_ud_release_goes_through_the_same_importer(tmp_path):
    build_demo_local("ud_v27", tmp_path / "raw", scale=100)
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [
        f"UD_{name}-Demo" for name in sorted(tagging.UDPOS_MORE.values())
    ]
    out = tmp_path / "wo.parquet"
    n = import_local("local/ud_v27/wo/test", tmp_path / "raw", out)
    from xstilts.data.sources import load

    ds = load(out)
    assert len(ds) == n >= 200
    assert ds.features == tagging.UDPOS.to_datasets()


def test_xtreme_r_languages_are_extra_test_splits_of_the_xtreme_tasks():
    from xstilts.benchmarks import BENCHMARKS

    for name in ("panx", "udpos", "xquad", "tatoeba"):
        task = tasks.get(name)
        xtreme, xtreme_r = (BENCHMARKS[b].languages[name] for b in ("xtreme", "xtreme-r"))
        assert set(task.languages) == set(xtreme)
        assert set(task.all_languages) == set(xtreme_r)
        assert not any(s.startswith("test.") and s[5:] in task.more_languages
                       for s in task.splits())  # fmt: skip
        every = task.splits(task.all_languages)
        assert all(task.test_split(lang) in every for lang in task.more_languages)
    assert tasks.get("panx").splits(["pl"])["test.pl"][0].repo == "unimelb-nlp/wikiann"
    assert tasks.get("udpos").splits(["wo"])["test.wo"][0].local_name == "ud_v27"


def test_cconj_and_sconj_are_two_types_as_in_seqeval_0_0_12():
    """The published UD-POS numbers were scored with seqeval 0.0.12, which types an unprefixed
    tag by the whole tag. Gold CCONJ NOUN SCONJ VERB, predicted SCONJ NOUN CCONJ VERB: chunks
    gold {CCONJ(0), NOUN(1), SCONJ(2), VERB(3)}, predicted {SCONJ(0), NOUN(1), CCONJ(2),
    VERB(3)}: 2 of 4 predicted are right and 2 of 4 gold found, P = R = F1 = 50. (seqeval 1.x
    types both CONJ, NOUN as OUN, VERB as ERB: every chunk matches and it gives 100.)"""
    gold, pred = [["CCONJ", "NOUN", "SCONJ", "VERB"]], [["SCONJ", "NOUN", "CCONJ", "VERB"]]
    assert tag_metrics.get_entities(gold) == [
        ("CCONJ", 0, 0), ("NOUN", 1, 1), ("SCONJ", 2, 2), ("VERB", 3, 3)
    ]  # fmt: skip
    scores = tag_metrics.seqeval_scores(pred, gold)
    assert scores == pytest.approx({"f1": 50.0, "precision": 50.0, "recall": 50.0})
    # S-tags never merge (prev_tag S ends a chunk): SCONJ SCONJ is two chunks; a sentence-final
    # X is a chunk of its own type (seqeval 1.x drops it: its type matches the "O" after it)
    assert tag_metrics.get_entities([["SCONJ", "SCONJ", "X"]]) == [
        ("SCONJ", 0, 0), ("SCONJ", 1, 1), ("X", 2, 2)
    ]  # fmt: skip
    # the sentences of a corpus are joined with an "O": positions run on across them
    assert tag_metrics.get_entities([["NOUN", "NOUN"], ["B-PER", "I-PER"]]) == [
        ("NOUN", 0, 1), ("PER", 3, 4)
    ]  # fmt: skip
    # UD-POS (task level): the same numbers, token accuracy 2 of 4 = 50 beside them
    assert UDPOS.score(pred, gold)["f1"] == pytest.approx(50.0)
    assert UDPOS.score(pred, gold)["accuracy"] == pytest.approx(50.0)
