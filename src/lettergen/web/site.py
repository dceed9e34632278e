"""What the page serves, loaded once per process: the campaign, its directory, its languages.

Everything here calls the library — routing picks the office, compose words the letter, the
writers make the files — so the page's letter is the letter `lettergen render` makes for the
same office and signer. Composing and rendering are per supporter; nothing about a supporter
is kept.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.batch.plan import directory_for
from lettergen.campaign import Campaign, check_sender
from lettergen.campaign import load as load_campaign
from lettergen.campaign.signers import Signer
from lettergen.compose import variants
from lettergen.compose.composer import Recipient, compose_letter, office_line
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
    PT_PER_PX,
    StampCache,
    layout_key,
    own_words,
    stamp_one,
)
from lettergen.render.tiff import pdf_to_tiff
from lettergen.util.lru import LRU
from lettergen.web.strings import page_speaks

if TYPE_CHECKING:
    from lettergen.render.pdf import RenderedPDF
    from lettergen.render.stamp import OfficeLayout

log = logging.getLogger(__name__)

#: The preview's width in pixels: an A4 page at 96 dpi, the width of the page's column.
PREVIEW_WIDTH = 794
#: Office layouts kept per worker (15–20 kB each): every office's letter in each of a single
#: letter's wordings (variants.SINGLE_WORDINGS), for the seed campaign 74 × 9, with room for
#: other languages and signatures.
PAGE_LAYOUTS = 1536
#: Preview tiles kept per worker (PNG, 15–70 kB each): the office's part of every page, one or
#: two per office layout, so twice as many as the layouts kept.
PREVIEW_TILES = 2 * PAGE_LAYOUTS
#: The pause between two letters laid out ahead in the background, in seconds: a supporter's
#: request waiting for the worker takes it then, and waits one letter's layout at most.
AHEAD_PAUSE = 0.005
#: Bands of the signer's parts closer than this (pixels) are drawn as one.
MERGE_PX = 16


@dataclass(frozen=True)
class Band:
    """Pixel rows [start, end) of a preview page: the office's (kept) or the signer's."""

    start: int
    end: int
    kept: bool


@dataclass(frozen=True)
class Choice:
    """The office a letter goes to, and how it was found (a Route), if through a country."""

    recipient: Recipient
    route: Route | None = None
    #: The fax number as the letter prints it (`Letter.fax_display`): a number today's
    #: numbering plan no longer knows keeps the directory's grouping ("+7 095 208 26 50"),
    #: and the page groups it the same way.
    written: str = ""

    @property
    def office(self) -> Office:
        return self.recipient.office

    @property
    def fax_international(self) -> str:
        """The fax number as dialled from abroad, its digits grouped ("+49 30 4700 7125")."""
        fax = self.recipient.fax_number
        if not fax:
            return ""
        if self._written_digits() == fax:
            return grouped(" ".join(self.written.split()))
        return grouped(phones.international(fax))

    @property
    def fax_national(self) -> str:
        """The fax number as dialled inside the office's country ("030 4700 7125")."""
        fax = self.recipient.fax_number
        if not fax:
            return ""
        national = phones.national(fax)
        code, _, rest = " ".join(self.written.split()).partition(" ")
        trunk = _digits(national)[: -len(_digits(rest))] if _digits(rest) else ""
        if (
            self._written_digits() == fax
            and code == f"+{phones.calling_code(fax) or ''}"
            and _digits(national) == trunk + _digits(rest)
            and len(trunk) <= 2
        ):
            # The letter's groups, after the trunk prefix the country dials ("0"): the number
            # reads the same on the page as on the letter.
            return grouped(trunk + rest)
        return grouped(national)

    def _written_digits(self) -> str:
        return "+" + _digits(self.written) if self.written.startswith("+") else ""


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def grouped(number: str) -> str:
    """A number as people read it aloud: each block of more than five digits split into
    groups of three or four ("47007125" → "4700 7125", "1234567" → "123 4567")."""

    def split(block: str) -> str:
        if len(block) <= 5 or not block.isdigit():
            return block
        sizes = {6: [3, 3], 7: [3, 4], 8: [4, 4]}.get(len(block))
        if sizes is None:  # nine and more: threes, with a four at the end when needed
            sizes = [3] * (len(block) // 3)
            sizes[-1] += len(block) % 3
        parts, at = [], 0
        for size in sizes:
            parts.append(block[at : at + size])
            at += size
        return " ".join(parts)

    return " ".join(split(block) for block in number.split(" "))


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
        # The page speaks a language only with its own words (web/strings/<lang>.yaml): a
        # page of English buttons around an Arabic letter would confuse both readers. Letters
        # in the others are made with `lettergen render` and `batch`.
        unspoken = [code for code in languages if not page_speaks(code)]
        if unspoken:
            log.info("the page has no words in %s: not offered there", ", ".join(unspoken))
        languages = [code for code in languages if code not in unspoken]
        if not languages:
            raise DataError(
                "the campaign has no language with letter templates and page words",
                self.campaign.place("subject"),
            )
        default = self.campaign.default_language
        #: The campaign's languages with templates and page words, its default first.
        self.languages = sorted(languages, key=lambda code: (code != default, code))
        #: Offices a supporter may pick from the list: every resident office, by country.
        self.offices = sorted(
            self.directory.resident_offices, key=lambda o: (o.country, o.city, o.id)
        )
        self._by_id = {office.id: office for office in self.offices}
        self._countries: dict[str, list[tuple[str, str]]] = {}
        # Made in the worker on first use: WeasyPrint state is never shared across a fork.
        self._stamps: StampCache | None = None
        # WeasyPrint and pdfium are used by one thread at a time: a request's, or the one
        # laying out letters ahead (warm_rest).
        self._work = threading.RLock()
        #: Preview tiles drawn from office layouts (PNG), at most PREVIEW_TILES of them.
        self._tiles: LRU[tuple[object, ...], bytes] = LRU(PREVIEW_TILES)
        self._office_choices: dict[str, list[tuple[str, str]]] = {}
        self._office_names: dict[tuple[str, str], tuple[str, str]] = {}
        #: Per office layout and preview width: the pixel rows of each page, as bands that
        #: are the office's (kept) or the signer's (drawn for each supporter).
        self._bands: LRU[tuple[str, int], list[list[Band]]] = LRU(PREVIEW_TILES)

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

    def routed_office(self, country: str) -> str:
        """The id of the office routing picks for a country, "" if none."""
        return self.routed_offices.get(country, "")

    @cached_property
    def routed_offices(self) -> dict[str, str]:
        """Every country's office (its id, "" if none handles it), worked out once: the page
        names the office as soon as a country is chosen."""
        found = {}
        for country in sorted(self.country_codes):
            routes = self.routes(country)
            found[country] = routes[0].office.id if routes else ""
        return found

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

    def office_name(self, lang: str, office_id: str) -> tuple[str, str]:
        """The office in the words of the letter's address, and where it is: ("Embassy of the
        Republic of Kazakhstan", "Berlin, Deutschland"), in `lang`; worked out once."""
        key = (lang, office_id)
        if key not in self._office_names:
            office = self.office(office_id)
            language_ = self.language(lang)
            name = office_line(language_, Recipient(office, office.country), self.directory.state)
            country = country_name(office.country, language_.locale) or office.country
            # The language's comma ("، " in Arabic), each part in its own direction.
            where = language_.join([language_.city_name(office.city), country])
            self._office_names[key] = (name, where)
        return self._office_names[key]

    def comma(self, lang: str) -> str:
        """The comma between the parts of a phrase in `lang` (", ", "، " in Arabic)."""
        return self.language(lang).typography.comma

    def compose(
        self, choice: Choice, signer: Signer, lang: str, wording: int | None = None
    ) -> Letter:
        """The letter to the chosen office, in the signer's wording (variants.Choice.single),
        or in the office's `wording`-th (what the page lays out ahead)."""
        return compose_letter(
            self.campaign,
            choice.recipient,
            lang=lang,
            state=self.directory.state,
            signer=signer,
            templates=self.templates,
            choice=None if wording is None else variants.Choice.wording(choice.office.id, wording),
        )

    def pdf(self, letter: Letter) -> bytes:
        """The letter's PDF through the stamped path: the office's letter is laid out once per
        worker (kept in a bounded cache), each supporter's signature stamped in.
        A signer whose parts do not fit the reserved boxes gets a letter laid out in full."""
        return self.stamped(letter).data

    def stamped(self, letter: Letter) -> RenderedPDF:
        """The letter's PDF (`pdf`), with the office layout it was stamped on, for `preview`."""
        with self._work:
            # With her own words, every paragraph is set apart: the office's layouts with room
            # for them are then shared by all nine wordings, not made per wording.
            return stamp_one(
                letter,
                self.templates,
                cache=self._stamp_cache(),
                every_paragraph=own_words(letter) is not None,
            )

    def _stamp_cache(self) -> StampCache:
        if self._stamps is None:
            # Office layouts only: a supporter's signature is set for their request and not
            # kept (parts=0), so the worker's memory holds no supporter's name either.
            self._stamps = StampCache(layouts=PAGE_LAYOUTS, parts=0)
        return self._stamps

    def docx(self, letter: Letter) -> bytes:
        with self._work:  # it lays the letter out with WeasyPrint to learn its setting
            return render_docx(letter, self.templates).data

    def tiff(self, pdf: bytes) -> bytes:
        with self._work:
            return pdf_to_tiff(pdf).data

    def preview(
        self, letter: Letter, pdf: bytes, width: int = PREVIEW_WIDTH, *, layout: str = ""
    ) -> list[list[bytes]]:
        """Each page of the letter as PNG tiles `width` pixels wide (96 dpi on A4), stacked
        top to bottom: the supporter sees the whole letter, her parts included.

        Encoding a page as PNG costs several times the letter itself, and all of a stamped
        letter but the signer's parts (the signature; her letterhead and date line) is the
        office's: those bands are drawn from the office's layout once and kept
        (`_kept_tile`), and only the bands of her parts are drawn and encoded for each
        supporter. A letter laid out in full is drawn whole. `layout`: the key of the office
        layout the PDF was stamped on (`stamped`), if not the letter's own (`layout_key`: a
        letter with her own words is stamped on a layout keyed by the room they take)."""
        with self._work:
            return self._preview(letter, pdf, width, layout or layout_key(letter))

    def _preview(self, letter: Letter, pdf: bytes, width: int, key: str) -> list[list[bytes]]:
        layout = self._stamps.layouts.get(key) if self._stamps else None
        if layout is None or b"/LettergenSignature" not in pdf:
            return [[png] for png in _png_pages(pdf, width)]
        plan = self._preview_bands(layout, width)
        mine = [index for index, bands in enumerate(plan) if any(not b.kept for b in bands)]
        drawn = dict(zip(mine, _draw_pages(pdf, width, mine), strict=True))
        pages = []
        for index, bands in enumerate(plan):
            tiles = []
            for band in bands:
                if band.kept:
                    tiles.append(self._kept_tile(layout, index, band, width))
                else:
                    image = drawn[index]
                    tiles.append(_png(image.crop((0, band.start, image.width, band.end))))
            pages.append(tiles)
        return pages

    def _preview_bands(self, layout: OfficeLayout, width: int) -> list[list[Band]]:
        """The pixel rows of each page at `width`: the signer's parts (each box with its
        bleed; the signature's down to the page's foot) and the office's rows between them."""
        key = (layout.key, width)
        found = self._bands.get(key)
        if found is not None:
            return found
        scale = _scale(layout.data, 0, width)
        plan = []
        for index, height in enumerate(layout.page_heights):
            bottom = round(height * PT_PER_PX * scale)
            mine: list[tuple[int, int]] = []
            for part, box in layout.boxes.items():
                if box.page != index:
                    continue
                start = max(0, int((box.y * PT_PER_PX - BLEED_PT) * scale) - 1)
                end = (
                    bottom
                    if part == "signature"
                    else min(bottom, int(((box.y + box.height) * PT_PER_PX + BLEED_PT) * scale) + 2)
                )
                mine.append((start, end))
            merged: list[list[int]] = []
            for start, end in sorted(mine):
                if merged and start <= merged[-1][1] + MERGE_PX:  # one band, not a sliver
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            bands, at = [], 0
            for start, end in merged:
                if start > at:
                    bands.append(Band(at, start, True))
                bands.append(Band(start, end, False))
                at = end
            if at < bottom:
                bands.append(Band(at, bottom, True))
            plan.append(bands)
        self._bands.put(key, plan)
        return plan

    def _kept_tile(self, layout: OfficeLayout, index: int, band: Band, width: int) -> bytes:
        """The office's rows of a page as PNG, drawn from its layout once and kept."""
        key = (layout.key, index, band.start, band.end, width)
        tile = self._tiles.get(key)
        if tile is None:
            (image,) = _draw_pages(layout.data, width, [index])
            tile = _png(image.crop((0, band.start, image.width, band.end)))
            self._tiles.put(key, tile)
        return tile

    def _office_tiles(self, layout: OfficeLayout, width: int) -> None:
        """Draw and keep every office band of the layout's preview."""
        for index, bands in enumerate(self._preview_bands(layout, width)):
            for band in bands:
                if band.kept:
                    self._kept_tile(layout, index, band, width)

    def ahead(self) -> list[tuple[Choice, int]]:
        """What the page lays out before supporters ask, in order: the letter of every office
        a supporter can pick, and of every head of mission for each country they cover from
        abroad, in the campaign's default language, each in every wording a single letter
        takes (variants.SINGLE_WORDINGS) — the first wording of every office first. Half the
        layout cache at most: a larger directory would only push the layouts made ahead out
        again (resident offices come first)."""
        choices = [Choice(Recipient(office, office.country)) for office in self.offices]
        for country in sorted(self.country_codes):  # heads of mission accredited from abroad
            found = self.routes(country)
            if found and found[0].office.country != country:
                choices.append(Choice(Recipient(found[0].office, country), found[0]))
        items = [(c, k) for k in range(variants.SINGLE_WORDINGS) for c in choices]
        return items[: PAGE_LAYOUTS // 2]

    def lay_out(self, choice: Choice, wording: int) -> None:
        """Lay out the office's letter in one wording, for the signature most supporters
        give (name, town, country), and draw the office's part of its preview; kept."""
        # Her country, as routing found it: a letter posted within the office's country has
        # no country line in its address.
        signer = Signer("-", city="-", country=choice.recipient.country)
        letter = self.compose(choice, signer, self.default_language, wording)
        with self._work:
            layout, _ = self._stamp_cache().layout(letter, self.templates)
            self._office_tiles(layout, PREVIEW_WIDTH)

    def warm_up(self) -> None:
        """Before the worker takes requests: make one letter of each kind, so fonts are
        loaded before the first supporter asks, then lay out the first wording of every
        office's letter (`ahead`). About 100 ms a letter, some seconds per worker process;
        `warm_rest` lays out the other wordings once the worker serves."""
        office = self.offices[0]
        choice = Choice(Recipient(office, office.country))
        letter = self.compose(choice, self.campaign.sender.signer(), self.default_language)
        stamped = self.stamped(letter)
        self.preview(letter, stamped.data, layout=stamped.layout)
        self.docx(letter)
        for choice, wording in self.ahead():
            if wording == 0:
                self._lay_out_quietly(choice, wording)

    def warm_rest(self, stop: threading.Event | None = None) -> int:
        """Lay out the other wordings of every office's letter (`ahead`), one at a time,
        pausing between them so a supporter's request waits one letter's layout at most; an
        action-day rush then finds every letter it asks for laid out, and each costs
        milliseconds. Stops early when `stop` is set. Returns the letters laid out."""
        count = 0
        for choice, wording in self.ahead():
            if stop is not None and stop.is_set():
                break
            if wording == 0:
                continue
            self._lay_out_quietly(choice, wording)
            count += 1
            time.sleep(AHEAD_PAUSE)
        return count

    def _lay_out_quietly(self, choice: Choice, wording: int) -> None:
        try:
            self.lay_out(choice, wording)
        except Exception:  # that office's first supporter will see the error itself
            log.debug("no layout made ahead for %s", choice.office.id, exc_info=True)


def _scale(pdf: bytes, index: int, width: int) -> float:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return float(width / document[index].get_width())
    finally:
        document.close()


def _draw_pages(pdf: bytes, width: int, pages: list[int]) -> list[Any]:
    """Pages of a PDF drawn by pdfium in shades of grey, `width` pixels wide (PIL images)."""
    import pypdfium2

    if not pages:
        return []
    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for index in pages:
            page = document[index]
            image = page.render(scale=width / page.get_width(), grayscale=True).to_pil()
            images.append(image.convert("L"))
        return images
    finally:
        document.close()


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    # optimize=True would take three times as long for 2 % fewer bytes.
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _png_pages(pdf: bytes, width: int) -> list[bytes]:
    """Every page of a PDF as PNG, `width` pixels wide."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        count = len(document)
    finally:
        document.close()
    return [_png(image) for image in _draw_pages(pdf, width, list(range(count)))]
