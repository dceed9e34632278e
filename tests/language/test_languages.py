"""Letter languages: each shipped language's letters read right, in fonts that have every glyph;
Arabic lays out right to left; `lang check` catches what a translation lacks; `--lang auto`
picks the office's language; a new language can be added by following the translator's guide."""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from click.testing import CliRunner
from fontTools.ttLib import TTFont

from conftest import FIXTURES, SEED_CAMPAIGN, flat, pdftotext, plain
from lettergen import campaign as campaigns
from lettergen import lang as langcheck
from lettergen import paths
from lettergen.batch import run as batch
from lettergen.cli import cli
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.letter import Letter
from lettergen.directory.model import load_directories
from lettergen.errors import InputError, TemplateError
from lettergen.language import languages as i18n
from lettergen.language.languages import auto_language
from lettergen.render.pdf import FONTS, render_pdf
from lettergen.util import yamlio

LANG = FIXTURES / "lang"
OFFICES = LANG / "offices.yaml"
TEMPLATES = paths.shipped_templates()
AR_CAMPAIGN = FIXTURES / "campaign-ar.yaml"

#: Per language: an office in a country that speaks it, the addressee's first line, the
#: salutation, the closing and the date as the letter must print them.
EXPECTED = {
    "en": ("de-berlin-embassy", "H.E. the Ambassador of the Republic of Kazakhstan",
           "Your Excellency,", "Yours faithfully,", "7 September 2002"),
    "de": ("de-berlin-embassy", "Seiner Exzellenz dem Botschafter der Republik Kasachstan",
           "Exzellenz,", "Mit vorzüglicher Hochachtung", "7. September 2002"),
    "fr": ("fr-paris-embassy", "Son Excellence l'Ambassadeur de la République du Kazakhstan",
           "Monsieur l'Ambassadeur,",
           "Veuillez agréer, Monsieur l'Ambassadeur, l'assurance de ma très haute considération.",
           "7 septembre 2002"),
    "es": ("es-madrid-embassy", "Excelentísimo Señor Embajador de la República de Kazajistán",
           "Excelentísimo Señor Embajador:", "Con el testimonio de mi más alta consideración,",
           "7 de septiembre de 2002"),
    "ru": ("ru-moscow-embassy", "Послу Республики Казахстан", "Ваше Превосходительство!",
           "С глубоким уважением,", "7 сентября 2002 г."),
}  # fmt: skip


@pytest.fixture(scope="module")
def offices() -> Any:
    return load_directories(OFFICES)


@pytest.fixture(scope="module")
def seed() -> Any:
    return campaigns.load(SEED_CAMPAIGN)


def letter_to(
    campaign: Any, offices: Any, office_id: str, lang: str, country: str | None = None
) -> Letter:
    office = offices.get(office_id)
    return compose_letter(
        campaign, Recipient(office, country or office.country), lang=lang, state="KZ"
    )


@pytest.fixture(scope="module")
def rendered(seed: Any, offices: Any) -> dict[str, tuple[Letter, bytes]]:
    """One PDF per shipped language (the Arabic one from the Arabic test campaign)."""
    result = {}
    for lang, (office_id, *_) in EXPECTED.items():
        letter = letter_to(seed, offices, office_id, lang)
        result[lang] = (letter, render_pdf(letter).data)
    arabic = letter_to(campaigns.load(AR_CAMPAIGN), offices, "eg-cairo-embassy", "ar")
    result["ar"] = (arabic, render_pdf(arabic).data)
    return result


# --- what each letter says ---------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_pdf_shows_salutation_date_and_every_demand(
    lang: str, rendered: dict[str, tuple[Letter, bytes]], seed: Any
) -> None:
    _, addressee, salutation, closing, date = EXPECTED[lang]
    text = plain(flat(pdftotext(rendered[lang][1])))
    assert addressee in text
    assert salutation in text
    assert closing in text
    city = {"fr": "Londres", "es": "Londres", "ru": "Лондон"}.get(lang, "London")
    assert f"{city}, {'le ' if lang == 'fr' else ''}{date}" in text
    assert seed.subject[lang] in text
    for demand in seed.demands[lang]:
        assert plain(flat(demand)) in text, demand


def test_arabic_letter_says_it_all(rendered: dict[str, tuple[Letter, bytes]]) -> None:
    letter, _ = rendered["ar"]
    assert letter.direction == "rtl"
    assert letter.salutation == "صاحب السعادة،"
    assert "1 سبتمبر 2002" in letter.date
    assert letter.demands == list(campaigns.load(AR_CAMPAIGN).demands["ar"])


#: (language, office, country written about or None, first addressee line, salutation)
FORMS = [
    ("de", "ch-geneva-un-mission", None,
     "Seiner Exzellenz dem Ständigen Vertreter der Republik Kasachstan"
     " beim Büro der Vereinten Nationen in Genf", "Exzellenz,"),
    ("de", "de-frankfurt-consulate-general", None,
     "Generalkonsulat der Republik Kasachstan", "Sehr geehrte Damen und Herren,"),
    ("de", "be-brussels-embassy", "NL",
     "Seiner Exzellenz dem Botschafter der Republik Kasachstan in den Niederlanden", "Exzellenz,"),
    ("fr", "ch-geneva-un-mission", None,
     "Son Excellence le Représentant permanent de la République du Kazakhstan"
     " auprès de l'Office des Nations Unies à Genève", "Monsieur l'Ambassadeur,"),
    ("fr", "de-frankfurt-consulate-general", None,
     "Monsieur le Consul général de la République du Kazakhstan", "Monsieur le Consul général,"),
    ("fr", "be-brussels-embassy", "LU",
     "Son Excellence l'Ambassadeur de la République du Kazakhstan au Luxembourg",
     "Monsieur l'Ambassadeur,"),
    ("es", "us-new-york-un-mission", None,
     "Excelentísimo Señor Representante Permanente de la República de Kazajistán"
     " ante las Naciones Unidas", "Excelentísimo Señor Embajador:"),
    ("es", "cz-prague-mission", None,
     "A la atención de la dirección de la Misión de la República de Kazajistán",
     "Señoras y señores:"),
    ("ru", "ch-geneva-un-mission", None,
     "Постоянному представителю Республики Казахстан при Отделении ООН"
     " и других международных организациях в Женеве", "Ваше Превосходительство!"),
    ("ru", "de-frankfurt-consulate-general", None,
     "Генеральному консулу Республики Казахстан", "Уважаемый господин Генеральный консул!"),
    ("ru", "eg-cairo-embassy", "DZ",
     "Послу Республики Казахстан в Алжире", "Ваше Превосходительство!"),
    ("ru", "cn-urumqi-visa-office", None,
     "Руководителю паспортной и визовой службы Республики Казахстан", "Уважаемые дамы и господа!"),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "office_id", "country", "line", "salutation"), FORMS)
def test_forms_of_address(
    lang: str,
    office_id: str,
    country: str | None,
    line: str,
    salutation: str,
    seed: Any,
    offices: Any,
) -> None:
    letter = letter_to(seed, offices, office_id, lang, country)
    assert plain(letter.addressee[0]) == line
    assert letter.salutation == plain(letter.salutation) == salutation or (
        plain(letter.salutation) == salutation
    )


def test_accredited_letters_name_the_country_in_its_grammatical_form(
    seed: Any, offices: Any
) -> None:
    body = {
        lang: " ".join(
            b.text for b in letter_to(seed, offices, "eg-cairo-embassy", lang, "DZ").body[:1]
        )  # type: ignore[union-attr]
        for lang in ("de", "fr", "es", "ru")
    }
    body = {lang: plain(text) for lang, text in body.items()}
    assert (
        "in Ihrer Eigenschaft als Botschafter der Republik Kasachstan, akkreditiert in Algerien"
        in body["de"]
    )
    assert (
        "en votre qualité d'ambassadeur de la République du Kazakhstan accrédité en Algérie"
        in body["fr"]
    )
    assert (
        "en su calidad de embajador de la República de Kazajistán acreditado en Argelia"
        in body["es"]
    )
    # In the wording of the opening this office and country get: "как (к) Послу …, аккредитованному
    # в Алжире" or "как Посла …, аккредитованного в Алжире".
    assert re.search(r"Посл[уа] Республики Казахстан, аккредитованно(му|го) в Алжире", body["ru"])


def test_german_prose_starts_lower_case_after_the_salutation(
    rendered: dict[str, tuple[Letter, bytes]],
) -> None:
    letter, _ = rendered["de"]
    text = letter.body[0].text  # type: ignore[union-attr]
    # Whichever wording of the opening (phrasing variants) the letter takes.
    assert text.startswith(("ich wende mich an Sie", "ich schreibe Ihnen", "mit diesem Schreiben"))


# --- glyphs --------------------------------------------------------------------------------


@dataclass
class EmbeddedFont:
    family: str  # "Liberation Sans", "Noto Naskh Arabic"
    glyphs: int  # how many glyphs the embedded subset holds
    covered: set[int]  # code points it has a real glyph for


def to_unicode(cmap: bytes) -> dict[int, set[int]]:
    """A ToUnicode CMap: glyph id → the code points it stands for (bfchar and bfrange)."""
    text = cmap.decode("latin-1")
    found: dict[int, set[int]] = {}

    def chars(hexes: str) -> set[int]:
        return {ord(c) for c in bytes.fromhex(hexes).decode("utf-16-be")}

    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for glyph, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            found.setdefault(int(glyph, 16), set()).update(chars(target))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for first, last, target in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            for offset in range(int(last, 16) - int(first, 16) + 1):
                found.setdefault(int(first, 16) + offset, set()).add(int(target, 16) + offset)
    return found


def embedded_fonts(doc: Any, page: Any) -> dict[str, EmbeddedFont]:
    """The fonts of a page by resource name. A code point is covered if the subset's own cmap
    maps it (read with fontTools), or if ToUnicode says a real glyph of the subset stands for it:
    a glyph drawn in a contextual form (an Arabic letter joined to its neighbours) is left out
    of a subset's cmap. A glyph id the subset does not have is no glyph at all."""
    fonts = {}
    for name, font in page.Resources.Font.items():
        data = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
        tt = TTFont(io.BytesIO(data))
        glyphs = tt["maxp"].numGlyphs
        covered = set(tt.getBestCmap() or {})
        if "/ToUnicode" in font:
            for glyph, points in to_unicode(font.ToUnicode.read_bytes()).items():
                if 0 < glyph < glyphs:
                    covered |= points
        postscript = str(font.BaseFont).split("+", 1)[-1].removeprefix("/")
        family = re.sub(r"-(Bold|Italic|Oblique|Bold-Italic)$", "", postscript).replace("-", " ")
        fonts[str(name)] = EmbeddedFont(family, glyphs, covered)
    return fonts


def glyph_report(pdf: bytes) -> tuple[set[str], set[int], int]:
    """(families embedded, code points covered, glyphs drawn that the font lacks). Every font is
    Identity-H, so each two bytes of a shown string is a glyph id; a missing glyph is drawn as
    0 (.notdef, the empty box) or as an id past the end of the subset (Pango's "unknown")."""
    families: set[str] = set()
    covered: set[int] = set()
    bad = 0
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            fonts = embedded_fonts(doc, page)
            families |= {f.family for f in fonts.values()}
            covered = covered.union(*(f.covered for f in fonts.values()))
            current = None
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    current = fonts[str(operands[0])]
                if str(operator) not in ("Tj", "TJ") or current is None:
                    continue
                for item in operands[0] if str(operator) == "TJ" else [operands[0]]:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        ids = [
                            int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)
                        ]
                        bad += sum(not 0 < glyph < current.glyphs for glyph in ids)
    return families, covered, bad


def letter_characters(letter: Letter) -> set[str]:
    text = letter.plain_text() + letter.header + letter.page_label
    return {ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf"} - {"{", "}"}


@pytest.mark.parametrize("lang", [*sorted(EXPECTED), "ar"])
def test_every_character_has_a_glyph_in_the_embedded_fonts(
    lang: str, rendered: dict[str, tuple[Letter, bytes]]
) -> None:
    """Honest about three ways a glyph goes missing: a character no embedded font's cmap maps
    (the subsets' own cmaps, read with fontTools), a silent fallback to a font the letter does
    not name (Pango picks any installed font that has the glyph), and a .notdef box drawn."""
    letter, pdf = rendered[lang]
    families, covered, bad = glyph_report(pdf)
    assert families <= set(FONTS[letter.direction]), families
    missing = sorted(ch for ch in letter_characters(letter) if ord(ch) not in covered)
    assert not missing, f"no glyph for {missing}"
    assert bad == 0


@pytest.mark.parametrize("lang", ["de", "fr", "es", "ru"])
def test_every_character_of_the_language_is_in_the_letter_font(lang: str) -> None:
    """Beyond one letter: every character of the language's strings, prose and the seed
    campaign's texts is in Liberation Sans (the installed file's cmap)."""
    from lettergen.render.fonts import faces

    text = (TEMPLATES / lang / "strings.yaml").read_text(encoding="utf-8")
    text += (TEMPLATES / lang / "letter.md.j2").read_text(encoding="utf-8")
    seed = yaml.safe_load(SEED_CAMPAIGN.read_text(encoding="utf-8"))
    text += seed["subject"][lang] + seed["case"][lang] + "".join(seed["demands"][lang])
    for face in faces("Liberation Sans"):
        cmap = TTFont(face.path, fontNumber=0).getBestCmap()
        missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})
        assert not missing, f"{face.path.name} lacks {missing}"


# --- right to left -------------------------------------------------------------------------


def visual_lines(pdf: bytes) -> list[tuple[float, float, str]]:
    """(left, right, text in left-to-right visual order) of each line of the first page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    textpage = document[0].get_textpage()
    rows: dict[float, list[tuple[float, float, str]]] = {}
    for i in range(textpage.count_chars()):
        char = textpage.get_text_range(i, 1)
        left, bottom, right, top = textpage.get_charbox(i)
        if char in "\r\n" or right <= left:
            continue
        middle = (bottom + top) / 2
        key = next((k for k in rows if abs(k - middle) < 4), middle)
        rows.setdefault(key, []).append((left, right, char))
    lines = []
    for key in sorted(rows, reverse=True):
        chars = sorted(rows[key])
        lines.append((chars[0][0], chars[-1][1], "".join(c for _, _, c in chars)))
    document.close()
    return lines


def test_arabic_pdf_is_right_to_left_with_numbers_in_order(
    rendered: dict[str, tuple[Letter, bytes]],
) -> None:
    from lettergen.render.pdf import to_html

    letter, pdf = rendered["ar"]
    assert 'dir="rtl"' in to_html(letter)
    lines = visual_lines(pdf)
    # The Latin fax number reads left to right inside the Arabic sentence and the header.
    # (Compared without its spaces: pdfium places a space's box by its own rules in RTL lines;
    # pdftotext's word boxes and the rendered page show "+20 2 359 84 21".)
    assert sum("+2023598421" in re.sub(r"\s", "", text) for _, _, text in lines) >= 2, lines
    # The salutation and the closing end at the right margin (A4: 210 mm, margin 20 mm).
    right_margin = (210 - 20) / 25.4 * 72
    # (The Arabic closing formula stands without a comma.)
    for wanted in ("،ةداعسلا بحاص", "ريدقتلاو مارتحالا قئاف لوبقب اولضفتو"):
        left, right, _ = next(
            line for line in lines if re.sub(r"\s", "", line[2]) == wanted.replace(" ", "")
        )
        assert abs(right - right_margin) < 6, (wanted, right, right_margin)
        assert left > 250
    # The date keeps its day, month and year in Arabic order: "1 سبتمبر 2002", read right to left.
    assert any("2002ربمتبس1،ندنل" in re.sub(r"\s", "", text) for _, _, text in lines), lines


def test_english_pdf_is_left_to_right(rendered: dict[str, tuple[Letter, bytes]]) -> None:
    lines = visual_lines(rendered["en"][1])
    left, _, _ = next(line for line in lines if line[2] == "Your Excellency,")
    assert abs(left - 24 / 25.4 * 72) < 6  # the left margin: 24 mm


def test_arabic_docx_is_bidi(rendered: dict[str, tuple[Letter, bytes]]) -> None:
    from lettergen.render.docx import render_docx

    letter, _ = rendered["ar"]
    with zipfile.ZipFile(io.BytesIO(render_docx(letter).data)) as docx:
        xml = docx.read("word/document.xml").decode() + docx.read("word/styles.xml").decode()
    assert "<w:bidi" in xml
    assert "<w:rtl" in xml
    assert 'w:cs="Noto Naskh Arabic"' in xml


# --- choosing the language -----------------------------------------------------------------


def test_auto_language_from_cldr() -> None:
    have = ["de", "en", "es", "fr", "ru"]
    assert auto_language("AT", have, "en") == "de"
    assert auto_language("BE", have, "en") == "fr"  # Dutch first, but there is no Dutch template
    assert auto_language("KZ", have, "en") == "ru"
    assert auto_language("UA", have, "en") == "en"  # Russian is not official there
    assert auto_language("EG", have, "en") == "en"  # an Arabic template, but no Arabic texts
    assert auto_language("EG", [*have, "ar"], "en") == "ar"


def test_lang_auto_picks_each_office_language(seed: Any) -> None:
    prepared = batch.prepare(
        SEED_CAMPAIGN, everyone=True, language="auto", directory=OFFICES, include_no_fax=True
    )
    chosen = {job.recipient.office.id: job.language for job in list(prepared.plan.letters())}
    by_country: dict[str, set[str]] = {}
    for job in list(prepared.plan.letters()):
        by_country.setdefault(job.recipient.office.country, set()).add(job.language)
    assert by_country["DE"] == by_country["AT"] == by_country["CH"] == {"de"}
    assert by_country["FR"] == by_country["BE"] == {"fr"}
    assert by_country["ES"] == {"es"}
    assert by_country["RU"] == by_country["BY"] == by_country["KG"] == {"ru"}
    # Arabic now that the seed campaign has Arabic texts.
    assert by_country["EG"] == {"ar"}
    for country in ("US", "UA", "CZ", "CN"):
        assert by_country[country] == {"en"}, country
    assert chosen["ch-geneva-un-mission"] == "de"


def test_lang_auto_uses_a_campaign_language_only(offices: Any) -> None:
    prepared = batch.prepare(
        AR_CAMPAIGN,
        offices=["eg-cairo-embassy", "de-berlin-embassy"],
        language="auto",
        directory=OFFICES,
    )
    assert {j.recipient.office.id: j.language for j in list(prepared.plan.letters())} == {
        "eg-cairo-embassy": "ar",
        "de-berlin-embassy": "en",  # German templates, but the campaign has no German texts
    }


def test_batch_lang_auto_writes_each_language_and_says_which_are_drafts(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["batch", str(SEED_CAMPAIGN),
         "--offices", "at-vienna-embassy,fr-paris-embassy,kg-bishkek-embassy,ua-kiev-embassy",
         "--lang", "auto", "--format", "pdf,docx", "--directory", str(OFFICES),
         "-o", str(tmp_path)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "letters in 'de' use a draft translation" in result.output
    assert "Draft translations, not yet reviewed by a native speaker: de, fr, ru" in result.output
    manifest = yaml.safe_load(
        (tmp_path / "free-zhanusov-2002" / "manifest.json").read_text(encoding="utf-8")
    )
    rows = {(r["office_id"], r["format"]): r for r in manifest["letters"]}
    assert rows["at-vienna-embassy", "pdf"]["language"] == "de"
    assert rows["at-vienna-embassy", "docx"]["file"] == "de/at-vienna-embassy.docx"
    assert rows["fr-paris-embassy", "pdf"]["file"] == "fr/fr-paris-embassy.pdf"
    assert rows["kg-bishkek-embassy", "pdf"]["language"] == "ru"
    assert rows["ua-kiev-embassy", "pdf"]["language"] == "en"
    text = flat(pdftotext(tmp_path / "free-zhanusov-2002" / "ru" / "kg-bishkek-embassy.pdf"))
    assert "Ваше Превосходительство!" in text


def test_render_with_a_draft_language_warns(caplog: pytest.LogCaptureFixture) -> None:
    batch.prepare(SEED_CAMPAIGN, offices=["es-madrid-embassy"], language="es", directory=OFFICES)
    assert (
        "letters in 'es' use a draft translation, not yet reviewed by a native speaker"
        in caplog.text
    )


# --- lang check ----------------------------------------------------------------------------


def test_shipped_languages_are_clean() -> None:
    findings = langcheck.check()
    assert [f for f in findings if f.severity != "note"] == []
    # Arabic is shipped as a proof of right-to-left letters; the seed campaign has no Arabic.
    # Arabic has no hunspell dictionary in Debian: its spelling is not checked, and lang check
    # says so (no-dictionary).
    assert {f.code for f in findings} <= {"campaign-text", "no-dictionary"}
    assert {f.subject for f in findings} <= {"ar"}


def test_shipped_translations_are_drafts_that_follow_todays_english() -> None:
    hashes = langcheck.source_hashes()
    for lang in ("de", "fr", "es", "ru", "ar"):
        strings = yaml.safe_load((TEMPLATES / lang / "strings.yaml").read_text(encoding="utf-8"))
        assert strings["status"] == "draft"
        assert strings["source_hash"] == hashes, f"{lang}: run 'lettergen lang mark-current {lang}'"


def scaffold(tmp_path: Path) -> Path:
    """A templates folder with English and a Portuguese translation made as the translator's
    guide says: 'lang new pt', then the texts written into the files (keeping source_hash)."""
    root = tmp_path / "letter_templates"
    for name in ("en", "layout"):
        shutil.copytree(TEMPLATES / name, root / name)
    langcheck.new_language("pt", root)
    recorded = re.search(
        r"^source_hash:.*\n(?:[ \t]+.*\n)*", (root / "pt" / "strings.yaml").read_text(), re.M
    )
    assert recorded
    text = (LANG / "pt" / "strings.yaml").read_text(encoding="utf-8")
    (root / "pt" / "strings.yaml").write_text(
        text.replace("status: draft\n", "status: draft\n" + recorded[0])
    )
    shutil.copyfile(LANG / "pt" / "letter.md.j2", root / "pt" / "letter.md.j2")
    return root


def check_pt(root: Path, campaign: Path = LANG / "campaign-pt.yaml") -> list[langcheck.Finding]:
    found = langcheck.check(["pt"], templates=root, campaigns=[campaign], directories=OFFICES)
    # make install brings no Portuguese hunspell dictionary: the spelling check notes its absence.
    return [f for f in found if f.code != "no-dictionary"]


def test_the_portuguese_fixture_is_clean(tmp_path: Path) -> None:
    assert check_pt(scaffold(tmp_path)) == []


def apply(root: Path, broken: dict[str, Any]) -> None:
    for edit in (broken, broken.get("also")):
        if not edit:
            continue
        path = root / "pt" / edit["file"]
        text = path.read_text(encoding="utf-8")
        for old, new in edit.get("replace", []):
            assert old in text, f"fixture out of date: {old!r} not in {path.name}"
            text = text.replace(old, new)
        if "source_hash" in edit:
            block = re.compile(r"^source_hash:.*\n(?:[ \t]+.*\n)*", re.M)
            hashes = edit["source_hash"]
            new_block = (
                ""
                if hashes == "none"
                else "source_hash:\n" + "".join(f"  {k}: '{v}'\n" for k, v in hashes.items())
            )
            text = block.sub(new_block, text)
        path.write_text(text, encoding="utf-8")


BROKEN = sorted(p.stem for p in (LANG / "broken").glob("*.yaml"))


@pytest.mark.parametrize("case", BROKEN)
def test_lang_check_catches(case: str, tmp_path: Path) -> None:
    broken = yaml.safe_load((LANG / "broken" / f"{case}.yaml").read_text(encoding="utf-8"))
    root = scaffold(tmp_path)
    apply(root, broken)
    findings = check_pt(root)
    assert {f.code for f in findings} == set(broken["expect"]), [str(f) for f in findings]
    errors = [f for f in findings if f.severity == "error"]
    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(root)})
    result = runner.invoke(
        cli,
        ["lang", "check", "pt", "--campaign", str(LANG / "campaign-pt.yaml")],
        catch_exceptions=False,
    )
    assert result.exit_code == (1 if errors else 0), result.output


def test_lang_check_names_the_place(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    apply(
        root, yaml.safe_load((LANG / "broken" / "unknown-field.yaml").read_text(encoding="utf-8"))
    )
    messages = [langcheck.finding_line(f) for f in check_pt(root) if f.code == "unknown-field"]
    assert any(
        re.search(
            r"pt/strings\.yaml:\d+: addressees\.ambassador\.salutation: error: unknown-field:"
            r" \{\{ ambassador_name \}\}",
            m,
        )
        for m in messages
    ), messages
    body_line = 1 + (root / "pt" / "letter.md.j2").read_text().splitlines().index(
        next(
            line
            for line in (root / "pt" / "letter.md.j2").read_text().splitlines()
            if "demand_list" in line
        )
    )
    assert any(
        f"pt/letter.md.j2:{body_line}: error: unknown-field: {{{{ demand_list }}}}" in m
        for m in messages
    ), messages


def test_lang_check_reports_campaign_texts(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    data = yaml.safe_load((LANG / "campaign-pt.yaml").read_text(encoding="utf-8"))
    del data["case"]["pt"]
    data["demands"]["pt"] = data["demands"]["pt"][:1]
    broken = tmp_path / "broken-campaign.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    findings = check_pt(root, broken)
    assert {(f.code, f.severity) for f in findings} == {
        ("campaign-text-required", "error"),
        ("demands-count", "warning"),
    }
    # Without --campaign, every campaign in data/campaigns/ is looked at; missing texts are notes.
    (tmp_path / "data" / "campaigns").mkdir(parents=True)
    shutil.copyfile(broken, tmp_path / "data" / "campaigns" / "broken-campaign.yaml")
    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(root), "LETTERGEN_HOME": str(tmp_path)})
    result = runner.invoke(cli, ["lang", "check", "pt"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "note: campaign-text: case.pt is missing" in result.output


def test_lang_check_exit_code_and_summary() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["lang", "check", "de", "ru"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "de (draft): 0 errors, 0 warnings, 0 notes: clean" in result.output
    assert "ru (draft): 0 errors, 0 warnings, 0 notes: clean" in result.output
    result = runner.invoke(
        cli, ["lang", "check", "ar", "--campaign", str(SEED_CAMPAIGN)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output  # the seed campaign has Arabic texts now
    result = runner.invoke(
        cli,
        ["lang", "check", "ar", "--campaign", str(FIXTURES / "lang" / "campaign-pt.yaml")],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "demands.ar is missing" in result.output


# --- a new language, following the translators' guide (letter_templates/README.md) ------------


def test_add_a_language_as_the_translators_guide_says(tmp_path: Path) -> None:
    root = tmp_path / "letter_templates"
    for name in ("en", "layout"):
        shutil.copytree(TEMPLATES / name, root / name)
    home = tmp_path / "home"
    (home / "data" / "campaigns").mkdir(parents=True)
    shutil.copyfile(LANG / "campaign-pt.yaml", home / "data" / "campaigns" / "campaign-pt.yaml")
    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(root), "LETTERGEN_HOME": str(home)})

    # Step 1: start the language.
    result = runner.invoke(cli, ["lang", "new", "pt"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "lettergen lang check pt" in result.output
    assert runner.invoke(cli, ["lang", "new", "pt"]).exit_code == 1  # never overwrites

    # Step 2: check: a copy of English makes letters, but says what is still English.
    result = runner.invoke(cli, ["lang", "check", "pt"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "warning: untranslated" in result.output

    # Step 3: translate (here: the fixture's texts), keeping the source_hash block.
    strings = root / "pt" / "strings.yaml"
    recorded = re.search(
        r"^source_hash:.*\n(?:[ \t]+.*\n)*", strings.read_text(encoding="utf-8"), re.M
    )
    assert recorded
    translated = (LANG / "pt" / "strings.yaml").read_text(encoding="utf-8")
    strings.write_text(
        translated.replace("status: draft\n", "status: draft\n" + recorded[0]), encoding="utf-8"
    )
    shutil.copyfile(LANG / "pt" / "letter.md.j2", root / "pt" / "letter.md.j2")

    # Step 4: check again: clean.
    result = runner.invoke(
        cli, ["lang", "check", "pt", "--campaign", "campaign-pt"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "pt (draft): 0 errors, 0 warnings, 0 notes: clean" in result.output

    # Step 5: see a letter.
    out = tmp_path / "carta.pdf"
    result = runner.invoke(
        cli,
        [
            "render",
            "campaign-pt",
            "--office",
            "es-madrid-embassy",
            "--lang",
            "pt",
            "--directory",
            str(OFFICES),
            "-o",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    text = flat(pdftotext(out))
    assert "Sua Excelência o Embaixador da República do Cazaquistão" in text
    assert "Senhor Embaixador," in text
    assert "7 de setembro de 2002" in text
    assert "Libertar imediatamente Saken Zhanusov." in text

    # Step 6: English changes later: check says so, until the translation is marked current.
    english = root / "en" / "letter.md.j2"
    english.write_text(
        english.read_text(encoding="utf-8") + "\nA new English sentence.\n", encoding="utf-8"
    )
    result = runner.invoke(cli, ["lang", "check", "pt"], catch_exceptions=False)
    assert "warning: outdated: English en/letter.md.j2 changed" in result.output
    assert runner.invoke(cli, ["lang", "mark-current", "pt"], catch_exceptions=False).exit_code == 0
    result = runner.invoke(
        cli, ["lang", "check", "pt", "--campaign", "campaign-pt"], catch_exceptions=False
    )
    assert "outdated" not in result.output


def test_lang_new_refuses_unknown_codes(tmp_path: Path) -> None:
    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(tmp_path)})
    result = runner.invoke(cli, ["lang", "new", "klingon"])
    assert result.exit_code == 1
    assert "'klingon' is not a language code" in result.output


def test_lang_commands_have_help() -> None:
    runner = CliRunner()
    for command in (["lang"], ["lang", "new"], ["lang", "check"], ["lang", "mark-current"]):
        result = runner.invoke(cli, [*command, "--help"], catch_exceptions=False)
        assert result.exit_code == 0
        assert len(result.output.splitlines()) > 3


# --- strings.yaml mistakes that used to print "None" or end in a traceback -----------------


def pt_letter(root: Path) -> Letter:
    office = load_directories(OFFICES).get("de-berlin-embassy")
    campaign = campaigns.load(LANG / "campaign-pt.yaml")
    return compose_letter(campaign, Recipient(office, "DE"), lang="pt", state="KZ", templates=root)


@pytest.mark.parametrize(
    ("lines", "kind"), [("lines:", "empty"), ("lines: [~]", "empty"), ('lines: "x"', "a text")]
)
def test_addressee_lines_that_are_not_a_list_of_texts(
    tmp_path: Path, lines: str, kind: str
) -> None:
    root = scaffold(tmp_path)
    old = 'lines: ["Sua Excelência o Embaixador {{ state.of }}"]'
    apply(root, {"file": "strings.yaml", "replace": [[old, lines]]})
    line = 1 + (root / "pt" / "strings.yaml").read_text().splitlines().index(f"    {lines}")
    findings = [langcheck.finding_line(f) for f in check_pt(root) if f.code == "wrong-type"]
    assert len(findings) == 1, findings
    assert (
        f"pt/strings.yaml:{line}: addressees.ambassador.lines: error: wrong-type:" in (findings[0])
    )
    assert kind in findings[0]
    if kind == "empty":  # a text is one line: the letter is made
        with pytest.raises(TemplateError, match=r"addressees\.ambassador\.lines") as caught:
            pt_letter(root)
        assert caught.value.place and caught.value.place.line == line
        assert "None" not in str(caught.value)


def test_a_locale_written_with_a_hyphen_is_understood(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    apply(root, {"file": "strings.yaml", "replace": [["locale: pt_PT", "locale: pt-PT"]]})
    assert check_pt(root) == []
    assert pt_letter(root).date.endswith("7 de setembro de 2002")


def test_an_unknown_locale_names_the_line(tmp_path: Path) -> None:
    root = scaffold(tmp_path)
    apply(root, {"file": "strings.yaml", "replace": [["locale: pt_PT", "locale: xx-YY"]]})
    with pytest.raises(InputError, match=r"pt/strings\.yaml:5: locale: locale 'xx-YY'"):
        pt_letter(root)
    [finding] = check_pt(root)
    assert finding.code == "unreadable"
    assert "pt/strings.yaml:5: locale: error: unreadable:" in langcheck.finding_line(finding)
    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(root)})
    result = runner.invoke(cli, ["lang", "check", "pt"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "locale 'xx-YY' is no locale CLDR knows" in result.output


def test_a_missing_templates_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-templates"
    with pytest.raises(InputError, match="no-such-templates: letter templates folder"):
        i18n.available(missing)
    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(missing)})
    for args in (["lang", "check"], ["lang", "check", "de"]):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 1, result.output
        assert str(missing) in result.output
        assert "LETTERGEN_TEMPLATES" in result.output


# --- work done once ------------------------------------------------------------------------


def test_lang_auto_scans_the_templates_once(monkeypatch: pytest.MonkeyPatch) -> None:
    scans: list[Any] = []
    real = i18n.available
    monkeypatch.setattr(i18n, "available", lambda *a: scans.append(a) or real(*a))
    i18n.clear_caches()  # whatever ran before: the scan is this batch's own
    prepared = batch.prepare(
        SEED_CAMPAIGN, everyone=True, language="auto", directory=OFFICES, include_no_fax=True
    )
    assert len(list(prepared.plan.letters())) > 10
    assert len(scans) == 1


def test_lang_check_reads_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: dict[str, int] = {}
    real = yamlio.load

    def counting(path: Path) -> Any:
        loads[str(path)] = loads.get(str(path), 0) + 1
        return real(path)

    monkeypatch.setattr(yamlio, "load", counting)
    codes = ["de", "ru", "fr"]
    findings = langcheck.check(codes, campaigns=[SEED_CAMPAIGN], directories=OFFICES)
    langcheck.summary(codes, findings)
    assert {Path(p).name for p in loads} >= {"strings.yaml", OFFICES.name, SEED_CAMPAIGN.name}
    assert {p: n for p, n in loads.items() if n > 1} == {}
