"""A supporter's path in a real browser (Debian's Chromium driven by Playwright) against the
real server (`lettergen serve` under gunicorn), started here and stopped even when a test fails.

Elements are found only by their role and accessible name, as a screen reader finds them, in
the page's own words (web/strings/<lang>.yaml) in English, German and Russian. Every page of
each journey is scanned by axe-core (WCAG 2.2 AA; the script from axe-playwright-python's own
files, never fetched). The letters are read back: PDF with pdftotext, DOCX with python-docx.

Screenshots are kept in output/screenshots/ to be looked at.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, flat, pdftotext
from lettergen.web.strings import Strings
from serve_process import serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "output" / "screenshots"
NAME = "Анна Смирнова-Ωμέγα"
LOCALES = {"en": "en-GB", "de": "de-DE", "ru": "ru-RU", "ar": "ar-EG"}
#: The offices and their faxes as the letters print them.
FAXES = {
    "de-berlin-embassy": "+49 30 47007125",
    "ru-moscow-embassy": "+7 095 208 26 50",  # grouped as the 2002 directory writes it
    "at-vienna-embassy": "+43 1 367917433",
    "eg-cairo-embassy": "+20 2 359 84 21",
}
#: axe-core's rule tags for WCAG 2.2 level AA (and the levels below it).
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Path]]:
    """`lettergen serve` on 127.0.0.1; yields its address and the file its output goes to."""
    log = ROOT / "output" / f"serve-test-{os.getpid()}.log"
    try:
        with serving("--workers", "2", "--letters-per-minute", "0", log=log) as (url, _):
            yield url, log
    finally:
        log.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run 'make install' (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def open_page(browser: Any, lang: str, width: int = 1280, **options: Any) -> tuple[Any, Any]:
    """A new browser context whose browser speaks `lang`, and a page in it."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale=LOCALES[lang],
        accept_downloads=True,
        **options,
    )
    return context, context.new_page()


def no_violations(axe: Any, page: Any, what: str) -> None:
    """axe-core finds nothing against WCAG 2.2 AA on the page as it is now."""
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    found = [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]
    assert found == [], f"{what}: {found}"


def no_violations_without_javascript(browser: Any, axe: Any, page: Any, what: str) -> None:
    """axe-core needs JavaScript: the page's HTML as the server sent it is scanned in a
    browser that runs axe but not the page's own script (which would change the page)."""
    url, html = page.url, page.content()
    context = browser.new_context(locale="de-DE")
    try:
        scan = context.new_page()
        scan.route("**/static/page.js", lambda route: route.abort())
        scan.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        scan.goto(url)
        no_violations(axe, scan, what)
    finally:
        context.close()


def country(page: Any, t: Strings) -> Any:
    return page.get_by_role("combobox", name=t("country"), exact=True)


def fill_signer(page: Any, t: Strings, name: str, town: str = "") -> None:
    page.get_by_role("textbox", name=t("name"), exact=True).fill(name)
    if town:
        page.get_by_role("textbox", name=t("town"), exact=True).fill(town)


def show_letter(page: Any, t: Strings) -> None:
    page.get_by_role("button", name=t("preview_button"), exact=True).click()
    page.get_by_role("heading", name=t("preview_heading"), exact=True).wait_for()


def found_text(page: Any) -> str:
    """What the page says about where the letter goes (the form's live region, or the
    preview's line)."""
    region = page.get_by_role("status")
    if region.count():
        return flat(region.inner_text())
    return flat(page.locator("main").inner_text())


def download(page: Any, button: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button, exact=True).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def read_pdf(path: Path) -> str:
    assert path.read_bytes().startswith(b"%PDF")
    return flat(pdftotext(path))


def read_docx(path: Path) -> tuple[list[str], list[str]]:
    """The DOCX's head (the borderless table's sender side: her block and the date line) and
    its paragraphs."""
    from docx import Document

    document = Document(io.BytesIO(path.read_bytes()))
    head = document.tables[0].rows[0].cells[-1].text.splitlines()
    return head, [p.text for p in document.paragraphs]


def assert_hers(text: str, name: str, town: str, country_name: str, fax: str) -> None:
    """The letter is hers: her name heads it and signs it, her town is in her block, on the
    date line and under her name, her country in her block and under her name; and it goes
    to the office's fax."""
    assert text.count(name) == 2, text[:400]
    assert text.count(town) >= 3
    assert text.count(country_name) >= 2
    assert fax in text


def test_country_first_then_the_big_button(
    server: tuple[str, Path], browser: Any, axe: Any, tmp_path: Path
) -> None:
    """Russian: a supporter in Armenia picks her country, types her name and presses the big
    button. The letter goes to Moscow, whose embassy covers Armenia, and says so."""
    url, log = server
    t = Strings("ru")
    context, page = open_page(browser, "ru")
    try:
        page.goto(url)
        assert page.title().startswith("Сакен Жанусов")
        no_violations(axe, page, "the campaign page")
        country(page, t).select_option(label="Армения")
        fill_signer(page, t, NAME, "Ереван")
        # Named in plain words before she signs: the office, where it is, that it covers her.
        assert found_text(page) == (
            "Ваше письмо будет направлено: Посольство Республики Казахстан, Москва, Россия. "
            "Это представительство отвечает также за страну: Армения."
        )
        no_violations(axe, page, "the filled-in form")
        show_letter(page, t)
        assert "Москва" in found_text(page) and "Армения" in found_text(page)
        no_violations(axe, page, "the preview")
        region = page.get_by_role("region", name=t("letter_text_heading"), exact=True)
        assert NAME in region.inner_text() and "Ереван" in region.inner_text()
        text = read_pdf(download(page, t("download_pdf"), tmp_path))
        assert_hers(text, NAME, "Ереван", "Армения", FAXES["ru-moscow-embassy"])
        head, paragraphs = read_docx(download(page, t("download_docx"), tmp_path))
        assert head[:3] == [NAME, "Ереван", "Армения"]  # her letterhead
        assert head[-1].startswith("Ереван, ")  # her date line
        assert sum(NAME in p for p in paragraphs) == 1  # and her signature
        assert any(FAXES["ru-moscow-embassy"] in p for p in paragraphs)
        # Nothing the supporter typed reaches the server's log.
        written = log.read_text(errors="replace")
        assert NAME not in written and "Ереван" not in written
        assert '"GET /" 200' in written and "country=" not in written
    finally:
        context.close()


def test_lookup_first(server: tuple[str, Path], browser: Any, axe: Any, tmp_path: Path) -> None:
    """German: the country first, the office named at once (JavaScript), then who signs; the
    screenshot is the README's."""
    url, _ = server
    t = Strings("de")
    context, page = open_page(browser, "de")
    try:
        page.goto(url)
        # Without JavaScript's help the page has a button for the lookup; here it is gone.
        assert page.get_by_role("button", name=t("find_button")).count() == 0
        country(page, t).select_option(label="Deutschland")
        status = page.get_by_role("status")
        assert flat(status.inner_text()) == (
            "Ihr Brief geht an: Botschaft der Republik Kasachstan, Berlin, Deutschland."
        )
        fill_signer(page, t, NAME, "Köln")
        page.get_by_role("textbox", name=t("organisation"), exact=True).fill("Verdi Köln")
        page.evaluate("document.activeElement.blur()")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.get_by_role("heading", name=t("form_heading"), exact=True).scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / "supporter-page-1280.png", full_page=True)
        # The office list, by its name, with a filter box.
        filter_box = page.get_by_role("searchbox", name=t("office_filter"), exact=True)
        filter_box.fill("Frankfurt")
        offices = page.get_by_role("combobox", name=t("office_choose"), exact=True)
        assert offices.locator("option:not([hidden])").count() == 2  # and the first
        filter_box.fill("")
        show_letter(page, t)
        page.screenshot(path=SHOTS / "letter-preview-1280.png", full_page=True)
        assert "Berlin" in found_text(page)
        main = page.locator("main").inner_text()
        assert "+49 30 4700 7125" in main and "030 4700 7125" in main
        assert "Innerhalb des Landes (Deutschland)" in main
        text = read_pdf(download(page, t("download_pdf"), tmp_path))
        assert_hers(text, NAME, "Köln", "Deutschland", FAXES["de-berlin-embassy"])
        assert text.count("Verdi Köln") == 2
    finally:
        context.close()


def test_an_office_from_the_list(
    server: tuple[str, Path], browser: Any, axe: Any, tmp_path: Path
) -> None:
    """English: no country, an office chosen from the list: the letter goes there."""
    url, _ = server
    t = Strings("en")
    context, page = open_page(browser, "en")
    try:
        page.goto(url)
        offices = page.get_by_role("combobox", name=t("office_choose"), exact=True)
        offices.select_option(label="Vienna — embassy (Austria)")
        assert "Embassy of the Republic of Kazakhstan, Vienna, Austria." in found_text(page)
        fill_signer(page, t, "Ann Lee", "Leeds")
        show_letter(page, t)
        assert "Vienna" in found_text(page)
        no_violations(axe, page, "the preview of a chosen office")
        text = read_pdf(download(page, t("download_pdf"), tmp_path))
        assert "Ann Lee" in text and FAXES["at-vienna-embassy"] in text
    finally:
        context.close()


def test_a_wrong_choice_corrected_after_the_preview(
    server: tuple[str, Path], browser: Any, tmp_path: Path
) -> None:
    """English: Germany by mistake; the preview says Berlin; back, Austria, the letter goes
    to Vienna, and nothing she typed was lost on the way."""
    url, _ = server
    t = Strings("en")
    context, page = open_page(browser, "en")
    try:
        page.goto(url)
        country(page, t).select_option(label="Germany")
        fill_signer(page, t, "Ann Lee", "Graz")
        show_letter(page, t)
        assert "Berlin" in found_text(page)
        page.get_by_role("button", name=t("change"), exact=True).click()
        assert page.get_by_role("textbox", name=t("name"), exact=True).input_value() == "Ann Lee"
        assert country(page, t).input_value() == "DE"
        country(page, t).select_option(label="Austria")
        assert "Vienna, Austria" in flat(page.get_by_role("status").inner_text())
        show_letter(page, t)
        assert "Vienna" in found_text(page)
        text = read_pdf(download(page, t("download_pdf"), tmp_path))
        assert_hers(text, "Ann Lee", "Graz", "Austria", FAXES["at-vienna-embassy"])
        assert FAXES["de-berlin-embassy"] not in text
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_errors_name_only_the_fields_that_need_her(
    server: tuple[str, Path], browser: Any, axe: Any, lang: str
) -> None:
    """The big button with nothing filled in: the title says there is an error, the summary
    names her name and her country (never the office list she did not touch), each field
    says so beside it, and the summary's links lead to the fields."""
    url, _ = server
    t = Strings(lang)
    context, page = open_page(browser, lang)
    try:
        page.goto(url)
        page.get_by_role("button", name=t("preview_button"), exact=True).click()
        page.get_by_role("alert").wait_for()
        assert page.title().startswith(t("title_error"))
        summary = page.get_by_role("alert")
        links = summary.get_by_role("link")
        assert sorted(links.all_inner_texts()) == sorted(
            [t("errors.name_missing"), t("errors.country_missing")]
        )
        name = page.get_by_role("textbox", name=t("name"), exact=True)
        assert name.get_attribute("aria-invalid") == "true"
        assert country(page, t).get_attribute("aria-invalid") == "true"
        office = page.get_by_role("combobox", name=t("office_choose"), exact=True)
        assert office.get_attribute("aria-invalid") is None
        no_violations(axe, page, "the form with errors")
        summary.get_by_role("link", name=t("errors.name_missing")).click()
        assert page.evaluate("location.hash") == "#name"
        # Her country kept through an error: only the name is left to give.
        country(page, t).select_option(value="DE")
        page.get_by_role("button", name=t("preview_button"), exact=True).click()
        page.get_by_role("alert").wait_for()
        assert country(page, t).input_value() == "DE"
        assert page.get_by_role("alert").get_by_role("link").all_inner_texts() == [
            t("errors.name_missing")
        ]
        if lang == "de":
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SHOTS / "form-errors-de.png", full_page=True)
    finally:
        context.close()


def test_the_page_works_without_javascript(
    server: tuple[str, Path], browser: Any, axe: Any, tmp_path: Path
) -> None:
    """German, JavaScript off: "Find the office" looks the office up and keeps what she
    typed; the big button makes the letter."""
    url, _ = server
    t = Strings("de")
    context, page = open_page(browser, "de", java_script_enabled=False)
    try:
        page.goto(url)
        assert page.get_by_role("searchbox", name=t("office_filter")).count() == 0
        fill_signer(page, t, NAME, "Oran")
        country(page, t).select_option(label="Algerien")
        page.get_by_role("button", name=t("find_button"), exact=True).click()
        assert found_text(page) == (
            "Ihr Brief geht an: Botschaft der Republik Kasachstan, Cairo, Ägypten. "
            "Diese Vertretung ist auch für Algerien zuständig."
        )
        assert page.get_by_role("textbox", name=t("name"), exact=True).input_value() == NAME
        no_violations_without_javascript(
            browser, axe, page, "the form after the lookup, without JavaScript"
        )
        show_letter(page, t)
        assert "Cairo" in found_text(page)
        text = read_pdf(download(page, t("download_pdf"), tmp_path))
        assert_hers(text, NAME, "Oran", "Algerien", FAXES["eg-cairo-embassy"])
    finally:
        context.close()


#: Who fills the page in which order, on a phone: (page language, JavaScript on, the order,
#: her country as the list names it, her town, the office's city as the page names it, her
#: country as the letter names it, the office's fax as the letter prints it).
ORDERS = [
    # Her name first, then her country, then the big button.
    ("de", True, "name-first", "Armenien", "Jerewan", "Moskau", "Armenien", "ru-moscow-embassy"),
    # Without JavaScript the office is never looked up: her country, her name, the big button.
    ("ru", False, "country-first", "Армения", "Ереван", "Москва", "Армения", "ru-moscow-embassy"),
    ("de", False, "name-first", "Deutschland", "Bonn", "Berlin", "Deutschland",
     "de-berlin-embassy"),
    # A right-to-left page.
    ("ar", True, "country-first", "ألمانيا", "كولونيا", "برلين", "ألمانيا", "de-berlin-embassy"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "javascript", "order", "land", "town", "city", "land_in_letter", "office"),
    ORDERS,
    ids=[f"{o[0]}-{'js' if o[1] else 'nojs'}-{o[2]}" for o in ORDERS],
)
def test_any_order_on_a_phone_reaches_her_letter(
    server: tuple[str, Path],
    browser: Any,
    axe: Any,
    tmp_path: Path,
    lang: str,
    javascript: bool,
    order: str,
    land: str,
    town: str,
    city: str,
    land_in_letter: str,
    office: str,
) -> None:
    """A stranger on a 375 × 812 phone fills the page in her own order, with or without
    JavaScript, and never presses "Find the office": the country she chose once reaches the
    preview and the letter, with her town and country as its sender."""
    url, _ = server
    t = Strings(lang)
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        locale=LOCALES[lang],
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
        java_script_enabled=javascript,
    )
    try:
        page = context.new_page()
        page.goto(url)
        steps = [
            lambda: country(page, t).select_option(label=land),
            lambda: fill_signer(page, t, NAME, town),
        ]
        for step in steps if order == "country-first" else reversed(steps):
            step()
        page.get_by_role("button", name=t("preview_button"), exact=True).tap()
        page.get_by_role("heading", name=t("preview_heading"), exact=True).wait_for()
        assert page.title().startswith(t("preview_heading"))
        assert city in found_text(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if javascript:
            no_violations(axe, page, f"the preview ({lang}, {order})")
        else:
            no_violations_without_javascript(browser, axe, page, f"the preview ({lang}, {order})")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"order-{lang}-{order}-375.png", full_page=True)
        text = read_pdf(download(page, t("download_pdf"), tmp_path))
        assert_hers(text, NAME, town, land_in_letter, FAXES[office])
    finally:
        context.close()


def test_keyboard_only(server: tuple[str, Path], browser: Any, tmp_path: Path) -> None:
    """German, the keyboard alone: the link to the form, Tab to each field, type, Enter."""
    from playwright.sync_api import expect

    url, _ = server
    t = Strings("de")
    context, page = open_page(browser, "de")
    try:
        page.goto(url)

        def tab_to(target: Any, limit: int = 60) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if target.evaluate("e => e === document.activeElement"):
                    return
            pytest.fail(f"Tab never reached {target}")

        tab_to(page.get_by_role("link", name=t("skip_to_form"), exact=True), 10)
        page.keyboard.press("Enter")
        tab_to(country(page, t), 5)  # the form comes next: no case text to Tab through
        page.keyboard.type("Deutschland")  # a closed <select> picks by typing
        expect(country(page, t)).to_have_value("DE")
        tab_to(page.get_by_role("textbox", name=t("name"), exact=True))
        page.keyboard.type(NAME)
        page.keyboard.press("Enter")  # in a field, Enter is the big button
        page.get_by_role("heading", name=t("preview_heading"), exact=True).wait_for()
        tab_to(page.get_by_role("button", name=t("download_pdf"), exact=True))
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        target = tmp_path / "letter.pdf"
        info.value.save_as(target)
        text = read_pdf(target)
        assert NAME in text and FAXES["de-berlin-embassy"] in text
    finally:
        context.close()


def _small_targets(page: Any) -> list[str]:
    """Controls smaller than 24 × 24 CSS px (WCAG 2.2, 2.5.8), but links inside a sentence."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, summary, textarea')]
        .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
        .filter(e => !(e.tagName === 'A' && e.closest('p') && !e.closest('.skip')))
        .filter(e => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; })
        .map(e => e.outerHTML.slice(0, 80))"""
    )


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_phone_375_by_812(
    server: tuple[str, Path], browser: Any, axe: Any, lang: str, tmp_path: Path
) -> None:
    """A touch screen 375 px wide: nothing wider than the screen, every tap target at least
    24 × 24 px, the form a tap away from the top, and the letter readable as text."""
    url, _ = server
    t = Strings(lang)
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        locale=LOCALES[lang],
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        accept_downloads=True,
    )
    try:
        page = context.new_page()
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert _small_targets(page) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"supporter-page-375-{lang}.png")
        # The way to the form is on the first screen.
        skip = page.get_by_role("link", name=t("skip_to_form"), exact=True)
        box = skip.bounding_box()
        assert box and box["y"] + box["height"] < 812
        skip.tap()
        heading = page.get_by_role("heading", name=t("form_heading"), exact=True)
        assert heading.evaluate("e => e.getBoundingClientRect().top") < 812
        country(page, t).select_option(value="DE")
        fill_signer(page, t, NAME, "Köln")
        page.get_by_role("button", name=t("preview_button"), exact=True).tap()
        page.get_by_role("heading", name=t("preview_heading"), exact=True).wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert _small_targets(page) == []
        no_violations(axe, page, "the preview on a phone")
        # The letter as text, in a size a phone can read.
        region = page.get_by_role("region", name=t("letter_text_heading"), exact=True)
        assert NAME in region.inner_text()
        size = region.locator("p").nth(6).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 15
        page.screenshot(path=SHOTS / f"letter-preview-375-{lang}.png", full_page=True)
        # The fax number grouped, and where its local form is dialled.
        numbers = page.locator("dl.numbers").inner_text()
        assert "+49 30 4700 7125" in numbers and "030 4700 7125" in numbers
        assert t("fax_national", country="Germany" if lang == "en" else "Германия") in numbers
    finally:
        context.close()


def test_the_server_listens_on_localhost_only(server: tuple[str, Path]) -> None:
    url, _ = server
    port = int(url.rsplit(":", 1)[1].strip("/"))
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # sends nothing: only picks the outward address
            outward = probe.getsockname()[0]
    except OSError:
        pytest.skip("this machine has no route out, so no address but loopback to try")
    if outward.startswith("127."):
        pytest.skip("this machine has no address but loopback to try")
    with socket.socket() as sock:
        sock.settimeout(5)
        assert sock.connect_ex((outward, port)) != 0, f"the page answers on {outward}"
