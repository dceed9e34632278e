"""Country names as directories write them (old, misspelt, abbreviated) -> ISO 3166-1 alpha-2.

The names come from CLDR through Babel, so current English names ("Czechia", "Türkiye",
"North Macedonia") need no table of ours. The small alias table below holds only what CLDR does
not know: former official names, abbreviations and the misspellings met in real directories.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import unicodedata

from babel import Locale, UnknownLocaleError

log = logging.getLogger(__name__)

#: CLDR territory codes that are not countries of ISO 3166-1: regions, the EU and the UN,
#: "exceptionally reserved" codes (Ascension, Diego Garcia ...), private-use and unknown.
_NOT_ISO = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)

#: Names CLDR does not give, as directories write them. Keys are normalised (see normalise).
ALIASES: dict[str, str] = {
    # former official or long-form names
    "czech republic": "CZ",
    "irish republic": "IE",
    "republic of ireland": "IE",
    "libyan arab jamahiriya": "LY",
    "syrian arab republic": "SY",
    "syrian arab rep": "SY",
    "korea republic of": "KR",
    "republic of korea": "KR",
    "korea democratic people s republic of": "KP",
    "iran islamic republic of": "IR",
    "russian federation": "RU",
    "turkey": "TR",
    "viet nam": "VN",
    "macedonia": "MK",
    "swaziland": "SZ",
    "holland": "NL",
    "great britain": "GB",
    "united states of america": "US",
    "united kingdom of great britain and northern ireland": "GB",
    "moldova republic of": "MD",
    "tanzania united republic of": "TZ",
    "vatican": "VA",
    "holy see": "VA",
    "ivory coast": "CI",
    "zaire": "CD",
    "east timor": "TL",
    # official names where CLDR's short form differs ("Congo - Kinshasa", "Palestinian
    # Territories", "St. Vincent & Grenadines"); "&" and "St." are normalised, see normalise
    "democratic republic of the congo": "CD",
    "democratic republic of congo": "CD",
    "congo democratic republic of the": "CD",
    "congo democratic republic": "CD",
    "dr congo": "CD",
    "drc": "CD",
    "republic of the congo": "CG",
    "republic of congo": "CG",
    "congo republic of the": "CG",
    "congo republic": "CG",
    "congo": "CG",  # ISO 3166's short name of CG
    "palestine": "PS",
    "state of palestine": "PS",
    "palestine state of": "PS",
    "occupied palestinian territory": "PS",
    "saint vincent and the grenadines": "VC",
    "lao people s democratic republic": "LA",
    "brunei darussalam": "BN",
    "cabo verde": "CV",
    "united republic of tanzania": "TZ",
    "republic of moldova": "MD",
    "democratic people s republic of korea": "KP",
    "federated states of micronesia": "FM",
    "micronesia federated states of": "FM",
    "vatican city state": "VA",
    "kyrgyz republic": "KG",
    "slovak republic": "SK",
    # abbreviations
    "usa": "US",
    "u s a": "US",
    "uk": "GB",
    "uae": "AE",
    "prc": "CN",
    "brd": "DE",
    "frg": "DE",
    # misspellings seen in directories
    "marocco": "MA",
    "marokko": "MA",
}

#: Cities a directory spells in the local language or misspells, by their usual English name.
#: Used to compare cities ("residence in Riadh" is the embassy in Riyadh) and to build ids;
#: the directory's own spelling stays in its records.
CITY_ALIASES: dict[str, str] = {
    "riadh": "Riyadh",
    "roma": "Rome",
    "seul": "Seoul",
    "geneve": "Geneva",
    "genf": "Geneva",
    "washington d c": "Washington",
    "washington dc": "Washington",
    "praha": "Prague",
    "wien": "Vienna",
    "bruxelles": "Brussels",
    "warszawa": "Warsaw",
    "moskva": "Moscow",
    "kyiv": "Kiev",
}


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces, no leading 'the'; "&" is
    "and", "St"/"St." is "saint" ("St. Kitts & Nevis" = "Saint Kitts and Nevis")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = ["saint" if word == "st" else word for word in re.sub(r"[^\w]+|_", " ", plain).split()]
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _forms(name: str) -> list[str]:
    """The ways a CLDR name is written: itself, without its bracketed part and that part alone
    ("Myanmar (Burma)": Myanmar, Burma), without " SAR China" ("Hong Kong SAR China")."""
    forms = [name]
    bracket = re.search(r"\(([^()]*)\)", name)
    if bracket:
        forms += [name[: bracket.start()] + name[bracket.end() :], bracket.group(1)]
    if name.endswith(" SAR China"):
        forms += [name.removesuffix(" China"), name.removesuffix(" SAR China")]
    return forms


@functools.lru_cache(maxsize=8)
def _territories(locale: str) -> dict[str, str]:
    try:
        names = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError, TypeError):
        return {}
    return {
        code: str(name)
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_ISO
    }


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    territories = _territories("en")
    index = {normalise(name): code for code, name in territories.items()}
    for code, name in territories.items():
        for form in _forms(name)[1:]:
            index.setdefault(normalise(form), code)  # a country's own name wins
    index.update(ALIASES)
    return index


def iso_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code CLDR names."""
    return frozenset(_territories("en"))


def is_country(code: str) -> bool:
    return code in _territories("en")


def country_code(name: str) -> str | None:
    """The ISO code of a country name or code ("Irish Republic" -> IE, "nl" -> NL); None if
    the name is unknown."""
    text = name.strip()
    if len(text) == 2 and text.isascii() and text.upper() in _territories("en"):
        return text.upper()
    return _index().get(normalise(text))


def country_codes() -> frozenset[str]:
    """Every ISO 3166 country code CLDR names (not regions such as EU or 001, nor CLDR's own
    codes for places ISO does not list, such as IC for the Canary Islands): the countries
    routing and the importer accept."""
    return frozenset(_territories("en"))


def suggest(name: str) -> str | None:
    """The known country name closest to an unknown one, for "did you mean" hints."""
    names = {normalise(n): n for n in _territories("en").values()}
    close = difflib.get_close_matches(normalise(name), list(names), n=1, cutoff=0.7)
    return names[close[0]] if close else None


def country_name(code: str, locale: str = "en") -> str | None:
    """The CLDR name of a country in a language ("DE", "de" -> "Deutschland"); None if the code
    or the language is unknown."""
    names = _territories(locale.replace("-", "_"))
    return names.get(code.upper())


def canonical_city(city: str) -> str:
    """A city's usual English name for comparison and ids ("Riadh" -> "Riyadh"); unknown
    spellings come back unchanged apart from surrounding spaces."""
    text = city.strip()
    return CITY_ALIASES.get(normalise(text), text)


def same_city(a: str, b: str) -> bool:
    return normalise(canonical_city(a)) == normalise(canonical_city(b))
