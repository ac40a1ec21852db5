"""Extractive-QA metrics against hand-worked examples.

Every expected value is derived in the comment next to it from the official definitions
(SQuAD v1.1 ``evaluate-v1.1.py`` / xtreme ``third_party/evaluate_squad.py``, SQuAD
``evaluate-v2.0.py``, MLQA ``mlqa_evaluation_v1.py`` / xtreme ``third_party/evaluate_mlqa.py``):
normalise = lower-case -> drop punctuation -> drop articles -> collapse whitespace;
F1 = 2PR / (P + R) over the multiset of shared tokens. None is taken from the code under test.
"""

from __future__ import annotations

import logging
import string

import pytest

from xstilts.metrics.qa import (
    MLQA_LANGUAGES,
    mlqa,
    mlqa_exact,
    mlqa_f1,
    mlqa_punctuation,
    normalize_mlqa,
    normalize_squad,
    squad_v1,
    squad_v1_exact,
    squad_v1_f1,
    squad_v2,
    squad_v2_exact,
    squad_v2_f1,
)

# ---- SQuAD normalisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "the quick, brown fox!" -> no punct "the quick brown fox" -> " quick brown fox"
        ("The Quick, Brown Fox!", "quick brown fox"),
        # "an apple a day" -> articles "an", "a" become spaces -> "apple day"
        ("An apple a day", "apple day"),
        # articles only as whole words: "theater", "another", "banana" keep their letters
        ("theater another banana", "theater another banana"),
        # punctuation goes before articles: "a-b" -> "ab", which is not an article
        ("a-b", "ab"),
        # "1,000" -> "1000"; "e.g." -> "eg"
        ("1,000 e.g.", "1000 eg"),
        # "the." -> "the" -> " " -> ""
        ("the.", ""),
        # runs of spaces, tabs and newlines collapse to one space, ends stripped
        ("  red \t\n dog  ", "red dog"),
        # "«" and "»" are not in string.punctuation: kept. "«the" has a word boundary
        # between "«" and "t", so "the" goes: "« monde»" after whitespace collapsing
        ("«The Monde»", "« monde»"),
        # "。" (U+3002) is not in string.punctuation either
        ("北京。", "北京。"),
    ],
)
def test_normalize_squad(text, expected):
    assert normalize_squad(text) == expected


# ---- SQuAD v1.1 per pair ----------------------------------------------------------------------


def test_squad_v1_partial_overlap_f1():
    # pred "the big red dog" -> [big, red, dog]; gold "a red dog" -> [red, dog]
    # shared 2 -> P = 2/3, R = 2/2 = 1 -> F1 = 2 * (2/3) * 1 / (2/3 + 1) = (4/3) / (5/3) = 0.8
    assert squad_v1_f1("the big red dog", "a red dog") == pytest.approx(0.8)
    assert not squad_v1_exact("the big red dog", "a red dog")


def test_squad_v1_f1_counts_shared_tokens_as_a_multiset():
    # pred [red, dog, red] vs gold [red, dog]: shared = min(2,1) red + 1 dog = 2
    # P = 2/3, R = 1 -> F1 = 0.8 (not P = 3/3)
    assert squad_v1_f1("red dog red", "red dog") == pytest.approx(0.8)


def test_squad_v1_f1_symmetric_in_precision_and_recall():
    # swapping roles swaps P and R: P = 1, R = 2/3 -> F1 = 0.8 again
    assert squad_v1_f1("a red dog", "the big red dog") == pytest.approx(0.8)


def test_squad_v1_exact_after_normalisation():
    # both sides -> "denver broncos"
    assert squad_v1_exact("The Denver Broncos.", "denver broncos")
    assert squad_v1_f1("The Denver Broncos.", "denver broncos") == pytest.approx(1.0)
    # "«Paris»" keeps its guillemets under SQuAD: "«paris»" != "paris"
    assert not squad_v1_exact("«Paris»", "Paris")
    # and "«paris»" is a different token from "paris": F1 0
    assert squad_v1_f1("«Paris»", "Paris") == 0.0


def test_squad_v1_no_shared_token_and_empty_normalisations():
    assert squad_v1_f1("cat", "dog") == 0.0
    # "the" and "a" both normalise to "": EM is 1, but v1.1's F1 returns 0 when no token is
    # shared, even when both sides are empty
    assert squad_v1_exact("the", "a")
    assert squad_v1_f1("the", "a") == 0.0


# ---- SQuAD v1.1 aggregate ---------------------------------------------------------------------


def test_squad_v1_aggregate_with_missing_prediction():
    gold = {
        "q1": ["Denver Broncos", "The Denver Broncos"],
        "q2": ["a red dog"],
        "q3": ["Paris"],
        "q4": ["1,000"],
    }
    predictions = {
        "q1": "the denver broncos.",  # -> "denver broncos": EM 1, F1 1
        "q2": "the big red dog",  # EM 0, F1 0.8 (worked out above)
        # q3 missing: EM 0, F1 0, still counted in the denominator
        "q4": "1000",  # gold "1,000" -> "1000": EM 1, F1 1
        "extra": "ignored",  # not a gold question: ignored
    }
    result = squad_v1(predictions, gold)
    assert set(result) == {"exact_match", "f1"}
    # EM = 100 * (1 + 0 + 0 + 1) / 4 = 50.0
    assert result["exact_match"] == pytest.approx(50.0)
    # F1 = 100 * (1 + 0.8 + 0 + 1) / 4 = 100 * 2.8 / 4 = 70.0
    assert result["f1"] == pytest.approx(70.0)


def test_squad_v1_max_over_gold_answers():
    # pred "Paris, France" -> [paris, france]
    #   vs "Paris" -> [paris]: shared 1, P = 1/2, R = 1 -> F1 = 1 / 1.5 = 2/3
    #   vs "in Paris France" -> [in, paris, france]: shared 2, P = 1, R = 2/3 -> F1 = 0.8
    # max = 0.8 (from the second, longer answer); EM 0 against both
    result = squad_v1({"q": "Paris, France"}, {"q": ["Paris", "in Paris France"]})
    assert result["exact_match"] == pytest.approx(0.0)
    assert result["f1"] == pytest.approx(80.0)
    # EM takes its max independently: 1 from the second answer
    result = squad_v1({"q": "the cat"}, {"q": ["a dog", "Cat"]})
    assert result == pytest.approx({"exact_match": 100.0, "f1": 100.0})


def test_squad_v1_all_missing_scores_zero_and_logs(caplog):
    with caplog.at_level(logging.WARNING, logger="xstilts"):
        result = squad_v1({}, {"a": ["x"], "b": ["y"]})
    assert result == {"exact_match": 0.0, "f1": 0.0}
    assert "2 of 2 questions have no prediction" in caplog.text


def test_squad_v1_rejects_bad_gold():
    with pytest.raises(ValueError, match="no gold questions"):
        squad_v1({"q": "x"}, {})
    with pytest.raises(ValueError, match="'q2' has no gold answer"):
        squad_v1({"q1": "x"}, {"q1": ["x"], "q2": []})
    with pytest.raises(TypeError, match="list of strings"):
        squad_v1({"q": "x"}, {"q": "x"})


# ---- SQuAD v2.0 -------------------------------------------------------------------------------


def test_squad_v2_no_answer_pairs():
    # gold "" and pred "": both token lists empty -> F1 int([] == []) = 1; "" == "" -> EM 1
    assert squad_v2_exact("", "") == 1
    assert squad_v2_f1("", "") == 1.0
    # gold "" and pred "x": gold empty, pred [x] -> F1 int([] == [x]) = 0; EM 0
    assert squad_v2_exact("x", "") == 0
    assert squad_v2_f1("x", "") == 0.0
    # gold "x" and pred "": pred empty -> F1 0; EM 0
    assert squad_v2_exact("", "x") == 0
    assert squad_v2_f1("", "x") == 0.0
    # unlike v1.1, two answers normalising to nothing get F1 1
    assert squad_v2_f1("the", "a") == 1.0
    # the ordinary case is v1.1's: 0.8 for the worked example
    assert squad_v2_f1("the big red dog", "a red dog") == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("gold", "prediction", "expected"),
    [
        ([], "", {"exact_match": 100.0, "f1": 100.0}),  # unanswerable, no answer given
        ([], "x", {"exact_match": 0.0, "f1": 0.0}),  # unanswerable, an answer given
        (["x"], "", {"exact_match": 0.0, "f1": 0.0}),  # answerable, no answer given
    ],
)
def test_squad_v2_single_question_no_answer_rules(gold, prediction, expected):
    result = squad_v2({"q": prediction}, {"q": gold})
    assert result["exact_match"] == pytest.approx(expected["exact_match"])
    assert result["f1"] == pytest.approx(expected["f1"])


def test_squad_v2_has_ans_no_ans_split():
    gold = {
        "h1": ["red dog"],
        "h2": ["Paris"],
        "h3": ["the big cat"],
        "n1": [],
        "n2": [],
        "n3": [],
    }
    predictions = {
        "h1": "the big red dog",  # [big, red, dog] vs [red, dog]: EM 0, F1 0.8
        "h2": "",  # no answer to an answerable question: EM 0, F1 0
        "h3": "Big cat!",  # -> "big cat" == "big cat": EM 1, F1 1
        "n1": "",  # EM 1, F1 1
        "n2": "x",  # EM 0, F1 0
        "n3": "",  # EM 1, F1 1
    }
    result = squad_v2(predictions, gold)
    assert set(result) == {
        "exact_match",
        "f1",
        "HasAns_exact_match",
        "HasAns_f1",
        "NoAns_exact_match",
        "NoAns_f1",
    }
    # all: EM (0+0+1+1+0+1)/6 = 3/6 -> 50.0; F1 (0.8+0+1+1+0+1)/6 = 3.8/6 -> 63.33...
    assert result["exact_match"] == pytest.approx(50.0)
    assert result["f1"] == pytest.approx(380.0 / 6)
    # HasAns (h1,h2,h3): EM 1/3 -> 33.33...; F1 (0.8+0+1)/3 = 0.6 -> 60.0
    assert result["HasAns_exact_match"] == pytest.approx(100.0 / 3)
    assert result["HasAns_f1"] == pytest.approx(60.0)
    # NoAns (n1,n2,n3): EM 2/3, F1 2/3 -> 66.66...
    assert result["NoAns_exact_match"] == pytest.approx(200.0 / 3)
    assert result["NoAns_f1"] == pytest.approx(200.0 / 3)


def test_squad_v2_subset_keys_only_when_subset_non_empty():
    # only answerable: max over ["a red dog", "dog"] for pred "red dog":
    #   vs [red, dog]: F1 1 and EM 1 -> both 100; no NoAns_* keys
    only_has = squad_v2({"q": "red dog"}, {"q": ["a red dog", "dog"]})
    assert only_has == pytest.approx(
        {"exact_match": 100.0, "f1": 100.0, "HasAns_exact_match": 100.0, "HasAns_f1": 100.0}
    )
    # only unanswerable: one right (""), one wrong ("y") -> 50 everywhere; no HasAns_* keys
    only_no = squad_v2({"a": "", "b": "y"}, {"a": [], "b": []})
    assert only_no == pytest.approx(
        {"exact_match": 50.0, "f1": 50.0, "NoAns_exact_match": 50.0, "NoAns_f1": 50.0}
    )


def test_squad_v2_gold_normalising_to_nothing():
    # gold ["the"] normalises to "": the script drops it and scores against [""], so the
    # no-answer "" is right (EM 1, F1 1) -- yet the question is HasAns, its list being non-empty
    result = squad_v2({"q": ""}, {"q": ["the"]})
    assert result == pytest.approx(
        {"exact_match": 100.0, "f1": 100.0, "HasAns_exact_match": 100.0, "HasAns_f1": 100.0}
    )
    # a real answer among them survives the filter: gold ["the", "cat"] -> ["cat"]; "" scores 0
    result = squad_v2({"q": ""}, {"q": ["the", "cat"]})
    assert result["exact_match"] == 0.0 and result["f1"] == 0.0


def test_squad_v2_missing_prediction_scores_zero():
    # h missing: 0 (not the "" no-answer, which would be wrong anyway); n missing: 0, although
    # "" would have scored 1 -> everything 0
    result = squad_v2({}, {"h": ["x"], "n": []})
    assert result == {
        "exact_match": 0.0,
        "f1": 0.0,
        "HasAns_exact_match": 0.0,
        "HasAns_f1": 0.0,
        "NoAns_exact_match": 0.0,
        "NoAns_f1": 0.0,
    }


# a worked example of evaluate-v2.0.py with --na-prob-file (find_best_thresh by hand)
BEST_GOLD = {"q1": ["Paris"], "q2": ["the big dog"], "q3": [], "q4": []}
BEST_SPANS = {"q1": "Paris", "q2": "dog", "q3": "cat", "q4": "mouse"}  # each one's best span
BEST_NA = {"q1": -0.8, "q2": -1.0, "q3": 2.0, "q4": -0.5}  # null score - best span score


def test_squad_v2_best_threshold_worked_by_hand():
    """Raw scores of the spans: q1 EM 1 F1 1; q2 "dog" vs [big, dog]: EM 0, F1 2/3; q3 and q4
    are unanswerable, so answering them costs 1. find_best_thresh starts with every question
    answered "" (2 right: q3, q4) and takes them in rising na_prob, q2 (-1.0), q1 (-0.8),
    q4 (-0.5), q3 (2.0), each now answered with its span:
      EM: 2 +0 = 2 (not better), +1 = 3 (best, at -0.8), -1 = 2, -1 = 1 -> 3/4 = 75.0 at -0.8
      F1: 2 +2/3 = 2.67 (best, at -1.0), +1 = 3.67 (best, at -0.8), -1, -1 -> 91.67 at -0.8
    At the threshold 0 (na_prob > 0: answered "") only q3 is "": EM q1 1, q2 0, q3 1, q4 0 ->
    50.0; F1 1 + 2/3 + 1 + 0 -> 66.67; HasAns EM 50, F1 83.33; NoAns EM 50, F1 50."""
    result = squad_v2(BEST_SPANS, BEST_GOLD, na_probs=BEST_NA, na_prob_thresh=0.0)
    assert result == pytest.approx(
        {
            "exact_match": 50.0,
            "f1": 100.0 * (1 + 2 / 3 + 1) / 4,
            "HasAns_exact_match": 50.0,
            "HasAns_f1": 100.0 * (1 + 2 / 3) / 2,
            "NoAns_exact_match": 50.0,
            "NoAns_f1": 50.0,
            "best_exact_match": 75.0,
            "best_exact_thresh": -0.8,
            "best_f1": 100.0 * (2 + 2 / 3 + 1) / 4,
            "best_f1_thresh": -0.8,
        }
    )
    # the script's default threshold, 1.0 (na_prob > 1.0: q3 ""), scores the same here
    at_one = squad_v2(BEST_SPANS, BEST_GOLD, na_probs=BEST_NA)
    assert at_one["exact_match"] == 50.0 and at_one["best_f1"] == result["best_f1"]


def test_squad_v2_best_threshold_keeps_the_all_no_answer_start():
    # every span wrong: answering any question only loses, so the best is all "" (the two
    # unanswerable right, 2/3), at the start's threshold 0.0
    gold = {"a": ["x"], "b": [], "c": []}
    result = squad_v2({"a": "y", "b": "z", "c": "w"}, gold, na_probs={"a": 1, "b": 2, "c": 3})
    assert result["best_exact_match"] == pytest.approx(200.0 / 3)
    assert result["best_f1"] == pytest.approx(200.0 / 3)
    assert result["best_exact_thresh"] == 0.0 and result["best_f1_thresh"] == 0.0


def test_squad_v2_task_scores_at_the_best_threshold():
    """SQuAD 2.0's task reads decode's (id, prediction at 0, null difference, best span) and
    selects on (best EM + best F1) / 2, jiant's major metric: (75 + 91.67) / 2."""
    from xstilts import tasks

    task = tasks.get("squad_v2")
    predictions = [
        (q, "" if BEST_NA[q] > 0 else span, BEST_NA[q], span) for q, span in BEST_SPANS.items()
    ]
    scores = task.score(predictions, list(BEST_GOLD.items()))
    assert scores["best_exact_match"] == 75.0
    assert task.avg_metrics == ("best_exact_match", "best_f1")
    assert task.summary_score(scores) == pytest.approx((75.0 + 100.0 * (11 / 3) / 4) / 2)


def test_squad_v2_rejects_empty_gold():
    with pytest.raises(ValueError, match="no gold questions"):
        squad_v2({}, {})


# ---- MLQA punctuation -------------------------------------------------------------------------


def test_mlqa_punctuation_set():
    # Unicode P* characters
    for char in "。«»—¿、「」।":  # Po, Pi, Pf, Pd, Po, Po, Ps, Pe, Po (Devanagari danda)
        assert char in mlqa_punctuation()
    # plus all of string.punctuation, including its symbols ($ + < = > ^ ` | ~ are category S)
    assert set(string.punctuation) <= mlqa_punctuation()
    # other symbols and letters are not in it
    for char in "€©a北 ":
        assert char not in mlqa_punctuation()


# ---- MLQA normalisation per language ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # German articles: "der hund" -> " hund" -> "hund"
        ("Der Hund", "de", "hund"),
        ("ein Hund und des Mannes", "de", "hund und mannes"),
        # in English "der" is no article
        ("Der Hund", "en", "der hund"),
        # Spanish: "el perro" -> "perro"; "Los perros" -> "perros"
        ("el perro", "es", "perro"),
        ("Los perros, unas casas", "es", "perros casas"),
        # Vietnamese: "những" removed; so are "của" (of) and "là" (is)
        ("những con mèo", "vi", "con mèo"),
        ("sách của tôi là", "vi", "sách tôi"),
        # Arabic: the pattern "\sال^|ال" -- the first alternative needs "^" after three consumed
        # characters and never matches; the second replaces every "ال" by " ".
        # "الكتاب" = ا ل ك ت ا ب -> " كتاب" -> "كتاب"
        ("الكتاب", "ar", "كتاب"),
        # inside a word too: "مالك" = م ا ل ك -> "م" + " " + "ك" -> two tokens "م ك"
        ("مالك", "ar", "م ك"),
        # "كتاب الولد" -> "كتاب" + " " + " " + "ولد" -> "كتاب ولد"
        ("كتاب الولد", "ar", "كتاب ولد"),
        # Hindi has no article list: English articles stay; the danda "।" (Po) goes
        ("The Taj Mahal", "hi", "the taj mahal"),
        ("भारत।", "hi", "भारत"),
        # Chinese: no article list, each Han character (U+4E00..U+9FA5) is a token
        ("北京大学", "zh", "北 京 大 学"),
        ("the 北京", "zh", "the 北 京"),
        # non-Han runs are split on whitespace only: "iPhone手机" -> "iphone 手 机"
        ("iPhone手机", "zh", "iphone 手 机"),
        # "。" is dropped before segmentation
        ("北京。", "zh", "北 京"),
        # characters outside U+4E00..U+9FA5 are not split: hiragana, U+9FA6 "龦", U+20000 "𠀀"
        ("ひらがな", "zh", "ひらがな"),
        ("龦龦𠀀𠀀", "zh", "龦龦𠀀𠀀"),
        # Unicode punctuation goes in MLQA (unlike SQuAD): "«the monde»" -> "the monde" -> "monde"
        ("«The Monde»", "en", "monde"),
        # "$" is in string.punctuation -> dropped; "€" (Sc) is not -> kept
        ("$100 €100", "en", "100 €100"),
        # "a-b" -> "ab" as in SQuAD: punctuation goes before articles
        ("a-b", "en", "ab"),
    ],
)
def test_normalize_mlqa(text, lang, expected):
    assert normalize_mlqa(text, lang) == expected


def test_mlqa_exact_per_language():
    assert mlqa_exact("der Hund", "Hund", "de")  # both -> "hund"
    assert not mlqa_exact("der Hund", "Hund", "en")  # "der hund" vs "hund"
    assert mlqa_exact("el perro", "perro", "es")
    assert mlqa_exact("những con mèo", "con mèo", "vi")
    assert mlqa_exact("الكتاب", "كتاب", "ar")  # both -> "كتاب"
    # Hindi/Chinese do not remove "the": "the taj" vs "taj"
    assert not mlqa_exact("the Taj", "Taj", "hi")
    assert not mlqa_exact("the 北京", "北京", "zh")
    # Chinese segmentation makes spacing irrelevant: both -> "北 京 大 学"
    assert mlqa_exact("北京 大学", "北京大学", "zh")
    # unicode punctuation: "«paris»" -> "paris"
    assert mlqa_exact("«Paris»", "Paris", "en")
    assert mlqa_exact("北京。", "北京", "zh")


def test_mlqa_f1_chinese_mixed_segmentation():
    # pred [北, 京, 大, 学] vs gold [北, 京]: shared 2, P = 2/4, R = 1
    # F1 = 2 * (1/2) * 1 / (1/2 + 1) = 1 / 1.5 = 2/3
    assert mlqa_f1("北京大学", "北京", "zh") == pytest.approx(2 / 3)
    # under SQuAD v1.1 the same strings are one token each, nothing shared: 0
    assert squad_v1_f1("北京大学", "北京") == 0.0


def test_mlqa_f1_arabic_split_inside_word():
    # "مالك" -> [م, ك] vs "م" -> [م]: shared 1, P = 1/2, R = 1 -> F1 = 2/3
    assert mlqa_f1("مالك", "م", "ar") == pytest.approx(2 / 3)


def test_mlqa_f1_zero_when_nothing_shared_even_if_both_empty():
    # as v1.1: "the" and "a" both normalise to "" in English: EM 1, F1 0
    assert mlqa_exact("the", "a", "en")
    assert mlqa_f1("the", "a", "en") == 0.0


@pytest.mark.parametrize(
    ("prediction", "ground_truth"),
    [
        ("the big red dog", "a red dog"),
        ("The Denver Broncos.", "denver broncos"),
        ("red dog red", "red dog"),
        ("1,000 e.g.", "1000"),
        ("a-b", "ab"),
        ("  An apple a day!", "apple (day)"),
        ("cat", "dog"),
        ("the", "a"),
        ("x+y=z", "x y z"),
    ],
)
def test_mlqa_english_equals_squad_v1_on_ascii(prediction, ground_truth):
    # on ASCII text the two punctuation sets coincide and both use the a/an/the pattern
    assert normalize_mlqa(prediction, "en") == normalize_squad(prediction)
    assert mlqa_exact(prediction, ground_truth, "en") == squad_v1_exact(prediction, ground_truth)
    assert mlqa_f1(prediction, ground_truth, "en") == squad_v1_f1(prediction, ground_truth)


# ---- MLQA aggregate ---------------------------------------------------------------------------


def test_mlqa_aggregate_chinese():
    gold = {"q1": ["北京"], "q2": ["上海"], "q3": ["广州"]}
    predictions = {
        "q1": "北京大学",  # EM 0, F1 2/3 (worked out above)
        "q2": "上海。",  # -> "上 海": EM 1, F1 1
        # q3 missing: 0
    }
    result = mlqa(predictions, gold, "zh")
    assert set(result) == {"exact_match", "f1"}
    # EM = 100 * 1/3 = 33.33...; F1 = 100 * (2/3 + 1 + 0) / 3 = 100 * 5/9 = 55.55...
    assert result["exact_match"] == pytest.approx(100.0 / 3)
    assert result["f1"] == pytest.approx(500.0 / 9)


def test_mlqa_aggregate_german_max_over_gold():
    gold = {"q1": ["der Hund", "ein großer Hund"], "q2": ["Berlin"]}
    predictions = {
        # -> [großer, hund]; vs "der hund" -> [hund]: P 1/2, R 1 -> F1 2/3, EM 0;
        #    vs "ein großer hund" -> [großer, hund]: EM 1, F1 1 -> max: EM 1, F1 1
        "q1": "großer Hund",
        # "die" is a German article -> [stadt, berlin]; vs [berlin]: P 1/2, R 1 -> F1 2/3; EM 0
        "q2": "die Stadt Berlin",
    }
    result = mlqa(predictions, gold, "de")
    # EM = 100 * (1 + 0) / 2 = 50.0; F1 = 100 * (1 + 2/3) / 2 = 83.33...
    assert result["exact_match"] == pytest.approx(50.0)
    assert result["f1"] == pytest.approx(250.0 / 3)


@pytest.mark.parametrize("lang", ["fr", "ja", "EN", ""])
def test_mlqa_unknown_language(lang):
    with pytest.raises(ValueError, match=f"unknown MLQA language {lang!r}"):
        mlqa({"q": "x"}, {"q": ["x"]}, lang)
    with pytest.raises(ValueError, match=f"unknown MLQA language {lang!r}"):
        normalize_mlqa("x", lang)


def test_mlqa_languages():
    assert set(MLQA_LANGUAGES) == {"en", "es", "hi", "vi", "de", "ar", "zh"}
