"""The codes `lettergen lang check` reports, and the language translations are made from."""

from __future__ import annotations

from lettergen.findings import ERROR, NOTE, WARNING, Codes
from lettergen.language.languages import BODY_TEMPLATE, STRINGS

#: The language every translation is made from and compared with.
SOURCE = "en"
FILES = (STRINGS, BODY_TEMPLATE)

#: The codes the spelling check adds (lettergen.lang.spelling; letter_templates/README.md).
SPELLING = Codes(
    {
        "glued-line": (
            ERROR,
            "a {% … %} tag ends a line of text without '+%}': the line break after it vanishes",
        ),
        "glued-word": (ERROR, "a trial letter holds two words run together"),
        "unknown-word": (WARNING, "a word of a trial letter is not in the language's dictionary"),
        "english-word": (WARNING, "a word of a non-English trial letter stayed English"),
        "no-dictionary": (NOTE, "no hunspell dictionary for the language: spelling not checked"),
    }
)

#: Every code `check` reports, with its severity and meaning (letter_templates/README.md).
CODES = Codes(
    {
        "unreadable": (ERROR, "strings.yaml or letter.md.j2 cannot be read or parsed"),
        "missing-key": (ERROR, "a string English has is missing"),
        "state-names-missing": (
            WARNING,
            "a sending state's names (states.XX) are missing: its letters use CLDR's country "
            "name in every form",
        ),
        "wrong-type": (
            ERROR,
            "a string is another kind of value than English's (a list, a text, empty)",
        ),
        "unknown-field": (ERROR, "a {{ field }} no letter provides at that place"),
        "missing-field": (WARNING, "a {{ field }} English uses at that place is not used"),
        "placeholder": (
            ERROR,
            "a {page}-style placeholder of English's text is missing, or an unknown one is used",
        ),
        "country-code": (ERROR, "a key under countries or countries_in is not an ISO 3166 code"),
        "untranslated": (WARNING, "a text is still the English one"),
        "no-source-hash": (
            WARNING,
            "the translation does not record which English text it follows",
        ),
        "outdated": (WARNING, "the English text changed after the translation was made"),
        "cannot-compose": (ERROR, "a trial letter in this language could not be made"),
        "cover-preposition": (
            ERROR,
            "a cover sheet's label is followed by a preposition of its own (label doubled)",
        ),
        "protected-break": (
            ERROR,
            "a line may break inside a protected phrase (a title and its name, the state's name)",
        ),
        "guillemet-space": (ERROR, "a guillemet without the non-breaking space its language wants"),
        "phone-styles": (ERROR, "telephone numbers of one letter written in different styles"),
        "arabic-seated-mark": (
            ERROR,
            "a vowel mark on an alef with hamza: the PDF's text layer loses the letter's alefs",
        ),
        "country-form": (ERROR, "no 'in <country>' form for a country a letter may be about"),
        "campaign-text": (NOTE, "a campaign has no subject, case or demands in this language"),
        "campaign-text-required": (
            ERROR,
            "a campaign named with --campaign lacks texts in this language",
        ),
        "demands-count": (
            WARNING,
            "a campaign's demands in this language differ in number from its default language's",
        ),
        "campaign-unreadable": (ERROR, "a campaign file cannot be loaded"),
        "variants-syntax": (
            ERROR,
            "a '%% name' / '%% or' / '%% end' line of the phrasing variants is out of place",
        ),
        "variants-fewer": (
            WARNING,
            "a group of phrasing variants has fewer wordings than English's (or the campaign's "
            "default language's): its letters vary less",
        ),
        "variants-unknown": (
            WARNING,
            "a group of phrasing variants English does not have (a misspelt name?)",
        ),
        **SPELLING,
    }
)
