"""The supporter page through Flask's test client: every route, every form error beside its
field, CSRF refusal, limits, headers, and the letters read back from the files served."""

from __future__ import annotations

import base64
import html
import io
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import SEED_CAMPAIGN, flat, pdftotext
from lettergen.web import Site, create_app
from lettergen.web.security import CSRF_COOKIE

BERLIN_FAX = "+49 30 47007125"
NAME = "Анна Смирнова"


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SEED_CAMPAIGN)


@pytest.fixture
def client(site: Site) -> Any:
    return create_app(site, letters_per_minute=0).test_client()


def token(client: Any, url: str = "/") -> str:
    response = client.get(url)
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def post(client: Any, url: str, **fields: str) -> Any:
    data = {"csrf_token": token(client), "lang": "en", **fields}
    return client.post(url, data=data)


def same_wording(office_id: str, *names: str) -> tuple[str, str]:
    """Two of the names whose letters to the office take the same wording."""
    from lettergen.compose.variants import Choice

    by_wording: dict[int | None, list[str]] = {}
    for name in names:
        by_wording.setdefault(Choice.single(office_id, name).number, []).append(name)
    pair = next(found for found in by_wording.values() if len(found) > 1)
    return pair[0], pair[1]


def assert_tiles_are_the_page(markup: str, page: Any) -> int:
    """A preview page's PNG tiles, stacked, are the PDF's page as pdfium draws it, pixel for
    pixel; how many tiles it took."""
    from PIL import Image

    tiles = [
        Image.open(io.BytesIO(base64.b64decode(png)))
        for png in re.findall(r'src="data:image/png;base64,([^"]+)"', markup)
    ]
    assert all(t.format == "PNG" and t.width == 794 for t in tiles)
    shown = Image.new("L", (794, sum(t.height for t in tiles)))
    top = 0
    for tile in tiles:
        shown.paste(tile, (0, top))
        top += tile.height
    drawn = page.render(scale=794 / page.get_width(), grayscale=True).to_pil().convert("L")
    assert shown.size == drawn.size and shown.height > shown.width
    assert shown.tobytes() == drawn.tobytes()
    return len(tiles)


class Fields(HTMLParser):
    """Each form field's block (div.field): its control's id and the error text inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[dict[str, str]] = []
        self.depth = 0
        self.in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div":
            if "field" in (a.get("class") or "").split():
                self.blocks.append({"error": "", "control": "", "described": ""})
                self.depth = 1
            elif self.depth:
                self.depth += 1
        if not self.depth:
            return
        if tag == "p" and "error" in (a.get("class") or ""):
            self.in_error = True
        if tag in ("input", "select") and a.get("name"):
            self.blocks[-1]["control"] = a["name"] or ""
            self.blocks[-1]["described"] = a.get("aria-describedby") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.in_error = False
        if tag == "div" and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_error and self.blocks:
            self.blocks[-1]["error"] += data


def errors_by_field(html: str) -> dict[str, str]:
    parser = Fields()
    parser.feed(html)
    found = {}
    for block in parser.blocks:
        if block["error"].strip():
            # The message is tied to its control for screen readers too.
            assert f"{block['control']}-error" in block["described"].split()
            found[block["control"]] = block["error"].strip()
    return found


# The campaign page


def test_campaign_page_in_the_default_language(client: Any, site: Site) -> None:
    response = client.get("/")
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert site.campaign.subject["en"] in text
    for demand in site.campaign.demands["en"]:
        assert demand in text
    assert "Day of action: 7 September 2002" in text
    assert '<label for="name">Your name</label>' in text
    assert response.headers["Content-Language"] == "en"


def test_accept_language_picks_the_supporters_language(client: Any, site: Site) -> None:
    response = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    text = html.unescape(response.text)
    assert site.campaign.subject["de"] in text
    assert site.campaign.demands["de"][0] in text
    assert "Aktionstag: 7. September 2002" in response.text
    assert '<html lang="de"' in response.text


def test_the_switcher_offers_every_campaign_language(client: Any, site: Site) -> None:
    text = client.get("/?lang=ru", headers={"Accept-Language": "de"}).text
    assert site.campaign.subject["ru"] in text
    for code in site.languages:
        assert f'href="?lang={code}"' in text
    assert 'hreflang="de" lang="de"' in text and ">Deutsch<" in text


def found(text: str) -> str:
    """The words the page says about where the letter goes (its live region)."""
    match = re.search(r'<div class="found[^"]*"[^>]*>(.*?)</div>', text, re.S)
    assert match, "the page has the place that names the office"
    return flat(re.sub(r"<[^>]+>", "", match.group(1)))


def test_a_country_shows_its_office_through_routing(client: Any) -> None:
    """The office in plain words: as the letter's address names it, and where it is."""
    assert found(client.get("/?lang=en").text) == ""
    text = client.get("/?country=DE&lang=en").text
    assert found(text) == (
        "Your letter will go to: Embassy of the Republic of Kazakhstan, Berlin, Germany."
    )
    assert '<option value="DE" data-office="de-berlin-embassy" selected>' in text
    # Algeria has no embassy: the ambassador in Cairo covers it, and the page says so.
    assert found(client.get("/?country=DZ&lang=en").text) == (
        "Your letter will go to: Embassy of the Republic of Kazakhstan, Cairo, Egypt. "
        "This office also covers Algeria."
    )
    assert found(client.get("/?country=AQ&lang=en").text) == (
        "No office handles Antarctica: please choose an embassy, consulate or mission from the "
        "list below."
    )
    # In each page language, "office" is named for what it is.
    assert found(client.get("/?country=DE&lang=de").text).startswith(
        "Ihr Brief geht an: Botschaft der Republik Kasachstan, Berlin, Deutschland."
    )
    text = client.get("/?lang=ru").text
    label = "Или выберите посольство, консульство или миссию сами"
    assert f'<label for="office">{label}</label>' in text


def test_every_country_in_the_list_finds_its_office_or_says_why(client: Any) -> None:
    """Each country the form offers routes without an error: no choice gives a supporter a
    server error (CLDR's own codes for places ISO does not list, such as IC or XK, once did)."""
    page = client.get("/?lang=en").text
    offered = re.findall(r'<option value="([A-Z]{2})"', page)
    assert len(offered) > 200 and "IC" not in offered and "XK" not in offered
    for code in offered:
        response = client.get(f"/?country={code}&lang=en")
        assert response.status_code == 200, code
        assert found(response.text).startswith(("Your letter will go to:", "No office handles")), (
            code
        )


def test_every_office_is_in_the_list(client: Any, site: Site) -> None:
    text = client.get("/").text
    for office in site.offices:
        assert f'<option value="{office.id}"' in text


def test_page_weight_before_the_preview_is_under_100_kB(client: Any) -> None:
    html = client.get("/", headers={"Accept-Language": "de"}).data
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert {a.rsplit(b".", 1)[-1] for a in assets} == {b"css", b"js"}
    total = len(html)
    for asset in assets:
        with client.get(asset.decode()) as response:  # a file response: close it
            total += len(response.data)
    assert total < 100_000, f"{total} bytes"


def test_no_inline_script_or_style_and_no_third_party_assets(client: Any) -> None:
    for page in (client.get("/").text, post(client, "/letter", name="A", country="DE").text):
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
        assert "<style" not in page and " style=" not in page
        for url in re.findall(r'(?:href|src)="([^"#?]+)', page):
            assert url.startswith(("/", "data:image/png")), url


def test_the_page_speaks_each_campaign_language(client: Any, site: Site) -> None:
    """Every language of the campaign has the page's words, with the same placeholders."""
    import string
    from importlib import resources

    import yaml

    def keys(data: dict[str, Any], prefix: str = "") -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                found.update(keys(value, f"{prefix}{key}."))
            else:
                fields = {f for _, f, _, _ in string.Formatter().parse(value) if f}
                found[prefix + key] = fields
        return found

    folder = resources.files("lettergen.web").joinpath("strings")
    english = keys(yaml.safe_load(folder.joinpath("en.yaml").read_text(encoding="utf-8")))
    for lang in site.languages:
        words = keys(yaml.safe_load(folder.joinpath(f"{lang}.yaml").read_text(encoding="utf-8")))
        assert set(words) <= set(english), f"{lang}: unknown {set(words) - set(english)}"
        missing = set(english) - set(words)
        assert missing <= {k for k in english if k.startswith("admin_")}, f"{lang}: {missing}"
        for key, fields in words.items():
            assert fields == english[key], f"{lang}: {key}"
    text = client.get("/?lang=fr").text
    assert "À qui envoyer votre lettre ?" in html.unescape(text)


# Security


def test_security_headers_on_every_response(client: Any) -> None:
    with client.get("/static/style.css") as stylesheet:
        stylesheet.close()
    responses = [
        stylesheet,
        client.get("/"),
        client.get("/nowhere"),
        post(client, "/letter", name="A", country="DE"),
        post(client, "/letter.pdf", name="A", country="DE"),
    ]
    for response in responses:
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        if response.mimetype == "text/html" or response.mimetype == "application/pdf":
            assert response.headers["Cache-Control"] == "no-store"


def test_the_only_cookie_is_the_csrf_token(client: Any) -> None:
    cookies = client.get("/").headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    assert cookies[0].startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookies[0] and "SameSite=Strict" in cookies[0]


@pytest.mark.parametrize("url", ["/letter", "/letter.pdf", "/letter.docx", "/", "/fax"])
def test_a_form_without_its_csrf_token_is_refused(client: Any, url: str) -> None:
    good = token(client)
    missing = client.post(url, data={"name": "A", "country": "DE"})
    wrong = client.post(url, data={"csrf_token": good[::-1], "name": "A", "country": "DE"})
    for response in (missing, wrong):
        assert response.status_code == 403
        assert "The form had expired" in response.text
        assert response.headers["Content-Type"].startswith("text/html")


def test_a_token_from_another_browser_is_refused(site: Site) -> None:
    """The token must match this browser's cookie, not any token the server ever gave."""
    first = create_app(site).test_client()
    other = create_app(site).test_client()
    stolen = token(first)
    token(other)  # the other browser has a cookie of its own
    response = other.post("/letter", data={"csrf_token": stolen, "name": "A", "country": "DE"})
    assert response.status_code == 403


def test_a_large_request_is_refused(client: Any) -> None:
    response = post(client, "/letter", name="A" * 20_000, country="DE")
    assert response.status_code == 413
    assert "The form was too large" in response.text


def test_letters_are_rate_limited_per_address(site: Site) -> None:
    client = create_app(site, letters_per_minute=2).test_client()
    codes = [post(client, "/letter.docx", name="A", country="DE").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "please wait a minute" in post(client, "/letter", name="A", country="DE").text
    other = client.post(
        "/letter.docx",
        data={"csrf_token": token(client), "name": "A", "country": "DE"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert other.status_code == 200


def test_what_a_supporter_types_is_escaped(client: Any) -> None:
    script = "<script>alert(1)</script>"
    response = post(client, "/", name=script, town='"><img src=x>')
    assert script not in response.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert '"><img' not in response.text


# Form errors, each beside its field


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "", "country": "DE"}, "name", "Please give your name."),
        ({"name": "   ", "country": "DE"}, "name", "Please give your name."),
        ({"name": "A\x07B", "country": "DE"}, "name", "holds a control character"),
        ({"name": "Anna \u202eavon", "country": "DE"}, "name", "text-direction control"),
        ({"name": "A" * 201, "country": "DE"}, "name", "This is too long."),
        ({"name": "A", "organisation": "O" * 201, "country": "DE"}, "organisation", "too long"),
        ({"name": "A", "town": "\x00", "country": "DE"}, "town", "control character"),
        ({"name": "A", "email": "anna@", "country": "DE"}, "email", "not look like an e-mail"),
        ({"name": "A", "country": "XX"}, "country", "Please pick a country from the list."),
        ({"name": "A", "office": "nowhere"}, "office", "Please choose an embassy, consulate or"),
        # Nothing chosen: the country is what needs her, not a list she never opened.
        ({"name": "A"}, "country", "Please choose your country, or an embassy, consulate or"),
        ({"name": "A", "country": "AQ"}, "country", "No office handles this country"),
    ],
)
def test_each_form_error_is_shown_beside_its_field(
    client: Any, fields: dict[str, str], field: str, message: str
) -> None:
    response = post(client, "/letter", **fields)
    assert response.status_code == 400
    assert "Please check the fields marked below." in response.text
    # The summary at the top links to the field, for keyboard and screen reader users.
    assert f'<li><a href="#{field}">' in response.text
    errors = errors_by_field(response.text)
    assert list(errors) == [field]
    assert message in errors[field]


def test_all_errors_are_shown_at_once_and_what_was_typed_is_kept(client: Any) -> None:
    response = post(client, "/letter", name="", email="nope", town="Köln", country="DE")
    assert set(errors_by_field(response.text)) == {"name", "email"}
    assert 'value="Köln"' in response.text
    assert '<option value="DE" data-office="de-berlin-embassy" selected>' in response.text
    # The title says so too: a screen reader announces it first.
    assert "<title>Error: Saken Zhanusov" in response.text


def test_errors_in_the_supporters_language(client: Any) -> None:
    response = client.post(
        "/letter", data={"csrf_token": token(client), "lang": "de", "name": "", "country": "DE"}
    )
    assert errors_by_field(response.text) == {"name": "Bitte geben Sie Ihren Namen an."}


# The letter


#: Numbers are set left to right, on a right-to-left page too.
LTR = 'dir="ltr"'
ABROAD, INSIDE = '<dt>From abroad</dt><dd class="number"', "<dt>Inside the country"


def test_preview_shows_the_whole_letter_and_the_fax_numbers(client: Any) -> None:
    import pypdfium2

    response = post(client, "/letter", name=NAME, town="Köln", country="DE")
    assert response.status_code == 200
    text = flat(response.text)
    assert found(response.text) == (
        "Your letter will go to: Embassy of the Republic of Kazakhstan, Berlin, Germany."
    )
    # The number grouped as people read it, and where its local form is dialled.
    assert f"{ABROAD} {LTR}>+49 30 4700 7125</dd>" in text
    assert f'{INSIDE} (Germany)</dt><dd class="number" {LTR}>030 4700 7125</dd>' in text
    # "Fax it for me" is not offered where the group did not turn it on.
    assert "Fax it for me" not in text
    # The letter's words as text, for a phone's screen and a screen reader.
    letter = flat(
        re.sub(r"<[^>]+>", " ", text.split('<div class="letter"')[1].split("</section>")[0])
    )
    for words in (NAME, "Köln", "Germany", "7 September 2002", "Release Saken Zhanusov"):
        assert words in letter, words
    pdf = post(client, "/letter.pdf", name=NAME, town="Köln", country="DE").data
    document = pypdfium2.PdfDocument(pdf)
    pages = re.findall(r'<div class="page">(.*?)</div>', response.text)
    assert len(pages) == len(document) >= 1  # every page: the signature stands on the last
    for page, markup in zip(document, pages, strict=True):
        assert_tiles_are_the_page(markup, page)
    # Her letterhead (first page) and her signature (last) are drawn for her: each page
    # that holds them is tiled.
    assert len(re.findall(r'<div class="page"><img[^>]*><img', response.text)) == len(pages)
    assert 'alt="Page 2 of your letter"' in response.text or len(pages) == 1
    # Every button posts the same fields again: nothing is kept between the steps.
    assert response.text.count(f'name="name" value="{NAME}"') == 5
    assert response.headers.get("Set-Cookie") is None


def test_the_page_groups_the_fax_number_as_the_letter_prints_it(client: Any) -> None:
    """A number today's plan no longer knows (Moscow's 095, of 2002) keeps the directory's
    groups in the letter; the page shows it in the same groups, from abroad and inside Russia."""
    response = post(client, "/letter", name=NAME, town="Yerevan", country="AM")
    text = flat(response.text)
    assert f"{ABROAD} {LTR}>+7 095 208 26 50</dd>" in text
    assert f'{INSIDE} (Russia)</dt><dd class="number" {LTR}>095 208 26 50</dd>' in text
    pdf = post(client, "/letter.pdf", name=NAME, town="Yerevan", country="AM").data
    assert "+7 095 208 26 50" in flat(pdftotext(pdf))


def test_the_preview_keeps_the_offices_bands_and_draws_the_supporters(client: Any) -> None:
    """A page is cut around the supporter's parts (her letterhead and date line at the top,
    her signature at the foot): the office's bands are drawn once per worker and a second
    supporter's preview reuses them byte for byte; hers are her own."""

    def tiles(name: str) -> list[list[str]]:
        response = post(client, "/letter", name=name, town="Köln", country="DE", lang="de")
        pages = re.findall(r'<div class="page">(.*?)</div>', response.text)
        return [re.findall(r'src="data:image/png;base64,([^"]+)"', page) for page in pages]

    # Two supporters whose letters take the same wording of the phrasing variants (the same
    # text, so the same layout of the office's parts); names whose wordings differ differ here.
    one, other = same_wording("de-berlin-embassy", "Anna Weber", "Ida Schulz", "Eva Braun", "Jo Ko")
    first, second = tiles(one), tiles(other)
    assert [len(page) for page in first] == [len(page) for page in second]
    assert len(first[0]) >= 3  # the office's head, her letterhead, the office's text …
    pairs = [
        (a, b)
        for one, other in zip(first, second, strict=True)
        for a, b in zip(one, other, strict=True)
    ]
    assert first[0][0] == second[0][0]  # the office's: kept
    assert first[0][1] != second[0][1] and first[-1][-1] != second[-1][-1]  # hers
    assert sum(a == b for a, b in pairs) == len(pairs) - sum(a != b for a, b in pairs) >= 2


def test_preview_of_an_accredited_head_of_mission(client: Any) -> None:
    assert found(post(client, "/letter", name="A", country="DZ").text) == (
        "Your letter will go to: Embassy of the Republic of Kazakhstan, Cairo, Egypt. "
        "This office also covers Algeria."
    )


def test_the_pdf_is_the_letter_to_the_office_with_the_supporters_name(client: Any) -> None:
    response = post(client, "/letter.pdf", name=NAME, town="Köln", country="DE")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="letter-de-berlin-embassy.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    text = flat(pdftotext(response.data))
    assert BERLIN_FAX in text and NAME in text and "Köln, Germany" in text
    assert "Nordendstraße 14-17" in text
    assert "Release Saken Zhanusov immediately." in text


def test_the_worker_keeps_no_supporters_signature(client: Any, site: Site) -> None:
    """The office's layout is kept for the next supporter; the signature is not, not even in
    memory: the layouts hold placeholders where the names go."""
    name = "Zoë Kept-Nowhere"
    assert post(client, "/letter.pdf", name=name, town="Köln", country="DE").status_code == 200
    assert post(client, "/letter", name=name, town="Köln", country="DE").status_code == 200
    stamps = site._stamps
    assert stamps is not None and len(stamps.layouts) >= 1 and len(stamps.parts) == 0
    for key in list(stamps.layouts._entries):
        layout = stamps.layouts.get(key)
        assert layout is not None and "Zo" not in pdftotext(layout.data)


def test_print_opens_the_pdf_inline(client: Any) -> None:
    response = post(client, "/letter.pdf", name="A", country="DE", inline="1")
    assert response.headers["Content-Disposition"].startswith("inline;")


def test_a_chosen_office_wins_over_the_country(client: Any) -> None:
    response = post(
        client, "/letter.pdf", name="A", country="DE", office="de-frankfurt-consulate-general"
    )
    assert response.status_code == 200
    text = flat(pdftotext(response.data))
    assert "Untermainkai 44" in text and BERLIN_FAX not in text


def test_the_name_is_cleaned_as_the_signers_file_is(client: Any) -> None:
    decomposed = "Jose\u0301 Mu\u200bn\u0303oz"  # combining accents and a zero-width space
    text = pdftotext(post(client, "/letter.pdf", name=decomposed, country="DE").data)
    assert "José Muñoz" in text


@pytest.mark.parametrize(
    "name",
    [
        "Jose\u0301 Mun\u0303oz",
        "Anna Smir\u200bnova",
        "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627",  # a joiner that shapes Persian
        "  Maria Lopez ",
        "\u202eevil",
        "A\x07B",
        "A" * 201,
    ],
)
def test_the_form_and_the_signers_file_agree(name: str) -> None:
    """What the page accepts, and how it cleans it, is what --signer and the CSV do."""
    from lettergen.campaign.signers import signer_named
    from lettergen.errors import InputError
    from lettergen.web.forms import LIMITS, Problem, clean

    try:
        expected: str | None = signer_named(name).name
    except InputError:
        expected = None
    try:
        got: str | None = clean(name, LIMITS["name"])
    except Problem:
        got = None
    assert got == expected


def test_the_docx_carries_the_letter(client: Any) -> None:
    import docx

    response = post(client, "/letter.docx", name=NAME, country="DE", lang="de")
    assert response.status_code == 200
    paragraphs = [p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs]
    joined = "\n".join(paragraphs)
    assert NAME in joined
    assert "Saken Zhanusov" in joined


def test_the_tiff_is_a_fax_image(client: Any) -> None:
    from PIL import Image

    response = post(client, "/letter.tiff", name=NAME, country="DE")
    assert response.headers["Content-Type"] == "image/tiff"
    image = Image.open(io.BytesIO(response.data))
    assert image.width == 1728 and image.mode == "1"
    assert image.tag_v2[259] == 3  # compression: CCITT Group 3


def test_change_brings_back_the_form_filled_in(client: Any) -> None:
    response = post(client, "/", name=NAME, town="Köln", country="DE", office="")
    assert response.status_code == 200
    assert f'value="{NAME}"' in response.text and 'value="Köln"' in response.text


def test_fax_it_for_me_says_it_is_not_configured(client: Any) -> None:
    response = post(client, "/fax", name=NAME, country="DE")
    assert response.status_code == 503
    assert "does not send faxes" in response.text


def test_a_failing_letter_is_a_page_not_a_traceback(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from lettergen.errors import RenderError

    client = create_app(site).test_client()

    def broken(letter: Any) -> bytes:
        raise RuntimeError("the renderer broke")

    monkeypatch.setattr(site, "pdf", broken)
    response = post(client, "/letter.pdf", name=NAME, country="DE")
    assert response.status_code == 500
    assert "Something went wrong while making your letter" in response.text
    assert "Traceback" not in response.text and "renderer broke" not in response.text
    assert response.headers["Content-Security-Policy"]

    def refused(letter: Any) -> bytes:
        raise RenderError("could not render the PDF: no fonts")

    monkeypatch.setattr(site, "pdf", refused)
    monkeypatch.setattr(site, "stamped", refused)  # the preview's PDF
    response = post(client, "/letter", name=NAME, country="DE")
    assert response.status_code == 500
    assert "could not render the PDF: no fonts" in response.text
    # What the supporter typed is in no log record.
    assert all(NAME not in record.getMessage() for record in caplog.records)


def test_unknown_pages_and_formats(client: Any) -> None:
    assert client.get("/nowhere").status_code == 404
    assert post(client, "/letter.exe", name="A", country="DE").status_code == 404
    assert client.get("/letter").status_code == 405


# The group's counts


def test_admin_is_off_unless_asked_for(client: Any) -> None:
    assert client.get("/admin").status_code == 404


def test_admin_counts_letters_per_office_and_language_without_names(
    site: Site, tmp_path: Path
) -> None:
    counts = tmp_path / "counts.sqlite"
    client = create_app(site, admin_password="s3cret", counts=counts).test_client()
    assert client.get("/admin").status_code == 401
    wrong = base64.b64encode(b"admin:wrong").decode()
    assert client.get("/admin", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    post(client, "/letter", name=NAME, country="DE")
    post(client, "/letter.pdf", name=NAME, country="DE")
    post(client, "/letter.pdf", name="Other", country="DZ", lang="de")
    with sqlite3.connect(counts) as db:
        rows = sorted(db.execute("SELECT office, language, kind, count FROM letters"))
    assert rows == [
        ("de-berlin-embassy", "en", "pdf", 1),
        ("de-berlin-embassy", "en", "preview", 1),
        ("eg-cairo-embassy", "de", "pdf", 1),
    ]
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert NAME.encode() not in stored and b"Other" not in stored
    good = base64.b64encode(b"admin:s3cret").decode()
    response = client.get("/admin", headers={"Authorization": f"Basic {good}"})
    assert response.status_code == 200
    assert "3 letters in all" in response.text
    assert "Berlin — embassy (Germany)" in response.text


# The command


def test_serve_help_and_admin_needs_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from lettergen.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["serve", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Serve the supporter page of CAMPAIGN" in result.output
    assert "--host" in result.output and "127.0.0.1" in result.output
    monkeypatch.delenv("LETTERGEN_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(cli, ["serve", "free-zhanusov-2002", "--admin"])
    assert result.exit_code == 2
    assert "--admin needs a password in $LETTERGEN_ADMIN_PASSWORD" in result.output


def test_serve_refuses_an_unknown_campaign() -> None:
    from lettergen.cli import cli

    result = CliRunner().invoke(cli, ["serve", "no-such-campaign"])
    assert result.exit_code == 1
    assert "no campaign named 'no-such-campaign'" in result.output


def _flat_strings(data: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(data, dict):
        found: dict[str, str] = {}
        for key, value in data.items():
            found.update(_flat_strings(value, f"{prefix}{key}."))
        return found
    return {prefix.rstrip("."): str(data)}


@pytest.mark.parametrize("lang", ["de", "fr", "es", "ru"])
def test_every_page_string_is_translated_with_the_same_placeholders(lang: str) -> None:
    """The page falls back to English for a missing string; none should need to, and a
    translation must keep every {placeholder} (else a value silently goes missing)."""
    import yaml

    folder = Path(__file__).resolve().parents[2] / "src" / "lettergen" / "web" / "strings"
    english = _flat_strings(yaml.safe_load((folder / "en.yaml").read_text("utf-8")))
    other = _flat_strings(yaml.safe_load((folder / f"{lang}.yaml").read_text("utf-8")))
    assert sorted(set(english) - set(other)) == []
    assert sorted(set(other) - set(english)) == []
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", other[key])) == set(re.findall(r"{(\w+)}", text)), key
