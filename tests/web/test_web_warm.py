"""The letters the supporter page lays out before supporters ask: every office in each wording
a single letter takes (compose.variants.SINGLE_WORDINGS), the first before a worker serves,
the others beside its requests; and `serve --warm-up all` doing it in a real worker."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

from conftest import SEED_CAMPAIGN, pdftotext
from lettergen.campaign.signers import Signer
from lettergen.compose.variants import SINGLE_WORDINGS, Choice
from lettergen.render.stamp import layout_key
from lettergen.web.site import Site
from serve_process import serving

NAMES = [f"{first} {last}" for first in ("Anna", "Jo", "Olga", "Ida") for last in ("Ng", "Roth")]


def test_a_supporters_wording_is_one_the_page_lays_out_ahead() -> None:
    """Before the first supporter: the office's layout for a supporter in its own country
    (no country line in the address: posted within it) and for one covered from abroad, in
    the first wording; every supporter's wording is among those laid out ahead, and once it
    is, her letter is stamped on that layout."""
    site = Site(SEED_CAMPAIGN)
    site.warm_up()
    ahead = site.ahead()
    assert site._stamps is not None
    for country, office in (("DE", "de-berlin-embassy"), ("AM", "ru-moscow-embassy")):
        choice = site.choose(country, "")
        assert choice is not None and choice.office.id == office
        first = site.compose(choice, Signer("-", city="-", country=country), "en", 0)
        assert site._stamps.layouts.get(layout_key(first)) is not None, country
        for name in NAMES:
            wording = Choice.single(office, name).number
            assert wording is not None
            index = wording - Choice.wording(office, 0).number
            assert 0 <= index < SINGLE_WORDINGS
            assert (choice.recipient, index) in {(c.recipient, k) for c, k in ahead}
            letter = site.compose(choice, Signer(name, city="Town", country=country), "en")
            assert ("GERMANY" in letter.addressee) is False
            site.lay_out(choice, index)
            assert site._stamps.layouts.get(layout_key(letter)) is not None, (country, name)


def test_warm_rest_lays_out_every_wording_and_a_rush_then_lays_out_nothing() -> None:
    site = Site("free-bialiatski-2023")
    site.warm_up()
    assert site._stamps is not None
    made = len(site._stamps.layouts)
    count = site.warm_rest()
    assert count == len(site.ahead()) - len({c.recipient for c, _ in site.ahead()})
    assert len(site._stamps.layouts) == made + count
    # Every office, every supporter: stamped on a layout made ahead, none made for her.
    for office in site.offices:
        choice = site.choose("", office.id)
        assert choice is not None
        for name in NAMES:
            letter = site.compose(choice, Signer(name, city="Town", country=office.country), "en")
            assert site._stamps.layouts.get(layout_key(letter)) is not None, (office.id, name)
            assert name in pdftotext(site.pdf(letter))
    assert len(site._stamps.layouts) == made + count


def test_warm_rest_stops_when_asked() -> None:
    site = Site("free-bialiatski-2023")
    stop = threading.Event()
    stop.set()
    assert site.warm_rest(stop) == 0
    assert site._stamps is None  # nothing laid out, not even the cache made


def test_serve_lays_out_the_other_wordings_while_it_serves(tmp_path: Path) -> None:
    """A real worker: ready after the first wordings, answers while the others are laid out
    in its thread, then says how many it laid out."""
    log = tmp_path / "serve.log"
    options = ("--workers", "1", "--warm-up", "all")
    with serving(*options, log=log, campaign="free-bialiatski-2023") as (url, _process):
        with urllib.request.urlopen(url, timeout=30) as response:  # while laying out
            assert response.status == 200
        deadline = time.monotonic() + 120
        while "more letters in" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.5)
    text = log.read_text(errors="replace")
    assert f"(every office in {SINGLE_WORDINGS} wordings)" in text
    assert "Traceback" not in text
