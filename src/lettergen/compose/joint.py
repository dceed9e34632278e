"""Joint letters: one letter to an office signed by every signer of a file.

A group that collected 800 names can send each office 800 faxes, one per supporter, or one
fax that lists them all. The joint letter is the second: the campaign's letter, signed by its
sender on behalf of the undersigned, followed by the signatories — name, organisation, town —
in a numbered list that a fax keeps legible (columns once it is long). Its words come from the
language's strings (`joint:`), like every other word of a letter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from babel import Locale
from babel.numbers import format_decimal

from lettergen.campaign.signers import Signer
from lettergen.compose.composer import typeset
from lettergen.compose.letter import Letter
from lettergen.language.languages import Language

#: The signer slug of a joint letter: its files are <office-id>--joint.<format>.
JOINT_SLUG = "joint"


def signatory_line(language_: Language, signer: Signer) -> str:
    """'Maria Lopez, Union A, Madrid': what the list prints for one signatory."""
    # A country given as an ISO code gets CLDR's name in the letter's language (a list wants
    # "United Kingdom", not the prose's "the United Kingdom"); a name stays as typed.
    code = signer.country.strip()
    if re.fullmatch(r"[A-Z]{2}", code):
        code = Locale.parse(language_.locale).territories.get(code, code)
    country = code
    city = language_.city_name(signer.city) if signer.city else ""
    # Each field in its own direction, joined by the language's comma ("، " in Arabic).
    return language_.join((signer.name, signer.organisation, city, country))


def count_text(language_: Language, count: int) -> str:
    """A count as the letter's prose writes it: small numbers in words (`joint.count_words`
    of strings.yaml, from one up), larger ones in figures as the language groups them."""
    words = language_.raw("joint.count_words") if language_.has("joint.count_words") else None
    if isinstance(words, list) and 0 < count <= len(words):
        return str(words[count - 1])
    return format_decimal(count, locale=language_.locale)


def make_joint(letter: Letter, language_: Language, signers: Sequence[Signer]) -> Letter:
    """The letter `letter` (composed for the campaign's sender with `signatories=len(signers)`,
    so that it says "we") as the joint letter of `signers`: the signature speaks for the
    undersigned, and the list follows it. The list's heading counts in figures."""
    figures = format_decimal(len(signers), locale=language_.locale)
    joint = replace(
        letter,
        signer_slug=JOINT_SLUG,
        signature=(
            *letter.signature,
            language_.string("joint.on_behalf", count=count_text(language_, len(signers))),
        ),
        signatories_heading=language_.string("joint.heading", count=figures),
        signatories=tuple(signatory_line(language_, signer) for signer in signers),
    )
    return typeset(joint, language_)
