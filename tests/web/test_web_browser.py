"""A supporter's path in a real browser (Debian's Chromium driven by Playwright) against the
real server (`lettergen serve` under gunicorn), started here and stopped even when a test fails.

Screenshots are kept in output/screenshots/ to be looked at.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, flat, pdftotext
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
BERLIN_FAX = "+49 30 47007125"
DEMAND_DE = "Saken Zhanusov unverzüglich freilassen."


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


def _context(browser: Any, width: int) -> Any:
    return browser.new_context(
        viewport={"width": width, "height": 900},
        locale="de-DE",
        accept_downloads=True,
    )


def _read_pdf(download: Any, tmp_path: Path) -> str:
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    return flat(pdftotext(target))


def test_a_supporter_in_germany_gets_the_letter_to_berlin(
    server: tuple[str, Path], browser: Any, tmp_path: Path
) -> None:
    url, log = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = _context(browser, 1280)
    try:
        page = context.new_page()
        page.goto(url)
        # The browser says German: the page speaks German.
        assert page.locator("h1").inner_text().startswith("Saken Zhanusov und die")
        page.select_option("#find-country", "DE")
        page.click("text=Vertretung finden")
        routed = page.locator(".routed").inner_text()
        assert routed.startswith("Für Deutschland: Berlin — ") and "Botschaft" in routed
        page.fill("#name", NAME)
        page.fill("#town", "Köln")
        page.select_option("#country", "DE")
        page.evaluate("document.activeElement.blur()")
        page.screenshot(path=SHOTS / "supporter-page-1280.png", full_page=True)
        # JavaScript improves the list of offices with a filter box.
        assert page.locator("#office-filter").is_visible()
        page.fill("#office-filter", "Frankfurt")
        assert page.locator("#office option:not([hidden])").count() == 2  # and the first
        page.fill("#office-filter", "")
        page.click("button.primary")
        page.wait_for_selector("figure.preview img")
        assert "Berlin" in page.locator(".to").inner_text()
        assert BERLIN_FAX in page.locator("main").inner_text()
        page.screenshot(path=SHOTS / "letter-preview-1280.png", full_page=True)
        with page.expect_download() as info:
            page.click("text=PDF herunterladen")
        text = _read_pdf(info.value, tmp_path)
        assert BERLIN_FAX in text
        assert NAME in text
        assert DEMAND_DE in text
        # Nothing the supporter typed reaches the server's log.
        assert NAME not in log.read_text(errors="replace")
        assert "Köln" not in log.read_text(errors="replace")
        # The access log has paths without their query strings (country=DE stays private).
        assert '"GET /" 200' in log.read_text() and "country=" not in log.read_text()
    finally:
        context.close()


def test_the_page_on_a_phone_is_one_column(server: tuple[str, Path], browser: Any) -> None:
    url, _ = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = _context(browser, 375)
    try:
        page = context.new_page()
        page.goto(url)
        # Nothing is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        name = page.locator("#name").bounding_box()
        office = page.locator("#office").bounding_box()
        assert name and office and name["width"] > 300 and abs(name["x"] - office["x"]) < 2
        page.screenshot(path=SHOTS / "supporter-page-375.png", full_page=True)
        page.select_option("#country", "DE")
        page.fill("#name", NAME)
        page.click("button.primary")
        page.wait_for_selector("figure.preview img")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=SHOTS / "letter-preview-375.png", full_page=True)
    finally:
        context.close()


def test_keyboard_only(server: tuple[str, Path], browser: Any, tmp_path: Path) -> None:
    """The same path with the keyboard alone: Tab to each field, type, Enter."""
    url, _ = server
    context = _context(browser, 1280)
    try:
        page = context.new_page()
        page.goto(url)

        def tab_to(selector: str, limit: int = 40) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate(f"document.activeElement.matches({selector!r})"):
                    return
            pytest.fail(f"Tab never reached {selector}")

        tab_to("#name")
        page.keyboard.type(NAME)
        tab_to("#country")
        page.keyboard.type("Deutschland")  # a closed <select> picks by typing
        assert page.eval_on_selector("#country", "e => e.value") == "DE"
        tab_to("button.primary")
        page.keyboard.press("Enter")
        page.wait_for_selector("figure.preview img")
        tab_to("button.primary")  # the first button of the preview: Download PDF
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        text = _read_pdf(info.value, tmp_path)
        assert BERLIN_FAX in text and NAME in text and DEMAND_DE in text
    finally:
        context.close()


def test_the_page_works_without_javascript(server: tuple[str, Path], browser: Any) -> None:
    url, _ = server
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(url)
        assert not page.locator("#office-filter").is_visible()
        page.select_option("#find-country", "DZ")
        page.click("text=Find the office")
        assert "accredited to Algeria from abroad" in page.locator(".routed").inner_text()
        page.click("button.primary")  # no name: the message stands beside the field
        assert page.locator("#name-error").inner_text() == "Please give your name."
        page.locator("#form-heading").scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "form-errors-no-js.png")
        page.click(".summary a")  # the summary's link leads to the field
        assert page.evaluate("location.hash") == "#name"
        page.fill("#name", "Ann")
        page.select_option("#country", "DZ")
        page.click("button.primary")
        page.wait_for_selector("figure.preview img")
        assert "Cairo" in page.locator(".to").inner_text()
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
