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
    parts = (signer.name, signer.organisation, signer.city, country)
    return language_.isolate(", ".join(part for part in parts if part))


def make_joint(letter: Letter, language_: Language, signers: Sequence[Signer]) -> Letter:
    """The letter `letter` (composed for the campaign's sender) as the joint letter of
    `signers`: the signature speaks for the undersigned, and the list follows it."""
    count = format_decimal(len(signers), locale=language_.locale)
    return replace(
        letter,
        signer_slug=JOINT_SLUG,
        signature=(*letter.signature, language_.string("joint.on_behalf", count=count)),
        signatories_heading=language_.string("joint.heading", count=count),
        signatories=tuple(signatory_line(language_, signer) for signer in signers),
    )
