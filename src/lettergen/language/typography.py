"""Typography as a step of composition: the last thing done to every text of a letter.

Templates, strings and campaign texts are written with the keys of an ordinary keyboard:
straight quotes, plain spaces. A letter is read by someone who knows their language's
typography, so each language's own rules are applied here, once, to every text a letter
prints (the campaign's case and demands as well as the templates' own words):

- quotation marks: straight quotes become the language's own ("Viasna" → “Viasna”, „Viasna“,
  « Viasna »), and a straight apostrophe inside a word becomes the typographer's (’) where the
  language says so;
- spaces that must not break: French puts a non-breaking space before ; : ! ? » and after «
  (typed or not), every language keeps a courtesy title with its name ("M. Zhanusov") and the
  words of the sending state's name together ("Republik Kasachstan");
- telephone numbers in one international style per letter (see phones.display).

The rules are data in each language's strings.yaml (`typography:`), so a translator sets them
without Python; a language without them gets English quotes and no special spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from lettergen.directory.phones import find_numbers

#: The spaces a language may ask for, by the name strings.yaml uses.
SPACES = {"nbsp": "\u00a0", "narrow": "\u202f", "none": ""}
NBSP = "\u00a0"
NNBSP = "\u202f"
#: Any space a typist may have put where a non-breaking one belongs.
_ANY_SPACE = "[ \t\u00a0\u202f\u2009]"
#: Unicode's isolates, which right-to-left letters put around data (they are no text).
_ISOLATES = "\u2066\u2067\u2068\u2069"


@dataclass(frozen=True)
class Typography:
    """One language's typographic rules."""

    code: str
    quotes: tuple[str, str] = ("\u201c", "\u201d")
    inner_quotes: tuple[str, str] = ("\u2018", "\u2019")
    apostrophe: str = "'"
    #: (punctuation, the space that goes before it): French puts a narrow one before ; ! ?
    space_before: tuple[tuple[str, str], ...] = ()
    #: (punctuation, the space after it): French, after «
    space_after: tuple[tuple[str, str], ...] = ()
    #: courtesy titles kept with the name that follows ("Mr", "M.", "Herrn")
    titles: tuple[str, ...] = ()
    #: the comma that separates the fields of a list entry ("، " in Arabic)
    comma: str = ", "

    @classmethod
    def from_strings(cls, code: str, strings: Mapping[str, Any]) -> Typography:
        """The rules of a language from its strings.yaml (`typography:` and `name_titles`)."""
        rules = strings.get("typography") or {}
        if not isinstance(rules, Mapping):
            rules = {}
        quotes = [str(q) for q in rules.get("quotes") or ()]
        titles = strings.get("name_titles") or ()
        return cls(
            code=code,
            quotes=(quotes[0], quotes[1]) if len(quotes) >= 2 else cls.quotes,
            inner_quotes=(quotes[2], quotes[3]) if len(quotes) >= 4 else cls.inner_quotes,
            apostrophe=str(rules.get("apostrophe") or "'"),
            space_before=_spaces(rules.get("space_before")),
            space_after=_spaces(rules.get("space_after")),
            titles=tuple(str(t) for t in titles) if isinstance(titles, list) else (),
            comma=str(rules.get("comma") or ", "),
        )

    # --- the steps ------------------------------------------------------------------------

    def __call__(self, text: str, protected: Iterable[str] = ()) -> str:
        """Every rule applied to one text; `protected`: phrases (the state's names) whose
        words must stay on one line."""
        if not text:
            return text
        text = self.quote(text)
        text = self.space(text)
        text = self.bind_titles(text)
        for phrase in protected:
            text = bind_phrase(text, phrase)
        return text

    def quote(self, text: str) -> str:
        """Straight quotes → the language's; an apostrophe between letters → its own."""
        if '"' in text:
            text = _pair(text, '"', self.quotes)
        if "'" in text:
            if self.apostrophe != "'":
                text = re.sub(r"(?<=\w)'(?=\w)", self.apostrophe, text)
            text = _pair(text, "'", self.inner_quotes)
        return text

    def space(self, text: str) -> str:
        """The spaces the language wants before and after punctuation, whatever was typed."""
        for mark, space in self.space_before:
            if mark in text:
                # Only punctuation that ends a word or phrase: never inside "10:30" or a URL.
                ends = rf"(?=[\s{_ISOLATES}\"»”)\]]|$)"
                pattern = rf"(?<=[^\s{_ISOLATES}]){_ANY_SPACE}*({re.escape(mark)}){ends}"
                if mark in "»”":
                    pattern = rf"(?<=[^\s{_ISOLATES}]){_ANY_SPACE}*({re.escape(mark)})"
                text = re.sub(pattern, space.replace("\\", "\\\\") + r"\1", text)
        for mark, space in self.space_after:
            if mark in text:
                text = re.sub(
                    rf"({re.escape(mark)}){_ANY_SPACE}*(?=\S)",
                    r"\1" + space.replace("\\", "\\\\"),
                    text,
                )
        return text

    def bind_titles(self, text: str) -> str:
        """A non-breaking space after each courtesy title that stands before a name ("Mr
        Zhanusov", "M. Zhanusov"), so a line never ends between them."""
        if not self.titles:
            return text
        pattern = _titles_pattern(self.titles)
        # Only before a name (a capital, or a letter of a script without case, as Arabic's;
        # a name isolated in its direction counts too): "Monsieur le Consul" keeps its spaces.
        return pattern.sub(
            lambda m: m.group(1) + NBSP if not m.group(2).islower() else m.group(0), text
        )


def _spaces(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        return ()
    return tuple((str(k), SPACES.get(str(v), str(v))) for k, v in value.items())


def _pair(text: str, mark: str, quotes: tuple[str, str]) -> str:
    """Straight `mark`s as opening and closing quotes: opening at the start of a text or after
    a space or an opening bracket, closing elsewhere."""
    out = []
    for index, char in enumerate(text):
        if char != mark:
            out.append(char)
            continue
        before = text[index - 1] if index else " "
        opening = before.isspace() or before in "([{\u2014\u2013-/" + _ISOLATES + "«„“‘"
        out.append(quotes[0] if opening else quotes[1])
    return "".join(out)


def bind_phrase(text: str, phrase: str) -> str:
    """The spaces inside every occurrence of `phrase` made non-breaking (wherever the text broke
    its lines or typed a plain space)."""
    words = phrase.split()
    if len(words) < 2:
        return text
    pattern = _phrase_pattern(tuple(words))
    return pattern.sub(lambda m: NBSP.join(m.group(0).split()), text)


def protected_phrase(name: str) -> str:
    """The part of a state's name that must not break: without its leading article or
    preposition ("der Republik Kasachstan" → "Republik Kasachstan"; "the Republic of
    Kazakhstan" → "Republic of Kazakhstan"). Scripts without case keep every word."""
    words = name.split()
    while len(words) > 1 and words[0][:1].islower():
        words.pop(0)
    return " ".join(words)


@cache
def _phrase_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")


@cache
def _titles_pattern(titles: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?:[ \t]+|[ \t]*\n[ \t]*)(?=\u2068?(\w))")


# --- telephone numbers -------------------------------------------------------------------------


def phone(e164: str, written: Mapping[str, str] | None = None) -> str:
    """A number in the one international style of every letter: "+49 30 47007125",
    "+1 212 230 1172" — phonenumbers' international groups, always separated by spaces (its
    own format puts hyphens in some countries' numbers). A number today's numbering plan no
    longer knows (Moscow's old 095) is grouped as the directory's source wrote it (`written`:
    E.164 → "+7 095 208 26 50"), else in groups of three or four digits after the calling
    code; never one run of digits. Text that is no number stays as it is."""
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberFormat

    try:
        parsed = phonenumbers.parse(e164)
    except NumberParseException:
        return e164
    if phonenumbers.is_valid_number(parsed):
        shown = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
        return " ".join(re.sub(r"[-.()]", " ", shown).split())
    if written and e164 in written:
        return written[e164]
    national = phonenumbers.national_significant_number(parsed)
    return f"+{parsed.country_code} " + " ".join(_groups(national))


def _groups(digits: str) -> list[str]:
    """Digits in groups of three, the last of two to four ("12 906 249" style is unknowable
    without the source, so the split is plain)."""
    groups = []
    while len(digits) > 4:
        groups.append(digits[:3])
        digits = digits[3:]
    return [*groups, digits] if digits else groups


def written_groups(text: str) -> dict[str, str]:
    """E.164 → the number grouped as a directory text writes it ("tel: (7095)-927-18-12,
    fax: 208-26-50" → "+7 095 927 18 12", "+7 095 208 26 50"): the area code of its prefix,
    then the local digits in the groups written."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        for number, shown, _ in find_numbers(line):
            if number is None:
                continue
            local = shown.rsplit(")", 1)[-1]
            groups = [g for g in re.split(r"[^0-9]+", local) if g]
            if "".join(groups) != number.local:
                continue
            found.setdefault(
                number.e164,
                " ".join(filter(None, [f"+{number.calling_code}", number.area, *groups])),
            )
    return found
