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
from xstilts.tasks import tagging, tagging_formats
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
        features=tagging_formats.PANX.to_datasets(),
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
    assert ds.features == tagging_formats.CCG.to_datasets()


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
    assert ds.features == tagging_formats.CCG.to_datasets()
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
    assert ds.features == tagging_formats.UDPOS.to_datasets()
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
    assert ds.features == tagging_formats.UDPOS.to_datasets()


def test_xtreme_r_languages_are_extra_test_splits_of_the_xtreme_tasks():
    from xstilts.benchmarks import BENCHMARKS

    for name in ("panx", "udpos", "xquad", "tatoeba"):
        task = tasks.get(name)
        xtreme, xtreme_r = (BENCHMARKS[b].languages[name] for b in ("xtreme", "xtreme-r"))
        assert set(task.languages) == set(xtreme)
        assert set(task.all_languages) == set(xtreme_r)
        assert not any(
            s.startswith("test.") and s[5:] in task.more_languages for s in task.splits()
        )
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
        ("CCONJ", 0, 0),
        ("NOUN", 1, 1),
        ("SCONJ", 2, 2),
        ("VERB", 3, 3),
    ]
    scores = tag_metrics.seqeval_scores(pred, gold)
    assert scores == pytest.approx({"f1": 50.0, "precision": 50.0, "recall": 50.0})
    # S-tags never merge (prev_tag S ends a chunk): SCONJ SCONJ is two chunks; a sentence-final
    # X is a chunk of its own type (seqeval 1.x drops it: its type matches the "O" after it)
    assert tag_metrics.get_entities([["SCONJ", "SCONJ", "X"]]) == [
        ("SCONJ", 0, 0),
        ("SCONJ", 1, 1),
        ("X", 2, 2),
    ]
    # the sentences of a corpus are joined with an "O": positions run on across them
    assert tag_metrics.get_entities([["NOUN", "NOUN"], ["B-PER", "I-PER"]]) == [
        ("NOUN", 0, 1),
        ("PER", 3, 4),
    ]
    # UD-POS (task level): the same numbers, token accuracy 2 of 4 = 50 beside them
    assert UDPOS.score(pred, gold)["f1"] == pytest.approx(50.0)
    assert UDPOS.score(pred, gold)["accuracy"] == pytest.approx(50.0)


# ---- UD-POS with XTREME's words (multiword tokens fused) ----
def _conllu(*rows: str) -> str:
    """CoNLL-U lines from space-separated fields (10 each), a blank line after the sentence."""
    return "\n".join("\t".join(r.split()) for r in rows) + "\n\n"


# German GSD's kind of sentence: "zum" = "zu" (ADP) + "dem" (DET), both attached to Bahnhof
ZUM = _conllu(
    "1 Er er PRON _ _ 2 nsubj _ _",
    "2 geht gehen VERB _ _ 0 root _ _",
    "3-4 zum _ _ _ _ _ _ _ _",
    "3 zu zu ADP _ _ 5 case _ _",
    "4 dem der DET _ _ 5 det _ _",
    "5 Bahnhof Bahnhof NOUN _ _ 2 obl _ _",
    "6 . . PUNCT _ _ 2 punct _ _",
)


def test_a_multiword_token_becomes_one_word_with_its_head_words_tag_as_xtremes_conversion():
    """By hand from conllu_to_conll.py --replace_subtokens_with_fused_forms (lib/conll.py
    _keep_fused_form, _choose_spanhead_from_heuristics; google-research/xtreme 838c13b):
    "zum" spans words 3-4. Ancestors: zu 3 -> 5 -> 2 -> 0 and dem 4 -> 5 -> 2 -> 0, three each:
    a tie (heuristic 1 needs one highest word), so heuristic 2 takes the first UPOS in the
    default list (German has none of its own): "VERB NOUN PROPN PRON ADJ NUM ADV INTJ AUX ADP
    DET ...", ADP (10th) before DET (11th). Word 3 keeps its UPOS ADP and takes the form "zum";
    word 4 is removed: Er geht zum Bahnhof . / PRON VERB ADP NOUN PUNCT."""
    rows = [line.split("\t") for line in ZUM.strip().split("\n")]
    assert tagging_formats.fused_sentence(rows, "de") == (
        ["Er", "geht", "zum", "Bahnhof", "."],
        ["PRON", "VERB", "ADP", "NOUN", "PUNCT"],
    )
    # the split reading (the Hub's copy, read_conllu) keeps both words
    # Spanish "dámelo" = da (VERB, root) + me (PRON, iobj of da) + lo (PRON, obj of da): da has
    # one ancestor (0), me and lo two each, so da alone is highest (heuristic 1): "dámelo" VERB
    dame = _conllu(
        "1-3 dámelo _ _ _ _ _ _ _ _",
        "1 da dar VERB _ _ 0 root _ _",
        "2 me yo PRON _ _ 1 iobj _ _",
        "3 lo él PRON _ _ 1 obj _ _",
    )
    rows = [line.split("\t") for line in dame.strip().split("\n")]
    assert tagging_formats.fused_sentence(rows, "es") == (["dámelo"], ["VERB"])
    # an enhanced dependency (DEPS) is an edge too: 4:det|3:fixed gives dem the ancestors
    # 5, 3, 2, 0 (four) against zu's three, so zu is the one highest word (heuristic 1) even
    # where the list would not decide; here the result is the same word, ADP
    enhanced = [
        r[:8] + ["5:det|3:fixed"] + r[9:] if r[0] == "4" else r
        for r in (line.split("\t") for line in ZUM.strip().split("\n"))
    ]
    assert tagging_formats.fused_sentence(enhanced, "de")[1][2] == "ADP"


def test_the_tie_list_is_the_languages_and_a_tag_outside_it_stops_the_conversion():
    """French "du" = de (ADP) + le (DET), both dependents of "chat": a tie; French's list "VERB
    AUX PRON NOUN ADJ ADV ADP DET ..." puts ADP first. Spanish's list "VERB AUX PRON ADP DET"
    lacks NOUN and ADJ: a tie between them makes list.index raise, and conllu_to_conll.py stops
    on the file, so XTREME has no copy of it."""
    text = _conllu(
        "1-2 du _ _ _ _ _ _ _ _",
        "1 de de ADP _ _ 3 case _ _",
        "2 le le DET _ _ 3 det _ _",
        "3 chat chat NOUN _ _ 0 root _ _",
    )
    du = [line.split("\t") for line in text.strip().split("\n")]
    assert tagging_formats.fused_sentence(du, "fr") == (["du", "chat"], ["ADP", "NOUN"])
    # Italian's list "VERB AUX ADV PRON ADP DET INTJ" also puts ADP before DET
    assert tagging_formats.fused_sentence(du, "it")[1] == ["ADP", "NOUN"]
    tie = [
        r[:3] + [tag] + r[4:] if r[0] in "12" else r
        for r, tag in zip(du, ["_", "NOUN", "ADJ", "NOUN"], strict=True)
    ]
    with pytest.raises(tagging_formats.ConversionFailure):
        tagging_formats.fused_sentence(tie, "es")
    # the default list has them (NOUN 2nd, ADJ 5th)
    assert tagging_formats.fused_sentence(tie, "de") == (["du", "chat"], ["NOUN", "NOUN"])


def test_a_release_is_read_as_xtremes_download_builds_it(tmp_path):
    """utils_preprocess.py udpos_preprocess: the files of the language in file-name order, the
    split from the name; a sentence whose words are nearly all "_" (withheld text: num_empty
    >= len - 1) is dropped, one with a single "_" of three kept; spaces and U+200C are removed
    inside words. A file conllu_to_conll.py fails on is absent."""
    withheld = _conllu(
        "1 _ _ NOUN _ _ 0 root _ _",
        "2 _ _ VERB _ _ 1 dep _ _",
        "3 x _ X _ _ 1 dep _ _",
    )
    one_gap = _conllu(
        "1 a _ NOUN _ _ 0 root _ _",
        "2 _ _ VERB _ _ 1 dep _ _",
        "3 côngZty _ NOUN _ _ 1 dep _ _",
    ).replace("Z", "\u200c ")
    for folder, name, text in [
        ("UD_German-HDT", "de_hdt-ud-test.conllu", withheld + one_gap),
        ("UD_German-GSD", "de_gsd-ud-test.conllu", ZUM),
        ("UD_German-GSD", "de_gsd-ud-train.conllu", withheld),
        ("UD_Swiss_German-UZH", "gsw_uzh-ud-test.conllu", ZUM),
        (
            "UD_Spanish-X",
            "es_x-ud-test.conllu",
            "1-2 ab _ _ _ _ _ _ _ _\n"
            "1 a _ NOUN _ _ 0 root _ _\n2 b _ ADJ _ _ 0 root _ _\n\n".replace(" ", "\t"),
        ),
        ("UD_Spanish-Y", "es_y-ud-test.conllu", ZUM),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(text, encoding="utf-8")
    ds = tagging_formats.read_ud_xtreme(tmp_path, "de", "test", "ud_v25")
    # de_gsd before de_hdt; gsw_ is another language
    assert ds["tokens"] == [["Er", "geht", "zum", "Bahnhof", "."], ["a", "_", "côngty"]]
    assert ds.features == tagging_formats.UDPOS.to_datasets()
    assert tagging_formats.read_ud_xtreme(tmp_path, "es", "test", "ud_v25")["tokens"] == [
        ["Er", "geht", "zum", "Bahnhof", "."]
    ]
    with pytest.raises(UserError, match=r"data\.local\.ud_v25 \(.*\) has no \*/de_\*-ud-dev"):
        tagging_formats.read_ud_xtreme(tmp_path, "de", "validation", "ud_v25")


def test_udpos_fused_reads_the_ud_releases_and_says_its_words():
    fused, hub = tasks.get("udpos_fused"), tasks.get("udpos")
    splits = fused.splits(fused.all_languages)
    assert splits["train"][0].key == "local/ud_v25/en_fused/train"
    assert splits["validation"][0].local_files == ("*/en_*-ud-dev.conllu",)
    assert splits["test.de"][0].local_name == "ud_v25"
    assert splits["test.wo"][0].key == "local/ud_v27/wo_fused/test"
    assert set(fused.all_languages) == set(hub.all_languages)
    assert fused.tokenisation.startswith("fused forms") and hub.tokenisation.startswith("split")
    # the Hub's copy stays as it was: its sources (so its cells) are unchanged
    assert hub.splits()["train"][0].key == "google/xtreme/udpos.English/train"
    assert hub.splits(["wo"])["test.wo"][0].key == "local/ud_v27/wo/test"


def test_the_demo_ud_releases_have_multiword_tokens_that_the_fused_import_joins(tmp_path):
    """The demo writes each fused source's rows with every third word (from the second) as a
    multiword token of that word (its tag) and a clitic "el" (DET): the fused import gives the
    rows back, the split one sees the clitic as a word of its own."""
    from xstilts.data.sources import load
    from xstilts.tasks.build import _demo_rows

    build_demo_local("ud_v25", tmp_path / "v25", scale=100)
    text = (tmp_path / "v25/UD_German-Demo/de_demo-ud-test.conllu").read_text()
    assert "\n1-2\t" in text or "\n2-3\t" in text
    fused = tasks.get("udpos_fused")
    source = fused.splits(["de"])["test.de"][0]
    n = import_local(source.key, tmp_path / "v25", tmp_path / "de.parquet")
    ds = load(tmp_path / "de.parquet")
    rows = _demo_rows(fused, source, 100)
    assert n == len(rows) >= 200
    assert ds["tokens"] == rows["tokens"] and ds["pos_tags"] == rows["pos_tags"]
    assert (tmp_path / "v25/UD_English-Demo/en_demo-ud-train.conllu").exists()
    build_demo_local("ud_v27", tmp_path / "v27", scale=100)
    split_words = import_local("local/ud_v27/wo/test", tmp_path / "v27", tmp_path / "s.parquet")
    joined = import_local("local/ud_v27/wo_fused/test", tmp_path / "v27", tmp_path / "f.parquet")
    assert split_words == joined  # the same sentences
    words = (load(tmp_path / "s.parquet")["tokens"], load(tmp_path / "f.parquet")["tokens"])
    assert sum(map(len, words[0])) > sum(map(len, words[1]))
    assert all("el" in s for s, f in zip(*words, strict=True) if len(f) > 1)


def test_udpos_fused_features_are_prepared_from_the_demo_releases(tmp_path, demo_model):
    """The demo path end to end up to the features: the demo releases (v2.5 and v2.7) are
    imported as the workflow's import rule does, then featurized: one feature per sentence,
    one tag per fused word."""
    from xstilts import features
    from xstilts.data.sources import load

    from conftest import chdir

    fused = tasks.get("udpos_fused")
    with chdir(tmp_path):
        for name in ("ud_v25", "ud_v27"):
            build_demo_local(name, f"raw/{name}", scale=100)
        for srcs in fused.splits(fused.all_languages).values():
            for src in srcs:
                import_local(src.key, f"raw/{src.local_name}", src.path("demo"))
        sizes = features.prepare(
            "udpos_fused", demo_model, "demo", 128, "features", more_languages=["wo"]
        )
        assert sizes["test.wo"] == sizes["test.de"] == 200
        words = load(fused.splits(["de"])["test.de"][0].path("demo"))["tokens"]
        tags = datasets.load_from_disk("features/test.de")["tags"]
        assert [len(t) for t in tags] == [len(w) for w in words]
