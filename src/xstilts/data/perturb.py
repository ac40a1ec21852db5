"""Perturbed test inputs for robustness: character noise, word noise, and a black-box greedy
word-substitution attack.

Every function draws from the ``rng`` it is given (a ``random.Random``; only ``random()``,
``randrange()`` and ``choice()`` are used), so a fixed seed gives a fixed output. The
robustness evaluation seeds one generator per (perturbation, language, example, field), so every
arm sees the same perturbed test set and drops are paired.

Noise stays in the text's own script: inserted and substituted letters are drawn from the
letters of the text itself. Words are whitespace tokens, except in languages written without
spaces between words, where every character is a word and the spaces (between clauses, around
Latin script) stay where they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

CHAR_OPS = ("insert", "delete", "swap", "substitute")
WORD_OPS = ("drop", "swap")
# XTREME / XTREME-R languages written without spaces between words
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "my", "km", "lo", "bo", "wuu", "yue"})


def _alphabet(text: str) -> list[str]:
    return sorted({c for c in text if c.isalpha()})


def char_noise(text: str, op: str, rate: float, rng) -> str:
    """Each letter, with probability ``rate`` (one ``rng.random()`` draw per letter, left to
    right): ``delete`` removes it; ``insert`` adds a letter of the text's alphabet after it;
    ``substitute`` replaces it by another letter of that alphabet; ``swap`` exchanges it with
    the next character when that is a letter too (the pair is then done)."""
    if op not in CHAR_OPS:
        raise ValueError(f"unknown character operation {op!r}; one of {', '.join(CHAR_OPS)}")
    alphabet = _alphabet(text)
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < len(chars):
        c = chars[i]
        if not c.isalpha() or rng.random() >= rate:
            out.append(c)
        elif op == "delete":
            pass
        elif op == "insert":
            out += [c, rng.choice(alphabet)]
        elif op == "substitute":
            others = [a for a in alphabet if a != c]
            out.append(rng.choice(others) if others else c)
        elif i + 1 < len(chars) and chars[i + 1].isalpha():  # swap
            out += [chars[i + 1], c]
            i += 1
        else:
            out.append(c)
        i += 1
    return "".join(out)


def split_words(text: str, lang: str) -> list[str]:
    """The text's tokens: its words, and in languages without spaces also the whitespace runs
    between them, so that ``join_words`` gives the text back."""
    if lang in NO_SPACE_LANGUAGES:
        return re.findall(r"\s+|\S", text)
    return text.split()


def join_words(tokens: Sequence[str], lang: str) -> str:
    return ("" if lang in NO_SPACE_LANGUAGES else " ").join(tokens)


def is_word(token: str) -> bool:
    return not token.isspace()


def word_noise(text: str, op: str, rate: float, rng, lang: str = "en") -> str:
    """Each word, with probability ``rate`` (one ``rng.random()`` draw per word, left to right):
    ``drop`` removes it (a text keeps at least its last word); ``swap`` exchanges it with the
    next word (the pair is then done; the last word has no draw)."""
    if op not in WORD_OPS:
        raise ValueError(f"unknown word operation {op!r}; one of {', '.join(WORD_OPS)}")
    tokens = split_words(text, lang)
    if op == "drop":
        kept = [t for t in tokens if not is_word(t) or rng.random() >= rate]
        if not any(is_word(t) for t in kept):
            kept = [t for t in tokens if is_word(t)][-1:]
        return join_words(kept, lang)
    out = list(tokens)
    words = [i for i, t in enumerate(out) if is_word(t)]  # spaces between them stay in place
    j = 0
    while j < len(words) - 1:
        if rng.random() < rate:
            a, b = words[j], words[j + 1]
            out[a], out[b] = out[b], out[a]
            j += 1
        j += 1
    return join_words(out, lang)


def perturb(text: str, spec: dict, rng, lang: str) -> str:
    """One noise perturbation from its config entry: ``{level: char|word, op, rate}``."""
    if spec["level"] == "char":
        return char_noise(text, spec["op"], spec["rate"], rng)
    return word_noise(text, spec["op"], spec["rate"], rng, lang)


# ---- the black-box attack ----


def typo_candidates(word: str, alphabet: Sequence[str], n: int, rng) -> list[str]:
    """Up to ``n`` distinct misspellings of ``word`` (swap, delete, substitute or insert one
    letter, chosen at random), in the order drawn; a word without letters has none. A word of
    one letter (a character of Chinese, say) is only substituted or extended."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if not letters:
        return []
    ops = CHAR_OPS if len(word) > 1 else ("insert", "substitute")
    seen: set[str] = {word}
    out: list[str] = []
    for _ in range(8 * n):
        if len(out) == n:
            break
        op = ops[rng.randrange(len(ops))]
        i = letters[rng.randrange(len(letters))]
        if op == "delete":
            cand = word[:i] + word[i + 1 :]
        elif op == "insert":
            cand = word[: i + 1] + rng.choice(alphabet) + word[i + 1 :]
        elif op == "substitute":
            cand = word[:i] + rng.choice(alphabet) + word[i + 1 :]
        elif i + 1 < len(word):
            cand = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            cand = word[: i - 1] + word[i] + word[i - 1]
        if cand not in seen:
            seen.add(cand)
            out.append(cand)
    return out


@dataclass
class AttackResult:
    fields: dict[str, str]  # the final input: adversarial when flipped, else the clean one
    flipped: bool
    queries: int
    words_changed: int  # in the final input (0 when the attack failed)
    score: float  # the example's score on the final input


Fields = dict[str, str]
Attack = Generator[Fields, object, AttackResult]


def greedy_attack(
    fields: Fields,
    clean_score: float,
    lang: str,
    rng,
    query_budget: int = 100,
    candidates: int = 5,
    max_words: float = 0.25,
) -> Attack:
    """Greedy word substitution with black-box access to one example's score.

    A generator: it yields candidate inputs (field → text) and is sent the example's score
    (the task's metric on that example alone) for each. It succeeds at the first candidate that
    scores below ``clean_score`` (a classification that was right turns wrong; a QA answer
    loses EM or F1); an example with nothing to lose (score 0) is not attacked. Words of all
    fields are visited longest first (ties in reading order); a word tries up to ``candidates``
    misspellings (:func:`typo_candidates`). If none succeeds, the word keeps its first
    misspelling and the search moves to the next word. It gives up after ``max_words`` of the
    words (at least one) are changed or after ``query_budget`` queries; a failed attack
    returns the clean input (as TextAttack counts a failed attack), so the attacked score is
    never above the clean one."""
    words = {f: split_words(t, lang) for f, t in fields.items()}
    order = sorted(
        ((f, i) for f in fields for i, t in enumerate(words[f]) if is_word(t)),
        key=lambda p: -len(words[p[0]][p[1]]),
    )
    alphabet = _alphabet(" ".join(fields.values())) or ["x"]
    limit = max(1, int(max_words * len(order)))
    queries = changed = 0

    def current() -> Fields:
        return {f: join_words(w, lang) for f, w in words.items()}

    for field, i in order:
        if clean_score <= 0 or changed >= limit or queries >= query_budget:
            break
        options = typo_candidates(words[field][i], alphabet, candidates, rng)
        if not options:
            continue
        for cand in options:
            if queries >= query_budget:
                break
            words[field][i] = cand
            queries += 1
            score = yield current()
            if score < clean_score:
                return AttackResult(current(), True, queries, changed + 1, score)
        words[field][i] = options[0]
        changed += 1
    return AttackResult(dict(fields), False, queries, 0, clean_score)  # failed: clean input


def run_attacks(
    attacks: list[Attack], score: Callable[[list[int], list[Fields]], list[float]]
) -> list[AttackResult]:
    """Drive many attacks together: each round, every unfinished attack proposes one input, and
    ``score(indices, proposals)`` scores the round's proposals in one batch (``indices`` says
    which attack made each)."""
    results: list[AttackResult | None] = [None] * len(attacks)
    pending: dict[int, Fields] = {}
    for k, attack in enumerate(attacks):
        try:
            pending[k] = next(attack)
        except StopIteration as stop:
            results[k] = stop.value
    while pending:
        keys = list(pending)
        scores = score(keys, [pending[k] for k in keys])
        pending = {}
        for k, value in zip(keys, scores, strict=True):
            try:
                pending[k] = attacks[k].send(value)
            except StopIteration as stop:
                results[k] = stop.value
    return results  # type: ignore[return-value]
