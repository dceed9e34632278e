"""compose.fields is what compose_letter() (the joint letter, the e-mail covering message)
really pass to each text, so `lang check` can rely on it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from lettergen.campaign.signers import Signer
from lettergen.compose.composer import TEXT_FIELDS, Recipient, compose_letter, fields
from lettergen.compose.joint import make_joint
from lettergen.language import languages as i18n
from lettergen.language.languages import BODY_TEMPLATE
from lettergen.send.transports import Job
from lettergen.send.transports.office_email import OfficeEmail


def test_compose_passes_each_text_exactly_its_declared_fields(
    campaign: Any, directory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, set[frozenset[str]]] = {}
    render_string, render_body = i18n.Language.render_string, i18n.Language.render_body

    def spy_string(self: i18n.Language, source: str, key: str, **context: Any) -> str:
        seen.setdefault(re.sub(r"\[\d+\]$", "", key), set()).add(frozenset(context))
        return render_string(self, source, key, **context)

    def spy_body(self: i18n.Language, **context: Any) -> str:
        seen.setdefault(BODY_TEMPLATE, set()).add(frozenset(context))
        return render_body(self, **context)

    monkeypatch.setattr(i18n.Language, "render_string", spy_string)
    monkeypatch.setattr(i18n.Language, "render_body", spy_body)
    i18n.clear_caches()
    offices = list(directory)
    kinds = {office.kind for office in offices}
    try:
        for lang in ("en", "de", "fr"):
            for office in offices:
                if office.kind == "non-resident":
                    continue
                recipient = Recipient(office, office.country)
                compose_letter(campaign, recipient, lang=lang, state="KZ", cover=True)
                # A letter for post (no fax) is headed differently.
                postal = dataclasses.replace(office, faxes=())
                compose_letter(campaign, Recipient(postal, office.country), lang=lang, state="KZ")
                for country in office.accredited_to[:1]:
                    compose_letter(campaign, Recipient(office, country), lang=lang, state="KZ")
            # A joint letter: the joint.* strings (lettergen.compose.joint) take the same table.
            resident = next(o for o in offices if o.kind != "non-resident")
            letter = compose_letter(
                campaign, Recipient(resident, resident.country), lang=lang, state="KZ"
            )
            make_joint(
                letter, i18n.load_language(lang), [Signer("A. Supporter"), Signer("B. Other")]
            )
            # The covering message of a letter e-mailed to an office: the email.* strings.
            pdf = tmp_path / "letter.pdf"
            pdf.write_bytes(b"%PDF-1.4\n")
            mailer = OfficeEmail({"from": "group@example.org", "host": "127.0.0.1"})
            mailer.message(
                Job("t", "", pdf, pages=1, channel="email", to="mission@example.org", language=lang)
            )
            # A supporter's letter under her own letterhead: the reply line (labels.replies).
            compose_letter(
                campaign,
                Recipient(resident, resident.country),
                lang=lang,
                state="KZ",
                signer=Signer("A. Supporter", city="Leeds"),
            )
    finally:
        i18n.clear_caches()
    assert len(kinds) > 3
    for key, calls in seen.items():
        for passed in calls:
            assert passed == fields(key), key
    # Every entry of the table is one compose really uses (none is stale).
    for key in TEXT_FIELDS:
        assert any(k == key or (key.endswith(".") and k.startswith(key)) for k in seen), key
