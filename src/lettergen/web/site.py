"""What the page serves, loaded once per process: the campaign, its directory, its languages.

Everything here calls the library — routing picks the office, compose words the letter, the
writers make the files — so the page's letter is the letter `lettergen render` makes for the
same office and signer. Composing and rendering are per supporter; nothing about a supporter
is kept.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.batch.plan import directory_for
from lettergen.campaign import Campaign, check_sender
from lettergen.campaign import load as load_campaign
from lettergen.campaign.signers import Signer
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter
from lettergen.directory import phones
from lettergen.directory.countries import country_codes, country_name
from lettergen.directory.model import Directory, Office
from lettergen.directory.routing import Route, route
from lettergen.errors import DataError
from lettergen.language import languages as i18n
from lettergen.render.docx import render_docx
from lettergen.render.stamp import (
    BLEED_PT,
    CACHE_SIZE,
    PT_PER_PX,
    StampCache,
    layout_key,
    stamped_pdf,
)
from lettergen.render.tiff import pdf_to_tiff
from lettergen.util.lru import LRU

if TYPE_CHECKING:
    from lettergen.render.stamp import OfficeLayout, StampCache

log = logging.getLogger(__name__)

#: The preview's width in pixels: an A4 page at 96 dpi, the width of the page's column.
PREVIEW_WIDTH = 794
#: Preview tiles kept per worker (PNG, 40–70 kB each, so at most about 15 MB): the office's
#: part of every page, one or two per office layout, as many as the layouts kept.
PREVIEW_TILES = 256


@dataclass(frozen=True)
class Choice:
    """The office a letter goes to, and how it was found (a Route), if through a country."""

    recipient: Recipient
    route: Route | None = None

    @property
    def office(self) -> Office:
        return self.recipient.office

    @property
    def fax_international(self) -> str:
        fax = self.recipient.fax_number
        return phones.international(fax) if fax else ""

    @property
    def fax_national(self) -> str:
        fax = self.recipient.fax_number
        return phones.national(fax) if fax else ""


class Site:
    """A campaign as served: loaded and checked when the server starts, then read-only."""

    def __init__(
        self,
        campaign: str | Path,
        directory: Path | None = None,
        templates: Path | None = None,
    ):

        self.campaign: Campaign = load_campaign(campaign)
        check_sender(self.campaign.sender, self.campaign)
        self.directory: Directory = directory_for(self.campaign, directory)
        self.templates = templates
        usable = i18n.usable(templates)
        languages = [code for code in self.campaign.languages if code in usable]
        if not languages:
            raise DataError(
                "the campaign has no language with letter templates",
                self.campaign.place("subject"),
            )
        default = self.campaign.default_language
        #: The campaign's languages with templates, its default first.
        self.languages = sorted(languages, key=lambda code: (code != default, code))
        #: Offices a supporter may pick from the list: every resident office, by country.
        self.offices = sorted(
            self.directory.resident_offices, key=lambda o: (o.country, o.city, o.id)
        )
        self._by_id = {office.id: office for office in self.offices}
        self._countries: dict[str, list[tuple[str, str]]] = {}
        # Made in the worker on first use: WeasyPrint state is never shared across a fork.
        self._stamps: StampCache | None = None
        #: Preview tiles drawn from office layouts (PNG), at most PREVIEW_TILES of them.
        self._tiles: LRU[tuple[object, ...], bytes] = LRU(PREVIEW_TILES)
        self._office_choices: dict[str, list[tuple[str, str]]] = {}

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def language(self, code: str) -> i18n.Language:
        return i18n.load_language(code, self.templates)

    @cached_property
    def country_codes(self) -> frozenset[str]:
        """Every country a supporter may say they write from: those routing knows (ISO 3166
        codes with a CLDR name), so every choice in the list finds its office or says why."""

        return country_codes()

    def countries(self, lang: str) -> list[tuple[str, str]]:
        """(code, name in `lang`), sorted by name as people of that language read them; worked
        out once per language."""
        if lang not in self._countries:
            locale = self.language(lang).locale
            names = [(code, country_name(code, locale) or code) for code in self.country_codes]
            self._countries[lang] = sorted(names, key=lambda item: (item[1].casefold(), item[0]))
        return self._countries[lang]

    def office_choices(
        self, lang: str, label: Callable[[Site, str, str], str]
    ) -> list[tuple[str, str]]:
        """(office id, label in `lang`) for the list of offices; worked out once per language."""
        if lang not in self._office_choices:
            self._office_choices[lang] = [(o.id, label(self, lang, o.id)) for o in self.offices]
        return self._office_choices[lang]

    def routes(self, country: str) -> list[Route]:
        """The offices handling a country, best first (the directory's routing)."""
        return [r for r in route(self.directory, country) if r.office.resident]

    @property
    def office_ids(self) -> frozenset[str]:
        return frozenset(self._by_id)

    def has_office(self, office_id: str) -> bool:
        return office_id in self._by_id

    def office(self, office_id: str) -> Office:
        return self._by_id[office_id]

    def choose(self, country: str, office_id: str) -> Choice | None:
        """The office picked from the list, else the first routing finds for the country."""
        if office_id:
            office = self.office(office_id)
            return Choice(Recipient(office, office.country))
        found = self.routes(country) if country else []
        if not found:
            return None
        first = found[0]
        return Choice(Recipient(first.office, first.country), first)

    def compose(self, choice: Choice, signer: Signer, lang: str) -> Letter:
        return compose_letter(
            self.campaign,
            choice.recipient,
            lang=lang,
            state=self.directory.state,
            signer=signer,
            templates=self.templates,
        )

    def pdf(self, letter: Letter) -> bytes:
        """The letter's PDF through the stamped path: the office's letter is laid out once per
        worker (kept in a bounded cache), each supporter's signature stamped in.
        A signer whose parts do not fit the reserved boxes gets a letter laid out in full."""

        if self._stamps is None:
            # Office layouts only: a supporter's signature is set for their request and not
            # kept (parts=0), so the worker's memory holds no supporter's name either.
            self._stamps = StampCache(parts=0)
        return stamped_pdf(letter, self.templates, cache=self._stamps)

    def docx(self, letter: Letter) -> bytes:

        return render_docx(letter, self.templates).data

    @staticmethod
    def tiff(pdf: bytes) -> bytes:

        return pdf_to_tiff(pdf).data

    def preview(self, letter: Letter, pdf: bytes, width: int = PREVIEW_WIDTH) -> list[list[bytes]]:
        """Each page of the letter as PNG tiles `width` pixels wide (96 dpi on A4), stacked
        top to bottom: the supporter sees the whole letter, their signature included.

        Encoding a page as PNG costs several times the letter itself, and all of a stamped
        letter but its signature is the office's: those parts are drawn from the office's
        layout once and kept (`_office_tiles`), and only the strip from the signature down
        is drawn and encoded for each supporter. A letter laid out in full is drawn whole."""

        layout = self._stamps.layouts.get(layout_key(letter)) if self._stamps else None
        if layout is None or b"/LettergenSignature" not in pdf:
            return [[png] for png in _png_pages(pdf, width)]
        kept, row = self._office_tiles(layout, width)
        page = layout.boxes["signature"].page
        mine = _png_pages(pdf, width, pages=[page], rows=(row, None))[0]
        return [[*tiles, mine] if index == page else tiles for index, tiles in enumerate(kept)]

    def _office_tiles(self, layout: OfficeLayout, width: int) -> tuple[list[list[bytes]], int]:
        """The office's part of each page as PNG, made once and kept: every page but the
        signature's whole, and the signature's page down to the pixel row above the
        signature's box and its bleed (returned with the tiles)."""

        box = layout.boxes["signature"]
        row = max(1, int((box.y * PT_PER_PX - BLEED_PT - 1) * _scale(layout.data, box.page, width)))
        tiles = []
        for index in range(layout.pages):
            key = (layout.key, index, width)
            tile = self._tiles.get(key)
            if tile is None:
                rows = (0, row) if index == box.page else None
                tile = _png_pages(layout.data, width, pages=[index], rows=rows)[0]
                self._tiles.put(key, tile)
            tiles.append([tile])
        return tiles, row

    def warm_up(self) -> None:
        """Make one letter of each kind, so fonts are loaded before the first supporter asks,
        then lay out the letter of every office a supporter can pick, and of every head of
        mission for each country they cover from abroad, in the campaign's default language,
        for the signature most supporters give (name and place), and draw the office's part of
        its preview: an action-day rush then starts with its layouts and preview tiles made,
        and such a letter costs milliseconds. About 80 ms each, a few seconds per worker
        process (each calls this before it takes requests); other languages and signatures
        are laid out on first use."""

        office = self.offices[0]
        choice = Choice(Recipient(office, office.country))
        letter = self.compose(choice, self.campaign.sender.signer(), self.default_language)
        self.preview(letter, self.pdf(letter))
        self.docx(letter)
        choices = [Choice(Recipient(office, office.country)) for office in self.offices]
        for country in sorted(self.country_codes):  # heads of mission accredited from abroad
            found = self.routes(country)
            if found and found[0].office.country != country:
                choices.append(Choice(Recipient(found[0].office, country), found[0]))
        if self._stamps is None:
            return
        # Half the cache at most, resident offices first: a larger directory would only push
        # the layouts made ahead out again.
        for choice in choices[: CACHE_SIZE // 2]:
            try:
                letter = self.compose(choice, Signer("-", city="-"), self.default_language)
                layout, _ = self._stamps.layout(letter, self.templates)
                self._office_tiles(layout, PREVIEW_WIDTH)
            except Exception:  # that office's first supporter will see the error itself
                log.debug("no layout made ahead for %s", choice.office.id, exc_info=True)


def _scale(pdf: bytes, index: int, width: int) -> float:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return float(width / document[index].get_width())
    finally:
        document.close()


def _png_pages(
    pdf: bytes,
    width: int,
    *,
    pages: list[int] | None = None,
    rows: tuple[int, int | None] | None = None,
) -> list[bytes]:
    """Pages of a PDF drawn by pdfium in shades of grey, `width` pixels wide, as PNG; `rows`
    keeps only those pixel rows (start, end) of each page."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for index in pages if pages is not None else range(len(document)):
            page = document[index]
            image = page.render(scale=width / page.get_width(), grayscale=True).to_pil()
            if rows is not None:
                image = image.crop((0, rows[0], image.width, rows[1] or image.height))
            buffer = io.BytesIO()
            # optimize=True would take three times as long for 2 % fewer bytes.
            image.convert("L").save(buffer, "PNG")
            images.append(buffer.getvalue())
        return images
    finally:
        document.close()
