"""Language family and genus of every language the XTREME and XTREME-R benchmarks test on.

Each language is classified by its WALS (World Atlas of Language Structures) family and genus,
as the XTREME paper's language table (Hu et al., 2020) and XTREME-R's (Ruder et al., 2021) do;
the entries were taken from WALS data (not checked line by line against those two tables).
Codes are written as XTREME's ``evaluate.py`` writes them (ISO 639-1), so they match
:mod:`xstilts.benchmarks` and the task registry.

Genera are WALS's, except that Chinese's genus is written "Sinitic" (WALS: "Chinese").
Families are WALS's, except three that WALS names differently: Turkish, Kazakh and
Azerbaijani are "Turkic" (WALS: family "Altaic", genus "Turkic"), Japanese "Japonic" and
Korean "Koreanic" (WALS: "Japanese", "Korean"); Haitian Creole, which WALS files under family
"other", is "Creole". Thai is "Tai-Kadai", WALS's name for the family also called Kra-Dai.

A code not in the table is ``"Unknown"``: :func:`family` and :func:`name` never raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # English name
    family: str
    genus: str  # WALS genus (the sub-family one level below the family)


def _table(*rows: tuple[str, str, str, str]) -> dict[str, Language]:
    out: dict[str, Language] = {}
    for code, name_, family_, genus_ in rows:
        if code in out:
            raise ValueError(f"duplicate language code {code!r}")
        out[code] = Language(code, name_, family_, genus_)
    return out


# code, English name, family, genus; grouped by family then genus.
LANGUAGES: dict[str, Language] = _table(
    # Indo-European
    ("af", "Afrikaans", "Indo-European", "Germanic"),
    ("de", "German", "Indo-European", "Germanic"),
    ("en", "English", "Indo-European", "Germanic"),
    ("nl", "Dutch", "Indo-European", "Germanic"),
    ("es", "Spanish", "Indo-European", "Romance"),
    ("fr", "French", "Indo-European", "Romance"),
    ("it", "Italian", "Indo-European", "Romance"),
    ("pt", "Portuguese", "Indo-European", "Romance"),
    ("ro", "Romanian", "Indo-European", "Romance"),
    ("bg", "Bulgarian", "Indo-European", "Slavic"),
    ("pl", "Polish", "Indo-European", "Slavic"),
    ("ru", "Russian", "Indo-European", "Slavic"),
    ("uk", "Ukrainian", "Indo-European", "Slavic"),
    ("lt", "Lithuanian", "Indo-European", "Baltic"),
    ("el", "Greek", "Indo-European", "Greek"),
    ("bn", "Bengali", "Indo-European", "Indic"),
    ("gu", "Gujarati", "Indo-European", "Indic"),
    ("hi", "Hindi", "Indo-European", "Indic"),
    ("mr", "Marathi", "Indo-European", "Indic"),
    ("pa", "Punjabi", "Indo-European", "Indic"),
    ("ur", "Urdu", "Indo-European", "Indic"),
    ("fa", "Persian", "Indo-European", "Iranian"),
    # Afro-Asiatic
    ("ar", "Arabic", "Afro-Asiatic", "Semitic"),
    ("he", "Hebrew", "Afro-Asiatic", "Semitic"),
    # Austro-Asiatic
    ("vi", "Vietnamese", "Austro-Asiatic", "Viet-Muong"),
    # Austronesian
    ("id", "Indonesian", "Austronesian", "Malayo-Sumbawan"),
    ("ms", "Malay", "Austronesian", "Malayo-Sumbawan"),
    ("jv", "Javanese", "Austronesian", "Javanese"),
    ("tl", "Tagalog", "Austronesian", "Greater Central Philippine"),
    # Isolate
    ("eu", "Basque", "Basque", "Basque"),
    # Creole
    ("ht", "Haitian Creole", "Creole", "Creoles and Pidgins"),
    # Dravidian
    ("ml", "Malayalam", "Dravidian", "Southern Dravidian"),
    ("ta", "Tamil", "Dravidian", "Southern Dravidian"),
    ("te", "Telugu", "Dravidian", "South-Central Dravidian"),
    # Japonic, Kartvelian, Koreanic
    ("ja", "Japanese", "Japonic", "Japanese"),
    ("ka", "Georgian", "Kartvelian", "Kartvelian"),
    ("ko", "Korean", "Koreanic", "Korean"),
    # Niger-Congo
    ("sw", "Swahili", "Niger-Congo", "Bantoid"),
    ("yo", "Yoruba", "Niger-Congo", "Defoid"),
    ("wo", "Wolof", "Niger-Congo", "Wolof"),
    # Quechuan
    ("qu", "Quechua", "Quechuan", "Quechuan"),
    # Sino-Tibetan
    ("my", "Burmese", "Sino-Tibetan", "Burmese-Lolo"),
    ("zh", "Chinese", "Sino-Tibetan", "Sinitic"),
    # Tai-Kadai (Kra-Dai)
    ("th", "Thai", "Tai-Kadai", "Kam-Tai"),
    # Turkic
    ("az", "Azerbaijani", "Turkic", "Turkic"),
    ("kk", "Kazakh", "Turkic", "Turkic"),
    ("tr", "Turkish", "Turkic", "Turkic"),
    # Uralic
    ("et", "Estonian", "Uralic", "Finnic"),
    ("fi", "Finnish", "Uralic", "Finnic"),
    ("hu", "Hungarian", "Uralic", "Ugric"),
)

# Indo-European first (English's family, and most of the languages), then the other families of
# the table alphabetically, then "Unknown" for codes not in the table.
FAMILY_ORDER: tuple[str, ...] = (
    "Indo-European",
    *sorted({lang.family for lang in LANGUAGES.values()} - {"Indo-European"}),
    UNKNOWN,
)


def family(code: str) -> str:
    """The language's family; "Unknown" for a code not in the table."""
    lang = LANGUAGES.get(code)
    return lang.family if lang else UNKNOWN


def genus(code: str) -> str:
    """The language's WALS genus; "Unknown" for a code not in the table."""
    lang = LANGUAGES.get(code)
    return lang.genus if lang else UNKNOWN


def name(code: str) -> str:
    """The language's English name; the code itself for a code not in the table."""
    lang = LANGUAGES.get(code)
    return lang.name if lang else code


def by_family(codes: Iterable[str]) -> list[str]:
    """``codes`` without duplicates, ordered by family (in :data:`FAMILY_ORDER`), then genus,
    then code; unknown codes last."""

    def key(code: str) -> tuple[int, str, str]:
        fam = family(code)
        rank = FAMILY_ORDER.index(fam) if fam in FAMILY_ORDER else len(FAMILY_ORDER)
        return rank, genus(code), code

    return sorted(dict.fromkeys(codes), key=key)


__all__ = [
    "Language",
    "LANGUAGES",
    "FAMILY_ORDER",
    "UNKNOWN",
    "family",
    "genus",
    "name",
    "by_family",
]
