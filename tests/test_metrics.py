"""Classification metrics (percent scale) against hand-worked examples and scikit-learn.

Every expected number below is worked out by hand in the comment next to it, or computed by
scikit-learn (the reference xtreme's evaluate.py uses: ``accuracy_score * 100``,
``f1_score * 100``); none comes from the code under test.
"""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import accuracy_score, f1_score

from xstilts.metrics import accuracy, binary_f1

# ---- accuracy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predictions", "gold", "expected"),
    [
        # 2 of 4 match (positions 0 and 2) -> 100 * 2 / 4 = 50.0
        ([1, 0, 1, 1], [1, 1, 1, 0], 50.0),
        # all 3 match -> 100 * 3 / 3 = 100.0
        ([0, 1, 2], [0, 1, 2], 100.0),
        # none of 3 match -> 0.0
        ([1, 2, 0], [0, 1, 2], 0.0),
        # 2 of 3 match -> 100 * 2 / 3 = 66.666...
        (["a", "b", "c"], ["a", "b", "b"], 200.0 / 3),
        # single example, correct -> 100.0
        ([7], [7], 100.0),
        # 1 of 8 match (position 5) -> 100 * 1 / 8 = 12.5
        ([0, 0, 0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], 12.5),
    ],
)
def test_accuracy_hand_worked(predictions, gold, expected):
    assert accuracy(predictions, gold) == pytest.approx(expected, abs=1e-9)


def test_accuracy_nli_string_labels():
    predictions = ["entailment", "contradiction", "neutral", "entailment", "neutral"]
    gold = ["entailment", "entailment", "neutral", "contradiction", "contradiction"]
    # matches at positions 0 and 2 -> 100 * 2 / 5 = 40.0
    assert accuracy(predictions, gold) == pytest.approx(40.0)


def test_accuracy_is_percent_not_fraction():
    # 3 of 4 match -> 75.0 (percent), not 0.75 (fraction)
    assert accuracy(["x", "y", "z", "z"], ["x", "y", "z", "w"]) == pytest.approx(75.0)


def test_accuracy_accepts_tuples():
    # 1 of 2 match -> 50.0
    assert accuracy(("0", "1"), ("0", "0")) == pytest.approx(50.0)


# ---- binary F1 ------------------------------------------------------------------------------


def test_binary_f1_hand_worked_int_labels():
    predictions = [1, 1, 0, 0, 1]
    gold = [1, 0, 1, 0, 1]
    # tp = 2 (positions 0, 4), fp = 1 (position 1), fn = 1 (position 2)
    # F1 = 2 tp / (2 tp + fp + fn) = 4 / 6 = 66.666...%
    assert binary_f1(predictions, gold, positive=1) == pytest.approx(400.0 / 6)


def test_binary_f1_depends_on_positive_class():
    predictions = [1, 1, 0, 0, 1]
    gold = [1, 0, 1, 0, 1]
    # positive = 0: tp = 1 (position 3), fp = 1 (position 2), fn = 1 (position 1)
    # F1 = 2 / (2 + 1 + 1) = 50.0%
    assert binary_f1(predictions, gold, positive=0) == pytest.approx(50.0)


def test_binary_f1_qqp_string_labels():
    predictions = ["duplicate", "not_duplicate", "duplicate", "duplicate", "not_duplicate"]
    gold = ["duplicate", "duplicate", "not_duplicate", "duplicate", "not_duplicate"]
    # positive "duplicate": tp = 2 (0, 3), fp = 1 (2), fn = 1 (1) -> 4 / 6 = 66.666...%
    assert binary_f1(predictions, gold, positive="duplicate") == pytest.approx(400.0 / 6)
    # positive "not_duplicate": tp = 1 (4), fp = 1 (1), fn = 1 (2) -> 2 / 4 = 50.0%
    assert binary_f1(predictions, gold, positive="not_duplicate") == pytest.approx(50.0)
    # accuracy on the same lists: matches at 0, 3, 4 -> 3 / 5 = 60.0%
    assert accuracy(predictions, gold) == pytest.approx(60.0)


def test_binary_f1_pawsx_string_digit_labels():
    # PAWS-X labels are the strings "0" / "1"; the positive label is the string "1"
    predictions = ["1", "1", "1", "0"]
    gold = ["1", "1", "0", "1"]
    # tp = 2 (0, 1), fp = 1 (2), fn = 1 (3) -> 4 / 6 = 66.666...%
    assert binary_f1(predictions, gold, positive="1") == pytest.approx(400.0 / 6)
    # the integer 1 is not the label "1": no prediction equals it -> tp = 0 -> 0.0
    assert binary_f1(predictions, gold, positive=1) == 0.0


def test_binary_f1_perfect():
    # tp = 2, fp = fn = 0 -> 4 / 4 = 100.0%
    assert binary_f1([1, 0, 1, 0], [1, 0, 1, 0], positive=1) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("predictions", "gold"),
    [
        # positive never predicted, always gold: tp = 0, fp = 0, fn = 2
        ([0, 0], [1, 1]),
        # positive always predicted, never gold: tp = 0, fp = 2, fn = 0
        ([1, 1], [0, 0]),
        # positive neither predicted nor gold: tp = fp = fn = 0 (0/0 -> 0 by definition)
        ([0, 0, 0], [0, 0, 0]),
        # positive predicted and gold but never on the same example: tp = 0, fp = 1, fn = 1
        ([1, 0], [0, 1]),
    ],
)
def test_binary_f1_zero_true_positives_is_zero(predictions, gold):
    value = binary_f1(predictions, gold, positive=1)
    assert value == 0.0
    assert isinstance(value, float)
    # scikit-learn agrees (zero_division=0 for the 0/0 case)
    assert value == 100.0 * f1_score(gold, predictions, pos_label=1, zero_division=0)


def test_binary_f1_multiclass_labels_one_vs_rest():
    predictions = ["entailment", "neutral", "contradiction", "entailment", "neutral", "neutral"]
    gold = ["entailment", "entailment", "contradiction", "neutral", "neutral", "contradiction"]
    # positive "entailment": tp = 1 (0), fp = 1 (3), fn = 1 (1) -> 2 / 4 = 50.0%
    assert binary_f1(predictions, gold, positive="entailment") == pytest.approx(50.0)
    # positive "neutral": tp = 1 (4), fp = 2 (1, 5), fn = 1 (3) -> 2 / 5 = 40.0%
    assert binary_f1(predictions, gold, positive="neutral") == pytest.approx(40.0)


# ---- input validation -----------------------------------------------------------------------


@pytest.mark.parametrize("metric", [accuracy, lambda p, g: binary_f1(p, g, positive=1)])
@pytest.mark.parametrize(
    ("predictions", "gold"),
    [([1, 0], [1, 0, 1]), ([1, 0, 1], [1, 0]), ([1], []), ([], [1])],
)
def test_mismatched_lengths_raise(metric, predictions, gold):
    with pytest.raises(ValueError):
        metric(predictions, gold)


@pytest.mark.parametrize("metric", [accuracy, lambda p, g: binary_f1(p, g, positive=1)])
@pytest.mark.parametrize("empty", [[], ()])
def test_empty_raises(metric, empty):
    with pytest.raises(ValueError):
        metric(empty, empty)


# ---- randomized cross-check against scikit-learn ---------------------------------------------

LABEL_SETS = [
    [0, 1],
    ["not_duplicate", "duplicate"],
    ["0", "1"],
    ["entailment", "neutral", "contradiction"],
]


def _random_cases(n_cases: int = 400, seed: int = 20240611):
    rng = random.Random(seed)
    for _ in range(n_cases):
        labels = rng.choice(LABEL_SETS)
        n = rng.randint(1, 60)
        # skewed draws so that tp = 0 and all-one-class lists occur regularly
        weights = [rng.random() ** 3 + 1e-3 for _ in labels]
        gold = rng.choices(labels, weights=weights, k=n)
        predictions = rng.choices(labels, weights=weights[::-1], k=n)
        yield labels, predictions, gold, rng.choice(labels)


def test_random_lists_match_sklearn():
    n_tp_zero = 0
    for labels, predictions, gold, positive in _random_cases():
        assert accuracy(predictions, gold) == pytest.approx(
            100.0 * accuracy_score(gold, predictions), abs=1e-9
        )
        # F1 of one class (one-vs-rest): sklearn's per-label F1 for that label
        reference = (
            100.0 * f1_score(gold, predictions, labels=[positive], average=None, zero_division=0)[0]
        )
        if len(labels) == 2:
            # binary labels: the same number as sklearn's average="binary"
            assert reference == pytest.approx(
                100.0 * f1_score(gold, predictions, pos_label=positive, zero_division=0)
            )
        assert binary_f1(predictions, gold, positive=positive) == pytest.approx(reference, abs=1e-9)
        n_tp_zero += reference == 0.0
    # the draw covers the tp = 0 branch as well as the ordinary one
    assert n_tp_zero > 10


def test_map_at_20_on_a_worked_example():
    """Mewsli-X's mAP@20 (one gold entity per mention, so reciprocal rank at 20), in percent."""
    from xstilts.metrics.ranking import mean_reciprocal_rank

    others = [f"E{i}" for i in range(30)]
    gold = {"m1": [" Q1 "], "m2": ["Q2"], "m3": ["Q3"], "m4": ["Q4"]}  # gold ids are stripped
    predictions = {
        "m1": ["Q1", *others],  # rank 1 -> 1
        "m2": ["E0", "Q2", *others],  # rank 2 -> 1/2
        "m3": [*others[:20], "Q3"],  # rank 21, past the first 20 -> 0
        # m4 has no prediction -> 0; a prediction for a mention without gold is ignored
        "m5": ["Q5"],
    }
    assert mean_reciprocal_rank(gold, predictions) == pytest.approx((1 + 1 / 2 + 0 + 0) / 4 * 100)
    assert mean_reciprocal_rank(gold, predictions, k=21) == pytest.approx(
        (1 + 1 / 2 + 1 / 21 + 0) / 4 * 100
    )
    assert mean_reciprocal_rank({}, predictions) == 0.0


def test_lareqa_average_precision_at_20_on_worked_examples():
    """utils_lareqa's AP@k: precision at each rank holding a new target, summed, over
    min(targets, k); several right answers per question (one per language)."""
    from xstilts.metrics.ranking import average_precision_at_k, mean_average_precision

    # targets a, b found at ranks 1 and 3: (1/1 + 2/3) / 2
    assert average_precision_at_k({"a", "b"}, ["a", "x", "b"]) == pytest.approx(5 / 6)
    # cut at k = 2: only a (1/1), over min(2, 2) targets
    assert average_precision_at_k({"a", "b"}, ["a", "x", "b"], k=2) == pytest.approx(1 / 2)
    # a repeated prediction counts once: a at 1, b at 3 -> (1 + 2/3) / 2
    assert average_precision_at_k({"a", "b"}, ["a", "a", "b"]) == pytest.approx(5 / 6)
    # 25 targets, the first 20 ranks all right: 20 / min(25, 20) = 1
    many = [f"t{i}" for i in range(25)]
    assert average_precision_at_k(set(many), many) == pytest.approx(1.0)
    # a target past rank 20 counts nothing; without k it does: (1/1 + 2/22) / 2
    late = ["a", *[f"x{i}" for i in range(20)], "b"]
    assert average_precision_at_k({"a", "b"}, late) == pytest.approx(1 / 2)
    assert average_precision_at_k({"a", "b"}, late, k=None) == pytest.approx((1 + 2 / 22) / 2)
    assert average_precision_at_k(set(), ["a"]) == 0.0
    # the mean over questions, in percent: (5/6 + 1/2) / 2 * 100
    assert mean_average_precision([{"a", "b"}, {"c"}], [["a", "x", "b"], ["x", "c"]]) == (
        pytest.approx((5 / 6 + 1 / 2) / 2 * 100)
    )
    assert mean_average_precision([], []) == 0.0
    with pytest.raises(ValueError, match="2 rankings for 1 queries"):
        mean_average_precision([{"a"}], [["a"], ["b"]])


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # initials before a surname stay together; "It" after a full stop opens a sentence
        ("He met J. R. R. Tolkien. It rained.", ["He met J. R. R. Tolkien.", "It rained."]),
        # titles and abbreviations do not end a sentence
        (
            "Dr. Smith saw Mt. Fuji, e.g. from afar. Then he left!",
            ["Dr. Smith saw Mt. Fuji, e.g. from afar.", "Then he left!"],
        ),
        # "U.S." before a number, and a newline inside the paragraph (read as a space)
        (
            'The U.S. 50 states joined.\nA "new" era began? Yes.',
            ["The U.S. 50 states joined.", 'A "new" era began?', "Yes."],
        ),
        # Wikipedia's citation marks stay with their sentence; a lower-case word after a full
        # stop does not open a new one
        (
            "It grew.[citation needed] Later it shrank. e.g. not here",
            ["It grew.[citation needed]", "Later it shrank. e.g. not here"],
        ),
        ("One sentence only", ["One sentence only"]),
        # rule order: the title rule joins "Dr. It", the opener rule after it breaks it again;
        # "et al." before a year is joined after the main break
        ("I met Dr. It was late.", ["I met Dr.", "It was late."]),
        ("Smith et al. 2005 showed it. Yes.", ["Smith et al. 2005 showed it.", "Yes."]),
    ],
)
def test_sentence_breaks_follow_sb_seds_rules(text, sentences):
    from xstilts.data.sentence_breaks import sentence_breaks

    spans = sentence_breaks(text)
    assert [text[start:end] for start, end in spans] == sentences
