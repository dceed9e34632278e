"""A mission's name as a list writes it -> the kind of office, the sending state and the city.

Foreign ministries' lists often put everything in one cell: "Consulate General of Russia in
Busan", "Embassy of the Republic of Kazakhstan", "Ambassade de la République du Kazakhstan",
"Generalkonsulat der Russischen Föderation in Busan", "Consulado General de Rusia en Busan",
"Генеральное консульство Российской Федерации в Пусане". A name is read with patterns such as
`{kind} {state} in {city}`: the mapping's own first, then the ones below (English, French,
German, Spanish, Russian). A pattern counts only if its kind is a known word for a kind of
office and its state a known name of a state: "Permanent Mission of Kazakhstan to the United
Nations Office in Geneva" is not read as a state called "of Kazakhstan to the United Nations
Office", because no state has that name, and the next pattern is tried.

State names are CLDR's (through Babel) in the five languages, with the forms they take after
"of" in German and Russian (der Russischen Föderation, Республики Казахстан) made by a few
ending rules, and official long forms (the Republic of …, Königreich …, Федеративной
Республики …) read by leaving out the form of state. A name these do not cover is added in the
mapping (`states:`), as are patterns (`names:`) and words for kinds (`kinds:`).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lettergen.directory import countries
from lettergen.directory.countries import normalise

#: Words for a kind of office, as names and kind columns write them, in the five languages.
KIND_WORDS: dict[str, str] = {
    # English
    "embassy": "embassy",
    "high commission": "embassy",
    "apostolic nunciature": "embassy",
    "consulate general": "consulate-general",
    "consulate-general": "consulate-general",
    "honorary consulate general": "consulate",
    "consulate": "consulate",
    "honorary consulate": "consulate",
    "consular office": "consulate",
    "permanent mission": "permanent-mission",
    "permanent delegation": "permanent-mission",
    "permanent observer mission": "permanent-mission",
    "mission": "mission",
    "representative office": "mission",
    "representation": "mission",
    "visa office": "visa-office",
    "visa section": "visa-office",
    # French
    "ambassade": "embassy",
    "haut-commissariat": "embassy",
    "nonciature apostolique": "embassy",
    "consulat général": "consulate-general",
    "consulat": "consulate",
    "consulat honoraire": "consulate",
    "mission permanente": "permanent-mission",
    "délégation permanente": "permanent-mission",
    "représentation permanente": "permanent-mission",
    "représentation": "mission",
    # German
    "botschaft": "embassy",
    "hochkommissariat": "embassy",
    "apostolische nuntiatur": "embassy",
    "generalkonsulat": "consulate-general",
    "konsulat": "consulate",
    "honorarkonsulat": "consulate",
    "ständige vertretung": "permanent-mission",
    "ständige mission": "permanent-mission",
    "vertretung": "mission",
    "visastelle": "visa-office",
    # Spanish
    "embajada": "embassy",
    "alto comisionado": "embassy",
    "nunciatura apostólica": "embassy",
    "consulado general": "consulate-general",
    "consulado": "consulate",
    "consulado honorario": "consulate",
    "misión permanente": "permanent-mission",
    "representación permanente": "permanent-mission",
    "misión": "mission",
    "representación": "mission",
    # Russian
    "посольство": "embassy",
    "генеральное консульство": "consulate-general",
    "генконсульство": "consulate-general",
    "консульство": "consulate",
    "почетное консульство": "consulate",
    "почётное консульство": "consulate",
    "постоянное представительство": "permanent-mission",
    "постоянная миссия": "permanent-mission",
    "представительство": "mission",
    "миссия": "mission",
}

#: How names are built, tried after the mapping's own: {kind}, {state}, {city} and
#: {organisation} stand for parts of the name; "of", "de la", "der" before a state are read
#: as part of it. More specific patterns first.
PATTERNS: tuple[str, ...] = (
    "{kind} {state} to {organisation}",  # Permanent Mission of X to the United Nations
    "{kind} {state} auprès {organisation}",  # Mission permanente de X auprès de l'ONU
    "{kind} {state} bei {organisation}",  # Ständige Vertretung X bei den Vereinten Nationen
    "{kind} {state} ante {organisation}",  # Misión Permanente de X ante las Naciones Unidas
    "{kind} {state} при {organisation}",  # Постоянное представительство X при ООН
    "{kind} {state} in {city}",  # English, German
    "{kind} {state} at {city}",
    "{kind} {state} à {city}",  # French
    "{kind} {state} en {city}",  # Spanish
    "{kind} {state} в {city}",  # Russian (the city as written, in the locative)
    "{kind} {state}, {city}",
    "{kind} {state} ({city})",
    "{kind} {state}",
    "{state} - {kind} in {city}",
    "{state}, {kind} in {city}",
    "{state} - {kind}",
    "{state}, {kind}",
)

PLACEHOLDERS = ("kind", "state", "city", "organisation")

#: Words a state's name may follow: "of the", "de la", "d'", "der", "von", "del".
_BEFORE_NAME = frozenset(
    re.findall(r"\S+", "of the de du des d la le l les der dem den die das von vom del el los las")
)
#: Forms of state that official names start with ("the Republic of", "Königreich",
#: "Федеративной Республики"), normalised (no accents, lower case).
_FORMS_OF_STATE = frozenset(
    re.findall(
        r"\S+",
        """republic kingdom state principality duchy sultanate emirate commonwealth union
    republique royaume principaute duche etat sultanat emirat federation confederation
    republik bundesrepublik konigreich konigreichs konigreiches furstentum furstentums
    grossherzogtum grossherzogtums staat staates sultanats emirats
    republica reino principado ducado estado sultanato emirato federacion confederacion
    республика республики королевство королевства княжество княжества государство
    государства султанат султаната эмират эмирата""",
    )
)

#: Official long names CLDR does not give, by language (normalised keys); the forms after
#: "of" are made from these too.
LONG_NAMES: dict[str, str] = {
    "swiss confederation": "CH",
    "argentine republic": "AR",
    "french republic": "FR",
    "italian republic": "IT",
    "hellenic republic": "GR",
    "portuguese republic": "PT",
    "lebanese republic": "LB",
    "tunisian republic": "TN",
    "togolese republic": "TG",
    "gabonese republic": "GA",
    "oriental republic of uruguay": "UY",
    "united mexican states": "MX",
    "republic of korea": "KR",
    "korea": "KR",
    # French
    "etats unis d amerique": "US",
    "coree": "KR",
    "republique de coree": "KR",
    "royaume uni de grande bretagne et d irlande du nord": "GB",
    "federation de russie": "RU",
    # German
    "russische foderation": "RU",
    "vereinigte staaten von amerika": "US",
    "vereinigtes konigreich grossbritannien und nordirland": "GB",
    "republik korea": "KR",
    "kirgisische republik": "KG",
    "slowakische republik": "SK",
    "tschechische republik": "CZ",
    "arabische republik agypten": "EG",
    "volksrepublik china": "CN",
    # Spanish
    "estados unidos de america": "US",
    "corea": "KR",
    "federacion de rusia": "RU",
    "reino unido de gran bretana e irlanda del norte": "GB",
    # Russian
    "российская федерация": "RU",
    "соединенные штаты америки": "US",
    "соединенное королевство": "GB",
    "соединенное королевство великобритании и северной ирландии": "GB",
    "корея": "KR",
    "кндр": "KP",
    "китайская народная республика": "CN",
}

#: International organisations as names write them, by lettergen's code (normalised keys).
ORGANISATION_NAMES: dict[str, str] = {
    "united nations": "UN",
    "united nations organization": "UN",
    "united nations organisation": "UN",
    "un": "UN",
    "organisation des nations unies": "UN",
    "onu": "UN",
    "nations unies": "UN",
    "vereinten nationen": "UN",
    "vereinte nationen": "UN",
    "naciones unidas": "UN",
    "organizacion de las naciones unidas": "UN",
    "оон": "UN",
    "организации объединенных наций": "UN",
    "united nations office at geneva": "UNOG",
    "united nations office and other international organizations in geneva": "UNOG",
    "united nations office and other international organisations in geneva": "UNOG",
    "office des nations unies a geneve": "UNOG",
    "office des nations unies et des autres organisations internationales a geneve": "UNOG",
    "buro der vereinten nationen in genf": "UNOG",
    "oficina de las naciones unidas en ginebra": "UNOG",
    "отделении оон в женеве": "UNOG",
    "unesco": "UNESCO",
    "united nations educational scientific and cultural organization": "UNESCO",
    "united nations office at vienna": "UNOV",
    "united nations office and other international organizations in vienna": "UNOV",
    "buro der vereinten nationen in wien": "UNOV",
    "vereinten nationen in wien": "UNOV",
    "united nations in vienna": "UNOV",
    "vereinten nationen in genf": "UNOG",
    "united nations in geneva": "UNOG",
}


@dataclass(frozen=True)
class Name:
    """What a name cell says: a kind of KINDS, the sending state's ISO code, the city and
    the organisation as the name gives them ("" where it gives none)."""

    kind: str
    state: str
    city: str = ""
    organisation: str = ""


def _pattern_regex(pattern: str, kinds: Iterable[str]) -> re.Pattern[str]:
    """A pattern as a regular expression: {kind} one of the kind words, another placeholder
    any text; spaces match any spaces, and none are needed beside punctuation."""
    words = sorted({k for k in kinds if k}, key=len, reverse=True)
    kind = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = ""
    for index, part in enumerate(parts):
        if index % 2:  # a placeholder
            regex += f"(?P<kind>{kind})" if part == "kind" else f"(?P<{part}>.+?)"
            continue
        literal = part.strip()
        if not literal:
            regex += r"\s+" if part and 0 < index < len(parts) - 1 else ""
            continue
        if part[0].isspace():
            regex += r"\s+" if literal[0].isalnum() else r"\s*"
        regex += r"\s+".join(re.escape(word) for word in literal.split())
        if part[-1].isspace():
            regex += r"\s+" if literal[-1].isalnum() else r"\s*"
    return re.compile(regex, re.IGNORECASE)


def check_pattern(pattern: str) -> str | None:
    """What is wrong with a pattern of a mapping, or None."""
    found = re.findall(r"\{(\w*)\}", pattern)
    unknown = [p for p in found if p not in PLACEHOLDERS]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}} (known: {', '.join(PLACEHOLDERS)})"
    if "kind" not in found or "state" not in found:
        return "a pattern needs {kind} and {state}"
    if len(found) != len(set(found)):
        return "a placeholder appears twice"
    return None


# --- state names ------------------------------------------------------------------------------


def _ru_forms(word: str) -> set[str]:
    """A Russian word (normalised: й read as и, ё as е) and its forms after "of"."""
    forms = {word}
    rules = (
        ("ия", ["ии"]),
        ("ея", ["еи"]),
        ("ая", ["ои", "еи"]),
        ("яя", ["еи"]),
        ("ое", ["ого"]),
        ("ее", ["его"]),
        ("ыи", ["ого"]),
        ("ии", ["ого", "его"]),
        ("ои", ["ого"]),
        ("ые", ["ых"]),
        ("ие", ["их"]),
        ("аи", ["ая"]),
        ("еи", ["ея"]),
        ("ы", ["ов", ""]),
        ("а", ["ы", "и"]),
        ("я", ["и"]),
        ("ь", ["и", "я"]),
    )
    for ending, replacements in rules:
        if word.endswith(ending):
            forms |= {word[: -len(ending)] + r for r in replacements}
            return forms
    if word[-1:] not in "оеуюиэ":
        forms.add(word + "а")
    return forms


def _de_forms(word: str) -> set[str]:
    """A German word and its forms after "der"/"des": Russische Föderation -> der Russischen
    Föderation, Vereinigtes Königreich -> des Vereinigten Königreichs."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("e"):
        forms.add(word + "n")
    if word.endswith("es"):
        forms.add(word[:-2] + "en")
    return forms


def _inflected(name: str, forms: dict[str, set[str]]) -> set[str]:
    """Every combination of the words' forms (a name after "of" may inflect some words and
    not others: Республики Казахстан)."""
    words = name.split()
    if not words or len(words) > 5:
        return {name}
    options = [sorted(forms.setdefault(w, set())) for w in words]
    return {" ".join(choice) for choice in itertools.product(*options)}


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Normalised state names in the five languages, with their forms after "of"."""
    index: dict[str, str] = {}
    for locale in ("en", "fr", "de", "es", "ru"):
        territories = countries._territories(locale)
        names = {normalise(form): code for code, name in territories.items() for form in [name]}
        for code, name in territories.items():
            for form in countries._forms(name)[1:]:
                names.setdefault(normalise(form), code)
        if locale in ("de", "ru"):
            rule = _de_forms if locale == "de" else _ru_forms
            extra = {k: v for k, v in _long_names().items() if _script(k) == _script_of(locale)}
            cache: dict[str, set[str]] = {}
            for name, code in [*names.items(), *extra.items()]:
                for word in name.split():
                    if word not in cache:
                        cache[word] = rule(word)
                for form in _inflected(name, cache):
                    index.setdefault(form, code)
        for name, code in names.items():
            index.setdefault(name, code)
    for name, code in _long_names().items():
        index.setdefault(name, code)
    return index


@functools.lru_cache(maxsize=1)
def _long_names() -> dict[str, str]:
    return {normalise(name): code for name, code in LONG_NAMES.items()}


@functools.lru_cache(maxsize=1)
def _organisation_names() -> dict[str, str]:
    return {normalise(name): code for name, code in ORGANISATION_NAMES.items()}


def _script(text: str) -> str:
    return "cyrillic" if re.search("[а-я]", text) else "latin"


def _script_of(locale: str) -> str:
    return "cyrillic" if locale == "ru" else "latin"


def _shorter(words: list[str]) -> Iterable[list[str]]:
    """The name with what may stand before it left out, step by step: "of the Republic of
    Kazakhstan", "the Republic of Kazakhstan", "Republic of Kazakhstan", "Kazakhstan"."""
    while words:
        yield words
        if words[0] in _BEFORE_NAME:
            words = words[1:]
            continue
        form = next((i for i, w in enumerate(words[:4]) if w in _FORMS_OF_STATE), None)
        if form is None or form + 1 >= len(words):
            return
        if any(w in _BEFORE_NAME for w in words[:form]):
            return  # "Embassy of the Republic of …" is a mission's name, not a state's
        words = words[form + 1 :]


def state_code(name: str, states: Mapping[str, str] | None = None) -> str | None:
    """The ISO code of the state a name (as it follows a kind of office) means, or None:
    "of the Republic of Kazakhstan" -> KZ, "der Russischen Föderation" -> RU, "Республики
    Казахстан" -> KZ. `states` (normalised name -> code) comes first: the mapping's."""
    own = states or {}
    for words in _shorter(normalise(name).split()):
        text = " ".join(words)
        code = own.get(text) or countries.country_code(text) or _names().get(text)
        if code:
            return code
    return None


def organisation_code(name: str) -> str:
    """lettergen's code of an organisation ("the United Nations" -> UN); the name as written
    when it is none of them."""
    for words in _shorter(normalise(name).split()):
        code = _organisation_names().get(" ".join(words))
        if code:
            return code
    return name.strip()


def kind_of(word: str, kinds: Mapping[str, str]) -> str | None:
    """The kind a word names: the mapping's words first, then lettergen's; a cell holding
    more than the word ("Consulate General (honorary)") by the longest word found in it."""
    text = " ".join(word.lower().split())
    for table in (kinds, KIND_WORDS):
        if text in table:
            return table[text]
    for table in (kinds, KIND_WORDS):
        for listed in sorted(table, key=len, reverse=True):
            if re.search(rf"(?<!\w){re.escape(listed)}(?!\w)", text):
                return table[listed]
    return None


def read_name(
    cell: str,
    patterns: Iterable[str] = (),
    kinds: Mapping[str, str] | None = None,
    states: Mapping[str, str] | None = None,
    state: str | None = None,
) -> Name | None:
    """What a name cell says, by the first pattern (the mapping's, then lettergen's) whose kind
    and state are known; None if no pattern reads it. A list that names the state in a column
    of its own gives it as `state`: a name whose state part is not known is then that state's."""
    own = {k.lower(): v for k, v in (kinds or {}).items()}
    words = list(own) + list(KIND_WORDS)
    text = " ".join(cell.split())
    for pattern in (*patterns, *PATTERNS):
        match = _regex(pattern, tuple(words)).fullmatch(text)
        if not match:
            continue
        parts = match.groupdict()
        kind = kind_of(parts["kind"], own)
        code = state_code(parts["state"], states) or state
        if kind is None or code is None:
            continue
        city = (parts.get("city") or "").strip()
        organisation = parts.get("organisation") or ""
        return Name(kind, code, city, organisation_code(organisation) if organisation else "")
    return None


@functools.lru_cache(maxsize=64)
def _regex(pattern: str, words: tuple[str, ...]) -> re.Pattern[str]:
    return _pattern_regex(pattern, words)
