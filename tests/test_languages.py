"""xstilts.languages: every benchmark and task language has a family, the families and genera
of well-known languages are the XTREME paper's (Hu et al., 2020, Table 5; WALS), and
by_family's ordering."""

from __future__ import annotations

import pytest

from xstilts import languages, tasks
from xstilts.benchmarks import BENCHMARKS
from xstilts.languages import FAMILY_ORDER, LANGUAGES, by_family, family, name


def _benchmark_codes() -> set[str]:
    return {
        code
        for bench in BENCHMARKS.values()
        for codes in bench.languages.values()
        for code in codes
    }


def test_every_benchmark_language_has_an_entry():
    missing = _benchmark_codes() - set(LANGUAGES)
    assert not missing, f"benchmark languages without an entry: {sorted(missing)}"


def test_every_registered_task_language_has_an_entry():
    missing = {c for task in tasks.REGISTRY.values() for c in task.languages} - set(LANGUAGES)
    assert not missing, f"task languages without an entry: {sorted(missing)}"


def test_xtreme_has_40_languages_and_xtreme_r_adds_ten():
    # XTREME: 40 languages; XTREME-R: 50 (adds az gu ht lt pa pl qu ro uk wo).
    xtreme = {c for codes in BENCHMARKS["xtreme"].languages.values() for c in codes}
    xtreme_r = {c for codes in BENCHMARKS["xtreme-r"].languages.values() for c in codes}
    assert len(xtreme) == 40
    assert len(xtreme | xtreme_r) == 50
    assert xtreme_r - xtreme == set("az gu ht lt pa pl qu ro uk wo".split())


def test_the_table_is_consistent():
    for code, lang in LANGUAGES.items():
        assert lang.code == code
        assert lang.name and lang.family and lang.genus
        assert lang.family in FAMILY_ORDER
    # Indo-European first, the rest alphabetically, "Unknown" last; no family unused.
    assert FAMILY_ORDER[0] == "Indo-European"
    assert FAMILY_ORDER[-1] == "Unknown"
    assert list(FAMILY_ORDER[1:-1]) == sorted(FAMILY_ORDER[1:-1])
    assert set(FAMILY_ORDER[1:-1]) | {"Indo-European"} == {
        lang.family for lang in LANGUAGES.values()
    }
    assert len(set(FAMILY_ORDER)) == len(FAMILY_ORDER)


@pytest.mark.parametrize(
    ("code", "fam"),
    [
        ("sw", "Niger-Congo"),
        ("yo", "Niger-Congo"),
        ("fi", "Uralic"),
        ("et", "Uralic"),
        ("hu", "Uralic"),
        ("eu", "Basque"),
        ("ka", "Kartvelian"),
        ("th", "Tai-Kadai"),
        ("vi", "Austro-Asiatic"),
        ("ja", "Japonic"),
        ("ko", "Koreanic"),
        ("ta", "Dravidian"),
        ("te", "Dravidian"),
        ("ml", "Dravidian"),
        ("tr", "Turkic"),
        ("kk", "Turkic"),
        ("ar", "Afro-Asiatic"),
        ("he", "Afro-Asiatic"),
        ("id", "Austronesian"),
        ("ms", "Austronesian"),
        ("jv", "Austronesian"),
        ("tl", "Austronesian"),
        ("zh", "Sino-Tibetan"),
        ("my", "Sino-Tibetan"),
        ("en", "Indo-European"),
        ("hi", "Indo-European"),
        ("fa", "Indo-European"),
        ("ru", "Indo-European"),
    ],
)
def test_families(code, fam):
    assert family(code) == fam


@pytest.mark.parametrize(
    ("codes", "gen"),
    [
        ("en de nl af", "Germanic"),
        ("hi bn mr ur", "Indic"),
        ("fa", "Iranian"),
        ("ar he", "Semitic"),
        ("fi et", "Finnic"),
        ("hu", "Ugric"),
        ("fr es it pt", "Romance"),
        ("ru bg", "Slavic"),
        ("el", "Greek"),
        ("ta ml", "Southern Dravidian"),
        ("te", "South-Central Dravidian"),
        ("id ms", "Malayo-Sumbawan"),
        ("tl", "Greater Central Philippine"),
        ("my", "Burmese-Lolo"),
    ],
)
def test_genera(codes, gen):
    for code in codes.split():
        assert LANGUAGES[code].genus == gen, code


def test_names():
    assert name("sw") == "Swahili"
    assert name("en") == "English"
    assert name("ka") == "Georgian"
    assert name("xx") == "xx"


def test_unknown_codes_never_raise():
    assert family("xx") == "Unknown"
    assert languages.genus("xx") == "Unknown"
    assert family("") == "Unknown"


def test_by_family_orders_by_family_then_genus_then_code():
    # en, de: Indo-European (first), Germanic, by code; then Niger-Congo (sw) before Uralic
    # (fi), as in FAMILY_ORDER; the unknown code last.
    assert by_family(["sw", "en", "fi", "de", "xx"]) == ["de", "en", "sw", "fi", "xx"]


def test_by_family_removes_duplicates_and_orders_genera():
    # Within Indo-European: Germanic < Indic < Romance < Slavic (genus order), by code inside.
    assert by_family(["ru", "hi", "fr", "en", "hi", "de", "ru"]) == ["de", "en", "hi", "fr", "ru"]
    assert by_family([]) == []
    assert by_family(iter(["fi", "fi"])) == ["fi"]


def test_by_family_of_a_benchmark_keeps_every_code_once():
    codes = BENCHMARKS["xtreme"].languages["panx"]
    ordered = by_family(codes)
    assert sorted(ordered) == sorted(set(codes))
    ranks = [FAMILY_ORDER.index(family(c)) for c in ordered]
    assert ranks == sorted(ranks)
