"""A native reviewer's findings, each read back from the rendered letter: the text of its PDF
(pdftotext) and the paragraphs of its DOCX. Every test names the finding it keeps mended."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import docx
import pytest

from conftest import flat, pdftotext
from lettergen import campaign as campaigns
from lettergen import paths
from lettergen.campaign.signers import Signer
from lettergen.compose import variants
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.compose.joint import make_joint
from lettergen.compose.letter import Letter
from lettergen.directory.model import Head, load_directories
from lettergen.lang import rules
from lettergen.language.languages import available, load_language
from lettergen.render.docx import render_docx
from lettergen.render.pdf import render_pdf

LANGUAGES = available(paths.templates_dir())
ROLES = (
    "ambassador",
    "accredited",
    "consul-general",
    "consul",
    "head-of-mission",
    "permanent-representative",
    "head-of-office",
)


@cache
def _campaign(name: str) -> Any:
    return campaigns.load(name)


@cache
def _directory(state: str) -> Any:
    folder = paths.directories_dir()
    return load_directories(folder / "by" if state == "BY" else folder, state=state)


def letter_to(
    office_id: str,
    lang: str,
    *,
    country: str | None = None,
    campaign: str = "free-zhanusov-2002",
    state: str = "KZ",
    **options: Any,
) -> Letter:
    office = _directory(state).get(office_id)
    return compose_letter(
        _campaign(campaign),
        Recipient(office, country or office.country),
        lang=lang,
        state=state,
        **options,
    )


def pdf_text(letter: Letter) -> str:
    return pdftotext(render_pdf(letter).data)


def docx_text(letter: Letter) -> str:
    """The DOCX's paragraphs and table cells, one text."""
    document = docx.Document(io.BytesIO(render_docx(letter).data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.extend(p.text for p in cell.paragraphs)
    return "\n".join(parts)


def both(letter: Letter) -> list[str]:
    """What a reader sees, from the PDF and from the DOCX, each with its spaces made plain."""
    return [_plain(pdf_text(letter)), _plain(docx_text(letter))]


def _plain(text: str) -> str:
    return flat(text.replace("\u00a0", " ").replace("\u202f", " "))


# --- an ambassador accredited from abroad is addressed in that capacity --------------------------


@pytest.mark.parametrize(
    ("lang", "wanted", "wrong"),
    [
        (
            "en",
            ", in your capacity as Ambassador of the Republic of Kazakhstan accredited to Algeria,",
            "as the Ambassador",
        ),
        (
            "de",
            " in Ihrer Eigenschaft als Botschafter der Republik Kasachstan,"
            " akkreditiert in Algerien,",
            "Sie als Botschafter",
        ),
        ("fr", "en votre qualité d'ambassadeur de la République du Kazakhstan accrédité", None),
        ("es", "en su calidad de embajador de la República de Kazajistán acreditado", None),
    ],
)
def test_an_accredited_head_is_addressed_in_their_capacity(
    lang: str, wanted: str, wrong: str | None
) -> None:
    # In every wording of the opening (the phrasing variants), in a letter of one and a joint one.
    for wording in range(3):
        for signatories in (0, 3):
            letter = letter_to(
                "eg-cairo-embassy",
                lang,
                country="DZ",
                signatories=signatories,
                choice=variants.Choice(alternative=wording),
            )
            for text in both(letter):
                assert _plain(wanted).replace("'", "’") in text.replace("'", "’"), wording
                if wrong:
                    assert wrong not in text


def test_an_accredited_woman_is_ambassadress_in_the_prose() -> None:
    office = _directory("KZ").get("eg-cairo-embassy")
    office = dataclasses.replace(office, head=Head("Aigul Nurlanova", "female"))
    for lang, word in (
        ("de", "als Botschafterin"),
        ("fr", "d’ambassadrice"),
        ("es", "embajadora"),
        ("ru", "аккредитованной в Алжире"),
    ):
        letter = compose_letter(
            _campaign("free-zhanusov-2002"), Recipient(office, "DZ"), lang=lang, state="KZ"
        )
        assert word in _plain(pdf_text(letter))


# --- facts as the appeal states them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "wrong", "right"),
    [
        ("en", "he alone risks", "he faces nine criminal charges and up to five years in prison"),
        ("en", "and he faces", "he faces nine criminal charges and up to five years in prison"),
        ("en", "responsible for the fraud", "Bring to trial all businessmen involved in fraud."),
        ("de", "ihm allein", "ihm drohen bis zu fünf Jahre Haft"),
        ("fr", "lui seul", "il encourt jusqu’à cinq ans"),
        ("es", "solo él", "se enfrenta a nueve cargos penales y a una pena de hasta cinco años"),
        (
            "es",
            "y se enfrenta a una pena",
            "a nueve cargos penales y a una pena de hasta cinco años",
        ),
        ("es", "lo estranguló", "empezó a estrangularlo"),
        ("en", "and choked him", "seized Mr Zhanusov and began to strangle him"),
        ("de", "packte und würgte", "Herrn Zhanusov packte und zu würgen begann"),
        ("fr", "à la gorge", "a saisi M. Zhanusov et a commencé à l’étrangler"),
        ("ru", "задушил", "схватил господина Жанусова и стал его душить"),
        ("de", "verantwortlichen Geschäftsleute", "Alle an Betrug beteiligten Geschäftsleute"),
        (
            "fr",
            "responsables de la fraude",
            "tous les hommes d’affaires impliqués dans des fraudes",
        ),
        ("es", "responsables del fraude", "a todos los empresarios implicados en fraudes"),
        (
            "ru",
            "ответственных за мошенничество",
            "всех предпринимателей, причастных к мошенничеству",
        ),
        ("ru", "лишь ему одному", "ему грозит до пяти лет"),
    ],
)
def test_facts_are_as_the_appeal_states_them(lang: str, wrong: str, right: str) -> None:
    for text in both(letter_to("de-berlin-embassy", lang)):
        assert wrong not in text
        assert right in text


def test_the_arabic_letter_states_the_same_facts() -> None:
    """Up to five years (not "he alone"), the bailiff began to strangle him, all businessmen
    involved in fraud: read from the DOCX, whose Arabic text is not reshaped."""
    text = _plain(docx_text(letter_to("de-berlin-embassy", "ar")))
    assert "وقد يُحكم عليه بالسجن مدة تصل إلى خمس سنوات" in text
    assert "وحده" not in text
    assert "أمسك فيها محضر قضائي بالسيد جانوسوف وأخذ يخنقه" in text
    assert "تقديم جميع رجال الأعمال المتورطين في الاحتيال إلى المحاكمة" in text


# --- named heads: every role, both genders, six languages ----------------------------------------


def _named(role: str, gender: str) -> tuple[Any, str]:
    """An office of the role with a head known by name, and the country written about."""
    directory = _directory("KZ")
    office_id, country = {
        "ambassador": ("de-berlin-embassy", "DE"),
        "accredited": ("eg-cairo-embassy", "DZ"),
        "consul-general": ("de-frankfurt-consulate-general", "DE"),
        "consul": ("de-hannover-consulate", "DE"),
        "head-of-mission": ("cz-prague-mission", "CZ"),
        "permanent-representative": ("us-new-york-un-mission", "US"),
        "head-of-office": ("de-berlin-embassy", "DE"),
    }[role]
    office = directory.get(office_id)
    if role == "head-of-office":
        office = dataclasses.replace(office, addressee="head-of-office")
    return dataclasses.replace(office, head=Head("Aigul Nurlanova", gender)), country


#: Words a form of address for a woman must not hold: the masculine title of the office.
MASCULINE = {
    "en": (" Mr ",),
    "de": ("Seiner Exzellenz", "Herrn", "Sehr geehrter Herr"),
    "fr": ("Monsieur",),
    "es": ("Excelentísimo Señor", "Señor Don"),
    "ru": ("Его Превосходительству", "господину", "Уважаемый господин"),
    "ar": ("سعادة السفير ", "صاحب السعادة", "السيد "),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_a_head_known_by_name_is_addressed_by_name_and_gender(lang: str, role: str) -> None:
    for gender in ("female", "male", ""):
        office, country = _named(role, gender)
        letter = compose_letter(
            _campaign("free-zhanusov-2002"), Recipient(office, country), lang=lang, state="KZ"
        )
        shown = " ".join(letter.addressee).replace("\u00a0", " ")
        assert "Aigul Nurlanova" in shown, (gender, letter.addressee)
        if gender == "female":
            head = " ".join([*letter.addressee, letter.salutation, letter.closing]).replace(
                "\u00a0", " "
            )
            for word in MASCULINE[lang]:
                assert word not in f" {head} ", (word, head)


def test_a_named_woman_reads_right_in_the_pdf_and_docx() -> None:
    office, country = _named("permanent-representative", "female")
    for lang, words in (
        ("de", ("Ihrer Exzellenz der Ständigen Vertreterin", "Frau Aigul Nurlanova")),
        ("es", ("Excelentísima Señora Doña Aigul Nurlanova", "Excelentísima Señora Embajadora:")),
        ("fr", ("Son Excellence Madame Aigul Nurlanova", "Madame l’Ambassadrice,")),
        ("ru", ("Её Превосходительству", "госпоже Aigul Nurlanova")),
    ):
        letter = compose_letter(
            _campaign("free-zhanusov-2002"), Recipient(office, country), lang=lang, state="KZ"
        )
        for text in both(letter):
            for word in words:
                assert word in text


# --- the cover sheet -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_cover_label_does_not_double_the_addressee_preposition(lang: str) -> None:
    for office_id in ("de-frankfurt-consulate-general", "cz-prague-mission", "de-berlin-embassy"):
        letter = letter_to(office_id, lang, cover=True)
        label, value = letter.cover[0]
        assert not list(rules._cover(letter, load_language(lang))), (label, value)
    text = _plain(pdf_text(letter_to("cz-prague-mission", lang, cover=True)))
    for doubled in ("An An den", "À À l", "Para A la", "To To "):
        assert doubled not in text


def test_the_cover_is_from_whoever_signs() -> None:
    signer = Signer("Maria Lopez", organisation="Solidarity Group Example", city="Madrid")
    letter = letter_to("de-berlin-embassy", "en", cover=True, signer=signer)
    rows = dict(letter.cover)
    assert rows["From"].splitlines()[0] == "Maria Lopez"
    assert "Anna Weber" not in rows["From"]
    # The numbers under the names are the campaign's: its name stands above them.
    assert rows["From"].splitlines()[:4] == [
        "Maria Lopez",
        "Solidarity Group Example",
        "Trade Union Solidarity Committee",
        "Tel. +44 20 7946 0000",
    ]
    for text in both(letter):
        assert "From Maria Lopez Solidarity Group Example" in text
        assert "From Anna Weber" not in text


# --- joint letters -------------------------------------------------------------------------------


SIGNERS = [
    Signer("Maria Lopez", organisation="Solidarity Group Example", city="Madrid", country="ES"),
    Signer("Jan Novak", city="Prague", country="CZ"),
    Signer("Ana Sousa", city="Lisbon", country="PT"),
]


def joint_letter(lang: str, wording: int = 0) -> Letter:
    letter = letter_to(
        "de-berlin-embassy",
        lang,
        signatories=len(SIGNERS),
        choice=variants.Choice(alternative=wording),
    )
    return make_joint(letter, load_language(lang), SIGNERS)


@pytest.mark.parametrize(
    ("lang", "openings", "on_behalf"),
    [
        (
            "en",
            ("We are writing to you", "We write to you", "Please allow us to draw"),
            "on behalf of the three undersigned",
        ),
        (
            "de",
            ("wir wenden uns an Sie", "wir schreiben Ihnen", "möchten wir Sie"),
            "im Namen der drei Unterzeichnenden",
        ),
        (
            "fr",
            (
                "Nous avons l’honneur de nous adresser à vous",
                "Nous nous permettons de vous écrire",
                "nous souhaitons attirer votre attention",
            ),
            "au nom des trois soussignés",
        ),
        (
            "es",
            ("Nos dirigimos a usted", "Le escribimos", "Nos permitimos dirigirnos a usted"),
            "en nombre de los tres abajo firmantes",
        ),
        (
            "ru",
            ("Обращаемся к Вам", "Пишем Вам", "Позвольте нам обратить"),
            "от имени трёх нижеподписавшихся",
        ),
    ],
)
def test_a_joint_letter_says_we_and_counts_in_words(
    lang: str, openings: tuple[str, ...], on_behalf: str
) -> None:
    # In every wording of the phrasing variants: "we", never "I".
    singular = ("I am writing", "I write", "allow me")
    singular += ("ich wende mich", "ich schreibe", "möchte ich")
    for wording, opening in enumerate(openings):
        letter = joint_letter(lang, wording)
        for text in both(letter):
            assert opening in text
            assert on_behalf in text
            assert not any(words in text for words in singular)


def test_arabic_signatories_are_isolated_field_by_field_with_the_arabic_comma() -> None:
    letter = joint_letter("ar")
    first = letter.signatories[0]
    assert first == (
        "\u2068Maria Lopez\u2069، \u2068Solidarity Group Example\u2069، \u2068مدريد\u2069، "
        "\u2068إسبانيا\u2069"
    )
    assert "Maria Lopez، Solidarity Group Example" in pdf_text(letter).replace(
        "\u2068", ""
    ).replace("\u2069", "") or "Maria Lopez" in pdf_text(letter)


# --- typography ----------------------------------------------------------------------------------


def test_french_guillemets_hold_their_non_breaking_spaces() -> None:
    letter = letter_to("de-berlin-embassy", "fr", campaign="free-bialiatski-2023", state="BY")
    # pdftotext shows a non-breaking space as a space; the DOCX keeps the character.
    assert "« Viasna »" in pdf_text(letter)
    assert "«\u202fViasna\u202f»" in docx_text(letter)
    for line in pdftotext(render_pdf(letter).data, layout=True).splitlines():
        assert not line.rstrip().endswith("«") and not line.lstrip().startswith("»")
    assert not list(rules._guillemets(letter, load_language("fr")))


def test_english_quotes_are_curly() -> None:
    letter = letter_to("de-berlin-embassy", "en", campaign="free-bialiatski-2023", state="BY")
    for text in both(letter):
        assert "“Viasna”" in text
        assert '"Viasna"' not in text


def test_the_states_name_and_titles_never_break() -> None:
    letter = letter_to("de-berlin-embassy", "de")
    layout = pdftotext(render_pdf(letter).data, layout=True)
    for line in layout.splitlines():
        assert not re.search(r"Republik\s*$", line), line
    assert "Republik\u00a0Kasachstan" in docx_text(letter)
    assert "Herrn\u00a0Zhanusov" in docx_text(letter)
    assert not list(rules._protected(letter, load_language("de"), ["der Republik Kasachstan"]))


@pytest.mark.parametrize(
    ("office_id", "shown"),
    [
        ("ru-moscow-embassy", "+7 095 208 26 50"),  # no longer in the plan: grouped as the source
        ("us-new-york-un-mission", "+1 212 230 1172"),
        ("de-berlin-embassy", "+49 30 47007125"),
        ("az-baku-embassy", "+994 12 90 62 49"),
    ],
)
def test_phone_numbers_in_one_international_style(office_id: str, shown: str) -> None:
    letter = letter_to(office_id, "en")
    for text in both(letter):
        assert shown in text
        assert not re.search(r"\+\d[\d ]*-\d", text)  # no hyphenated groups
    assert not list(rules._phones(letter))


def test_mixed_phone_styles_are_caught() -> None:
    letter = letter_to("us-new-york-un-mission", "en")
    mixed = dataclasses.replace(letter, fax_notice="Sent by fax to +1 212-230-1172.")
    assert list(rules._phones(mixed))


def test_a_vowel_mark_on_a_seated_alef_is_caught_and_the_arabic_letters_have_none() -> None:
    """The mark costs the PDF's text layer every "أ" of the letter (test_variants reads one
    back): the rule names the word; no wording of the shipped Arabic letter has such a mark."""
    for number in range(81):
        letter = letter_to("de-berlin-embassy", "ar", choice=variants.Choice(number=number))
        assert not list(rules._seated_marks(letter))
    marked = dataclasses.replace(letter, fax_notice="أُرسلت هذه الرسالة بالفاكس")
    (finding,) = rules._seated_marks(marked)
    assert finding.startswith("arabic-seated-mark: 'أُرسلت'")


# --- strings the reviewer flagged ----------------------------------------------------------------


def test_a_german_consulate_letter_greets_as_it_addresses() -> None:
    letter = letter_to("de-hannover-consulate", "de")
    for text in both(letter):
        assert "An den Konsul" not in text
        assert "Sehr geehrte Damen und Herren," in text


def test_spanish_neutral_greeting_french_notice_russian_cover_arabic_closing() -> None:
    es = both(letter_to("cz-prague-mission", "es"))
    assert all("Estimados señores" not in t and "Señoras y señores:" in t for t in es)
    fr = both(letter_to("de-berlin-embassy", "fr"))
    assert all(
        "ne joint plus" not in t and "ne permet plus de joindre l’ambassade" in t for t in fr
    )
    ru = _plain(pdf_text(letter_to("de-berlin-embassy", "ru", cover=True)))
    assert "титульный" not in ru and "сопроводительный лист" in ru
    ar = letter_to("eg-cairo-embassy", "ar")
    assert not ar.closing.endswith("،")
    assert not _plain(pdf_text(ar)).count("والتقدير،")


# --- the directory, corrected --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("office_id", "right", "wrong"),
    [
        ("ch-geneva-un-mission", "1218 Le Grand-Saconnex", "Grand-Saconne Geneve"),
        ("es-madrid-embassy", "C/ Cascanueces, 25", "cascanucces"),
        ("it-rome-embassy", "Piazza Farnese 101", "Farneze"),
        ("eg-cairo-embassy", "73, 15th Street, Maadi", "Street , Maadi"),
        ("de-berlin-embassy", "13156 Berlin GERMANY", "D-13156"),
        ("de-frankfurt-consulate-general", "60329 Frankfurt am Main GERMANY", "Frankfurt/M"),
        ("de-hannover-consulate", "Sallstraße 64A 30171 Hannover GERMANY", "Hannover, Sall"),
        ("ru-moscow-embassy", "Chistoprudny bulvar 3A Moscow RUSSIA", "Russia, Moscow"),
        ("jp-tokyo-embassy", "Meguro-ku, Tokyo 152-0003 JAPAN", "152-003,"),
        ("pl-warsaw-embassy", "ul. Starościńska 1 lok. 18 02-516 Warszawa POLAND", "Staroseinska"),
        ("uz-tashkent-embassy", "Chekhov Street 23 700015 Tashkent UZBEKISTAN", "700015 Uzbek"),
    ],
)
def test_addresses_print_as_corrected(office_id: str, right: str, wrong: str) -> None:
    for text in both(letter_to(office_id, "en")):
        assert right in text
        assert wrong not in text


# --- Arabic letters of both campaigns ------------------------------------------------------------


def _words(pdf: bytes) -> list[tuple[float, float, str]]:
    """(y, x, word) of every word of a PDF's first page, from pdftotext's boxes."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [
        (float(y), float(x), w)
        for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', out)
    ]


@pytest.mark.parametrize(
    ("campaign", "state", "office_id"),
    [
        ("free-zhanusov-2002", "KZ", "eg-cairo-embassy"),
        ("free-bialiatski-2023", "BY", "de-berlin-embassy"),
    ],
)
def test_arabic_letters_read_right_to_left(campaign: str, state: str, office_id: str) -> None:
    letter = letter_to(office_id, "ar", campaign=campaign, state=state)
    pdf = render_pdf(letter)
    assert pdf.pages == 1
    words = _words(pdf.data)
    width = 595.0
    header = [w for w in words if w[0] < 60]
    assert header and min(x for _, x, _ in header) > width / 3  # headed from the right
    # The addressee on the right, where the reader starts; the sender on the left.
    street = [x for _, x, w in words if w in ("Maadi", "Berlin")]
    sender = [x for _, x, w in words if w == "Committee"]
    assert street and street[0] > width / 2
    assert sender and sender[0] < width / 2
    # The fax number keeps its order inside the Arabic line.
    text = pdftotext(pdf.data)
    assert letter.fax_display in text.replace("\u2068", "").replace("\u2069", "")
    assert "صاحب السعادة" in docx_text(letter)


@pytest.mark.office
def test_arabic_docx_breaks_its_pages_where_the_pdf_does(tmp_path: Path) -> None:
    """LibreOffice lays out the Arabic DOCX of both campaigns on as many pages as the PDF (it
    took a page more while Word's line pitch was "at least" the CSS line height)."""
    from conftest import soffice_to_pdf

    letters = {
        "kz": letter_to("eg-cairo-embassy", "ar"),
        "by": letter_to("de-berlin-embassy", "ar", campaign="free-bialiatski-2023", state="BY"),
    }
    files = {}
    for key, letter in letters.items():
        files[key] = tmp_path / f"{key}.docx"
        files[key].write_bytes(render_docx(letter).data)
    pdfs = soffice_to_pdf(list(files.values()), tmp_path)
    for key, letter in letters.items():
        info = subprocess.run(
            ["pdfinfo", str(pdfs[files[key]])], capture_output=True, text=True, check=True
        ).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]
        assert pages == render_pdf(letter).pages == 1, key


def test_an_arabic_named_head_is_a_field_isolated_in_its_direction() -> None:
    """A Latin name inside an Arabic form of address is isolated (so its order never mixes
    with the title's) and bound to its courtesy title by a non-breaking space."""
    for role, title in (("consul-general", "السيدة"), ("permanent-representative", "السفيرة")):
        office, country = _named(role, "female")
        letter = compose_letter(
            _campaign("free-zhanusov-2002"), Recipient(office, country), lang="ar", state="KZ"
        )
        assert f"{title}\u00a0\u2068Aigul Nurlanova\u2069" in letter.addressee[0]
        assert "Aigul Nurlanova" in docx_text(letter)
    french = load_language("fr").typography
    assert french.bind_titles("Monsieur le Consul") == "Monsieur le Consul"
    assert french.bind_titles("Monsieur Zhanusov") == "Monsieur\u00a0Zhanusov"


@pytest.mark.parametrize(
    ("lang", "right", "wrong"),
    [
        ("fr", "de votre réponse et de votre attention.", "porter à cette affaire"),
        ("ru", "Благодарю Вас за внимание.", "внимание к этому делу"),
    ],
)
def test_the_last_paragraph_names_the_case_once(lang: str, right: str, wrong: str) -> None:
    """ "… une journée internationale d'action est consacrée à cette affaire. Je vous remercie …
    de l'attention que vous voudrez bien porter à cette affaire." said the case twice."""
    # In every wording of the phrasing variants; the reviewer's words in the first.
    for wording in range(3):
        letter = letter_to("de-berlin-embassy", lang, choice=variants.Choice(alternative=wording))
        for text in both(letter):
            assert wrong not in text
            if wording == 0:
                assert right in text
