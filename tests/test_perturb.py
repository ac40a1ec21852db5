"""Perturbations on fixed inputs with scripted random draws (each expected output is worked by
hand from the draws), and the greedy attack against a scripted oracle."""

from __future__ import annotations

import random

import pytest

from xstilts.data import perturb


class Scripted:
    """A stand-in for random.Random that returns the given draws in order."""

    def __init__(self, draws=(), choices=(), ranges=()):
        self.draws, self.choices, self.ranges = list(draws), list(choices), list(ranges)

    def random(self):
        return self.draws.pop(0)

    def choice(self, seq):
        return seq[self.choices.pop(0)]

    def randrange(self, n):
        return self.ranges.pop(0) % n


def test_char_delete():
    # letters a b c d e draw 0.9 0.1 0.9 0.1 0.9; rate 0.5 deletes b and d
    rng = Scripted([0.9, 0.1, 0.9, 0.1, 0.9])
    assert perturb.char_noise("abc de", "delete", 0.5, rng) == "ac e"
    assert rng.draws == []  # one draw per letter, none for the space


def test_char_insert_draws_from_the_texts_own_letters():
    # alphabet of "ab" is [a, b]; a draws 0.1 < 0.5 and gets alphabet[1] = b after it
    assert perturb.char_noise("ab", "insert", 0.5, Scripted([0.1, 0.9], [1])) == "abb"


def test_char_substitute_never_keeps_the_letter():
    # b draws 0.1: replaced by the first of the other letters [a, c]
    assert perturb.char_noise("abc", "substitute", 0.5, Scripted([0.9, 0.1, 0.9], [0])) == "aac"


def test_char_swap_takes_the_pair_and_skips_a_last_letter():
    # a draws 0.1: swapped with b (b gets no draw); c draws 0.9: kept; d draws 0.1 but has no
    # letter after it: kept
    rng = Scripted([0.1, 0.9, 0.1])
    assert perturb.char_noise("abc d", "swap", 0.5, rng) == "bac d"
    assert rng.draws == []


def test_non_letters_are_never_touched():
    assert perturb.char_noise("a1, b!", "delete", 1.0, Scripted([0.0, 0.0])) == "1, !"


def test_other_scripts_keep_their_letters():
    out = perturb.char_noise("привет мир", "substitute", 0.5, random.Random(3))
    assert set(out) <= set("привет мир") and out != "привет мир"


def test_word_drop_keeps_at_least_the_last_word():
    assert perturb.word_noise("the cat sat", "drop", 0.1, Scripted([0.9, 0.05, 0.9])) == "the sat"
    assert perturb.word_noise("the cat sat", "drop", 1.0, Scripted([0, 0, 0])) == "sat"


def test_word_swap():
    # "a" draws 0.1: a and b swap (b gets no draw); c draws 0.9: stays; d is last: no draw
    rng = Scripted([0.1, 0.9])
    assert perturb.word_noise("a b c d", "swap", 0.5, rng) == "b a c d"
    assert rng.draws == []


def test_languages_without_spaces_treat_characters_as_words():
    rng = Scripted([0.9, 0.1, 0.9])
    assert perturb.word_noise("我们走", "drop", 0.5, rng, lang="zh") == "我走"
    # spaces between clauses or around Latin script stay where they are
    assert perturb.split_words("我们 走", "zh") == ["我", "们", " ", "走"]
    assert (
        perturb.word_noise("泰国 iPhone 12", "swap", 0.0, random.Random(0), "zh")
        == "泰国 iPhone 12"
    )
    # th: words ก ข, a space, ค; ข draws 0.1 and swaps with ค across the space
    rng = Scripted([0.9, 0.1])
    assert perturb.word_noise("กข ค", "swap", 0.5, rng, lang="th") == "กค ข"


def test_a_fixed_seed_gives_a_fixed_output():
    text = "The quick brown fox jumps over the lazy dog"
    for op in perturb.CHAR_OPS:
        a = perturb.char_noise(text, op, 0.3, random.Random(7))
        assert a == perturb.char_noise(text, op, 0.3, random.Random(7)) and a != text


def test_unknown_operations_are_named():
    with pytest.raises(ValueError, match="swap"):
        perturb.char_noise("abc", "drop", 0.1, random.Random(0))
    with pytest.raises(ValueError, match="drop"):
        perturb.word_noise("abc", "insert", 0.1, random.Random(0))


def test_typo_candidates_are_one_edit_away():
    def one_edit(a: str, b: str) -> bool:
        if abs(len(a) - len(b)) == 1:
            short, long = sorted((a, b), key=len)
            return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        return len(diff) == 1 or swapped

    cands = perturb.typo_candidates("window", list("abcdefg"), 5, random.Random(1))
    assert len(cands) == 5 and len(set(cands)) == 5 and "window" not in cands
    assert all(one_edit("window", c) for c in cands)
    assert perturb.typo_candidates("1234", list("ab"), 5, random.Random(1)) == []
    assert all(
        len(c) in (1, 2) for c in perturb.typo_candidates("我", list("我们"), 3, random.Random(1))
    )


def _run(attack, oracle):
    """Drive one attack; record what it proposed."""
    proposals = []
    try:
        fields = next(attack)
        while True:
            proposals.append(fields)
            fields = attack.send(oracle(fields))
    except StopIteration as stop:
        return stop.value, proposals


FIELDS = {"premise": "aa bbbb", "hypothesis": "ccc"}


def test_the_attack_tries_the_longest_word_first_and_stops_when_the_score_falls():
    def oracle(fields):  # the model is wrong as soon as "bbbb" is misspelled
        return 0.0 if "bbbb" not in fields["premise"] else 100.0

    attack = perturb.greedy_attack(FIELDS, 100.0, "en", random.Random(0), query_budget=50)
    result, proposals = _run(attack, oracle)
    assert result.flipped and result.queries == 1 and result.words_changed == 1
    assert result.score == 0.0
    assert len(proposals) == 1 and proposals[0]["hypothesis"] == "ccc"
    assert proposals[0]["premise"].startswith("aa ") and result.fields == proposals[0]


def test_the_attack_respects_the_query_budget():
    # nothing lowers the score: bbbb tries its 5 misspellings, ccc 2 before the budget of 7
    attack = perturb.greedy_attack(
        FIELDS, 100.0, "en", random.Random(0), query_budget=7, candidates=5, max_words=1.0
    )
    result, proposals = _run(attack, lambda f: 100.0)
    assert not result.flipped and result.queries == len(proposals) == 7
    assert {p["hypothesis"] for p in proposals[:5]} == {"ccc"}
    assert all(p["hypothesis"] != "ccc" for p in proposals[5:])
    # a word that failed keeps its first misspelling while the search goes on, but a failed
    # attack returns the clean input, with the clean score
    assert result.words_changed == 0 and result.fields == FIELDS and result.score == 100.0


def test_the_attack_changes_at_most_max_words():
    # a quarter of 3 words rounds down to 0: at least one word, so only bbbb is tried
    attack = perturb.greedy_attack(FIELDS, 100.0, "en", random.Random(0), max_words=0.25)
    result, proposals = _run(attack, lambda f: 100.0)
    assert result.queries == 5
    assert all(p["hypothesis"] == "ccc" and p["premise"].startswith("aa ") for p in proposals)
    assert result.fields == FIELDS  # a failed attack leaves the input clean


def test_an_example_with_nothing_to_lose_is_not_attacked():
    result, proposals = _run(perturb.greedy_attack(FIELDS, 0.0, "en", random.Random(0)), None)
    assert proposals == [] and result.queries == 0 and result.fields == FIELDS


def test_attacks_run_in_rounds_of_one_batch():
    batches = []

    def score(indices, proposals):
        batches.append(list(indices))
        return [0.0 if i == 0 else 100.0 for i in indices]  # attack 0 succeeds at once

    attacks = [
        perturb.greedy_attack(FIELDS, 100.0, "en", random.Random(i), query_budget=3)
        for i in range(2)
    ]
    results = perturb.run_attacks(attacks, score)
    assert batches == [[0, 1], [1], [1]]
    assert results[0].flipped and not results[1].flipped and results[1].queries == 3
