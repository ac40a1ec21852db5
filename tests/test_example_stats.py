"""Per-example statistics (Task.example_stats / metrics_from_sums), from which the bootstrap
recomputes each task's metric: summed over every example they must give the task's own score
(the reference, tested against the official scripts elsewhere), and the corpus-level metrics
(seqeval, BUCC and binary F1) must come out as corpus F1, not as a mean of per-example F1."""

from __future__ import annotations

import numpy as np
import pytest

from xstilts import tasks


def summed(task, predictions, gold, lang="en") -> dict[str, float]:
    stats = task.example_stats(predictions, gold, lang)
    keys = [k for k in stats[0] if k != "example"]  # BUCC keys its sentences by id
    sums = {k: np.array([sum(s.get(k, 0) for s in stats)], dtype=float) for k in keys}
    return {k: float(v[0]) for k, v in task.metrics_from_sums(sums, np.array([len(stats)])).items()}


CASES = {
    "xnli": (
        ["entailment", "neutral", "contradiction", "neutral"],
        ["entailment", "contradiction", "contradiction", "neutral"],
    ),
    "qqp": (
        ["duplicate", "duplicate", "not_duplicate", "not_duplicate", "duplicate"],
        ["duplicate", "not_duplicate", "duplicate", "not_duplicate", "duplicate"],
    ),
    "xquad": (
        [("q1", "the cat"), ("q2", "a dog barked"), ("q3", "nothing")],
        [("q1", ["The cat!"]), ("q2", ["dog", "the dog barked"]), ("q3", ["x"]), ("q4", ["y"])],
    ),
    "panx": (
        [["B-PER", "I-PER", "O", "B-ORG"], ["B-LOC", "O"], ["O"]],
        [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"], ["B-PER"]],
    ),
    "udpos": (
        [["NOUN", "VERB", "NOUN"], ["DET", "NOUN"]],
        [["NOUN", "VERB", "ADJ"], ["DET", "NOUN"]],
    ),
    "tatoeba": (["3", "1", "2"], ["3", "2", "2"]),
    "bucc2018": (
        ["de-1\ten-1", "de-2\ten-5", "de-3\ten-3"],
        ["de-1\ten-1", "de-2\ten-2", "de-3\ten-3", "de-4\ten-4"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_summed_statistics_give_the_tasks_own_score(name):
    task = tasks.get(name)
    predictions, gold = CASES[name]
    expected = task.score(predictions, gold, "en")
    got = summed(task, predictions, gold)
    for metric in task.avg_metrics:
        assert got[metric] == pytest.approx(expected[metric]), metric


def test_corpus_f1_by_hand():
    # PAN-X: gold chunks PER(0-1), LOC(3), LOC(0'), PER(0''); predicted PER(0-1), ORG(3),
    # LOC(0'): 2 right of 3 predicted and 4 gold -> F1 = 2*2 / (3 + 4) = 57.14
    assert summed(tasks.get("panx"), *CASES["panx"])["f1"] == pytest.approx(400 / 7)
    # BUCC: 2 right of 3 mined, 4 gold -> F1 = 2*2 / (3 + 4); a mean of per-sentence F1
    # would be (100 + 0 + 100 + 0) / 4 = 50
    assert summed(tasks.get("bucc2018"), *CASES["bucc2018"])["f1"] == pytest.approx(400 / 7)
    # QQP F1 of "duplicate": tp 2, predicted 3, gold 3 -> 2*2 / 6 = 66.67
    assert summed(tasks.get("qqp"), *CASES["qqp"])["f1"] == pytest.approx(200 / 3)
    # XQuAD: q1 EM 1, q2 EM 1 ("a dog barked" vs "the dog barked": articles dropped), q3 0,
    # q4 unanswered 0 -> EM 50
    assert summed(tasks.get("xquad"), *CASES["xquad"])["exact_match"] == pytest.approx(50.0)


def test_udpos_chunks_that_cross_a_sentence_end_count_as_seqeval_counts_them():
    # seqeval joins sentences with an "O" and finds chunks on the joined corpus: the counts
    # are taken there, each chunk in the sentence it starts in, and sum to the corpus scores
    task = tasks.get("udpos")
    gold = [["VERB", "X"], ["X", "NOUN"], ["NOUN"], ["X", "NOUN"]]
    predictions = [["VERB", "X"], ["NOUN", "NOUN"], ["NOUN"], ["X", "VERB"]]
    expected = task.score(predictions, gold, "en")
    got = summed(task, predictions, gold)
    for metric in ("f1", "precision", "recall", "accuracy"):
        assert got[metric] == pytest.approx(expected[metric]), metric
