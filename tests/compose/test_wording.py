"""Letters without a wrong word: hunspell finds no unknown and no glued word in any letter of any
shipped language, to every office and every accredited route; a template that glues words fails
`lang check`; dates on the 1st of a month, forms of address for a head known by name, titles
bound to names, and the place line read right in every language."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import SEED_CAMPAIGN
from conftest import plain as as_typed
from lettergen import campaign as campaigns
from lettergen import lang as langcheck
from lettergen import paths
from lettergen.campaign.signers import Signer
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.directory.model import load_directories, load_directory, load_states
from lettergen.errors import LettergenError
from lettergen.lang import spelling
from lettergen.language.languages import available, clear_caches, load_language

TEMPLATES = paths.templates_dir()
CHECKED = list(available(TEMPLATES))  # every shipped language has a Debian dictionary


@pytest.fixture(autouse=True)
def _need_hunspell() -> None:
    if shutil.which("hunspell") is None:
        pytest.fail("hunspell is not installed: run 'make install'")


@pytest.fixture(scope="module")
def directory() -> Any:
    return load_directories(state="KZ")


@pytest.fixture(scope="module")
def states() -> list[Any]:
    """Every shipped directory, one per sending state."""
    return load_states()


@pytest.fixture(scope="module")
def shipped_campaigns() -> dict[str, Any]:
    """The shipped campaigns, by the directory they write to."""
    found = [campaigns.load(p) for p in sorted(paths.campaigns_dir().glob("*.yaml"))]
    return {c.directory: c for c in found}


@pytest.fixture(scope="module")
def seed() -> Any:
    return campaigns.load(SEED_CAMPAIGN)


@pytest.fixture()
def templates(tmp_path: Path) -> Path:
    """A copy of the shipped templates that a test may break."""
    root = tmp_path / "letter_templates"
    shutil.copytree(TEMPLATES, root)
    clear_caches()
    return root


# --- the spelling of every letter -----------------------------------------------------------


@pytest.mark.parametrize("code", CHECKED)
def test_every_letter_of_the_language_spells_clean(
    code: str, states: list[Any], shipped_campaigns: dict[str, Any]
) -> None:
    """Every sending state's offices and every country reached from abroad, with the shipped
    campaign's texts (when it has the language) and with the templates' words alone, plus
    ambassadors known by name."""
    lang = load_language(code)
    assert "KZ" in {d.state for d in states}
    for directory in states:
        targets = spelling.every_route(directory) + spelling.representative(directory)
        trials = spelling.compose_trials(lang, targets, directory.state)
        campaign = next(
            (c for name, c in shipped_campaigns.items() if directory.files[0].stem == name), None
        )
        if campaign is not None and code in campaign.case:
            trials += spelling.compose_trials(lang, targets, directory.state, campaign)
        offices = {t.label.split(" ")[0] for t in trials}
        assert len(offices) >= len([o for o in directory if o.resident]), offices
        where = campaign.path if campaign is not None else None
        findings = list(spelling.check(lang, trials, campaign=where))
        assert [str(f) for f in findings] == [], directory.state


def test_a_language_without_a_dictionary_is_noted_not_checked(
    directory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lang = load_language("ar")
    trials = spelling.compose_trials(lang, spelling.representative(directory), "KZ")
    monkeypatch.setattr(spelling, "dictionary", lambda locale: None)
    findings = list(spelling.check(lang, trials))
    assert [(f.code, f.severity) for f in findings] == [("no-dictionary", "note")]
    assert "no hunspell dictionary for ar_EG" in findings[0].message


def test_a_word_with_combining_marks_is_one_word() -> None:
    """Arabic shadda and harakat, a combining accent: inside the word, not between two."""
    text = "المبيّنة وَ Zhanusov Cafe\u0301"
    assert spelling._WORD.findall(text) == ["المبيّنة", "وَ", "Zhanusov", "Cafe\u0301"]


def test_accepted_words_are_names_and_places_only() -> None:
    """Every accepted word is capitalised (a name or a place), never a common word. Arabic
    script has no capitals: its list is read by a person, as the comment in it says."""
    for code in CHECKED:
        for word in spelling.accepted_words(load_language(code)):
            caseless = word[:1].lower() == word[:1].upper()
            assert word[:1].isupper() or caseless, (code, word)


# --- the check can fail ---------------------------------------------------------------------


def test_a_glued_template_fails_lang_check(templates: Path) -> None:
    """The French template as it was: '{% endif %}' at the end of a line of text."""
    body = templates / "fr" / "letter.md.j2"
    text = body.read_text(encoding="utf-8")
    assert "{% endif +%}\n" in text
    body.write_text(text.replace("{% endif +%}\n", "{% endif %}\n", 1), encoding="utf-8")
    findings = langcheck.check(["fr"], templates=templates)
    codes = {f.code for f in findings if f.is_error}
    assert codes == {"glued-line", "glued-word"}, [str(f) for f in findings]
    line = next(f for f in findings if f.code == "glued-line")
    assert line.place.path == body and line.place.line == 3  # after '%% opening'
    glued = [f for f in findings if f.code == "glued-word"]
    assert any("'vouspour'" in f.message and "'vous' and 'pour'" in f.message for f in glued)
    # (Letters about another country end the clause with a comma: "… en Algérie,pour" would
    # glue no word, but the glued line above is reported all the same.)


def test_an_unknown_and_an_english_word_are_reported_with_their_line(templates: Path) -> None:
    strings = templates / "fr" / "strings.yaml"
    text = strings.read_text(encoding="utf-8")
    text = text.replace('consulate: "Consulat {{', 'consulate: "Consulatt {{')
    text = text.replace('salutation: "Monsieur le Consul,"', 'salutation: "Dear Consul,"')
    strings.write_text(text, encoding="utf-8")
    findings = {f.code: f for f in langcheck.check(["fr"], templates=templates)}
    unknown, english = findings["unknown-word"], findings["english-word"]
    assert "'Consulatt'" in unknown.message and "(consulate)" in unknown.message
    lines = strings.read_text(encoding="utf-8").splitlines()
    assert "Consulatt" in lines[unknown.place.line - 1]
    assert "'Dear'" in english.message
    assert "Dear Consul" in lines[english.place.line - 1]


def test_lang_check_spells_the_letters_of_every_sending_state(templates: Path) -> None:
    """Belarus's directory lives in data/directories/by/ (so `missions` reads one state by
    default); lang check writes its trial letters too, so a misspelt Belarus string is found."""
    assert {d.state for d in spelling.load_directories()} >= {"KZ", "BY"}
    strings = templates / "de" / "strings.yaml"
    text = strings.read_text(encoding="utf-8")
    text = text.replace("genitive: der Republik Belarus ", "genitive: der Repuplik Belarus ")
    strings.write_text(text, encoding="utf-8")
    findings = [f for f in langcheck.check(["de"], templates=templates) if "Repuplik" in str(f)]
    assert findings and findings[0].code == "unknown-word", [str(f) for f in findings]


def test_a_missing_sending_state_is_a_warning_as_composing_says(templates: Path) -> None:
    """Without states.BY, letters from Belarus are still written (CLDR's name in every form,
    with a warning): lang check says the same, a warning, and the language stays usable."""
    strings = templates / "de" / "strings.yaml"
    text = strings.read_text(encoding="utf-8")
    start = text.index("  BY:\n")
    strings.write_text(text[:start] + text[text.index("\n\n", start) + 1 :], encoding="utf-8")
    findings = langcheck.check(["de"], templates=templates)
    states = [f for f in findings if f.code == "state-names-missing"]
    assert len(states) == 1 and "letters from BY say 'Belarus'" in states[0].message
    assert states[0].severity == "warning" and langcheck.errors(findings) == []


# --- dates, titles, places ------------------------------------------------------------------

FIRST = {
    "en": "1 September 2002",
    "de": "1. September 2002",
    "fr": "le 1er septembre 2002",
    "es": "1 de septiembre de 2002",
    "ru": "1 сентября 2002\u202fг.",
    "ar": "1 سبتمبر 2002",
}


@pytest.mark.parametrize("code", sorted(FIRST))
def test_the_first_of_the_month(code: str, directory: Any, seed: Any) -> None:
    assert set(FIRST) == set(available(TEMPLATES))
    campaign = spelling.trial_campaign(code)
    campaign = replace(campaign, letter_date=dt.date(2002, 9, 1))
    office = directory.get("fr-paris-embassy")
    letter = compose_letter(campaign, Recipient(office, "FR"), lang=code, state="KZ")
    assert letter.date.endswith(FIRST[code]), letter.date
    assert load_language(code).format_date(dt.date(2002, 9, 11)).startswith("11")


@pytest.mark.parametrize(
    ("code", "bound"), [("en", "Mr\u00a0Zhanusov"), ("fr", "M.\u00a0Zhanusov"),
                        ("es", "Sr.\u00a0Zhanusov"), ("de", "Herrn\u00a0Zhanusov")]
)  # fmt: skip
def test_a_title_never_ends_a_line_apart_from_its_name(
    code: str, bound: str, directory: Any, seed: Any
) -> None:
    office = directory.get("de-berlin-embassy")
    letter = compose_letter(seed, Recipient(office, "DE"), lang=code, state="KZ")
    text = letter.plain_text()
    assert bound in text
    assert bound.replace("\u00a0", " ") not in text


def test_the_place_line_is_the_letterheads_city_in_the_letters_language(
    directory: Any, seed: Any
) -> None:
    office = directory.get("es-madrid-embassy")
    signer = Signer("María López", city="Madrid", country="ES")
    expected = {
        "fr": ("Londres, le", "Madrid, Espagne"),
        "ru": ("Лондон,", "Мадрид, Испания"),
        "en": ("London,", "Madrid, Spain"),
        "es": ("Londres,", "Madrid, España"),
    }
    group = dataclasses.replace(seed, letterhead="group")
    for code, (date_line, place) in expected.items():
        # Under the group's letterhead the place is the group's city; under hers, her town.
        letter = compose_letter(
            group, Recipient(office, "ES"), lang=code, state="KZ", signer=signer
        )
        assert letter.date.startswith(date_line), letter.date
        assert letter.signature[-1] == place
        own = compose_letter(seed, Recipient(office, "ES"), lang=code, state="KZ", signer=signer)
        assert own.date.startswith(place.split(",")[0] + ","), own.date
        assert own.signature[-1] == place


def test_british_closings_follow_the_greeting(directory: Any, seed: Any) -> None:
    pairs = {}
    for office_id in ("de-berlin-embassy", "de-frankfurt-consulate-general", "cz-prague-mission",
                      "cn-urumqi-visa-office", "us-new-york-un-mission"):  # fmt: skip
        letter = compose_letter(
            seed, Recipient(directory.get(office_id), "XX"), lang="en", state="KZ"
        )
        pairs[letter.salutation] = letter.closing
    assert pairs == {
        "Your Excellency,": "Yours faithfully,",
        "Dear Consul General,": "Yours sincerely,",
        "Dear Sir or Madam,": "Yours faithfully,",
    }
    assert not any("His/Her" in line or "Head of Mission" in line for line in pairs)


# --- a head of office known by name ---------------------------------------------------------

NAMED = """state: KZ
offices:
  - id: fr-paris-embassy
    country: FR
    city: Paris
    kind: embassy
    address: [59 rue Pierre Charron, 75008 Paris]
    faxes: ["+33145615201"]
    head: {name: Aigul Nurlanova, gender: female}
  - id: de-berlin-embassy
    country: DE
    city: Berlin
    kind: embassy
    faxes: ["+493047007125"]
    head: Nurlan Onzhanov (male)
    accredited_to: [DK]
"""


def test_a_known_head_changes_address_and_greeting(tmp_path: Path, seed: Any) -> None:
    path = tmp_path / "named.yaml"
    path.write_text(NAMED, encoding="utf-8")
    named = load_directory(path)
    paris, berlin = named.get("fr-paris-embassy"), named.get("de-berlin-embassy")

    def letter(office: Any, code: str, country: str | None = None) -> Any:
        return compose_letter(
            seed, Recipient(office, country or office.country), lang=code, state="KZ"
        )

    fr = letter(paris, "fr")
    assert tuple(map(as_typed, fr.addressee[:2])) == (
        "Son Excellence Madame Aigul Nurlanova",
        "Ambassadrice de la République du Kazakhstan",
    )
    assert fr.addressee[0] == "Son Excellence Madame\u00a0Aigul Nurlanova"  # title and name bound
    assert as_typed(fr.salutation) == "Madame l'Ambassadrice,"
    assert "Madame l'Ambassadrice" in as_typed(fr.closing)
    de = letter(berlin, "de")
    assert tuple(map(as_typed, de.addressee[:2])) == (
        "Seiner Exzellenz dem Botschafter der Republik Kasachstan",
        "Herrn Nurlan Onzhanov",
    )
    assert letter(paris, "de").addressee[0].startswith("Ihrer Exzellenz der Botschafterin")
    en = letter(berlin, "en", "DK")
    assert tuple(map(as_typed, en.addressee[:2])) == (
        "H.E. Mr Nurlan Onzhanov",
        "Ambassador of the Republic of Kazakhstan to Denmark",
    )
    assert en.salutation == "Your Excellency,"
    es = letter(paris, "es")
    assert es.salutation == "Excelentísima Señora Embajadora:"
    # Russian names the head too: title in the dative, the office, the name.
    ru = letter(paris, "ru")
    assert tuple(map(as_typed, ru.addressee[:3])) == (
        "Её Превосходительству",
        "Послу Республики Казахстан",
        "госпоже Aigul Nurlanova",
    )
    # Without head: the office's neutral forms.
    unnamed = compose_letter(
        seed, Recipient(replace(paris, head=None), "FR"), lang="fr", state="KZ"
    )
    assert as_typed(unnamed.salutation) == "Monsieur l'Ambassadeur,"


def test_a_bad_head_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(NAMED.replace("Onzhanov (male)", "Onzhanov (sir)"), encoding="utf-8")
    with pytest.raises(LettergenError) as caught:
        load_directory(path)
    assert "head: gender 'sir'" in str(caught.value)
    assert f"{path}:" in str(caught.value)


# --- the reviewer's proof and the record of a review ----------------------------------------


def test_the_proof_shows_english_then_the_translation_for_every_office(
    tmp_path: Path, directory: Any
) -> None:
    from conftest import pdftotext
    from lettergen.lang import proof

    target = tmp_path / "proof-fr.pdf"
    pages = proof.write_proof("fr", target, directory)
    offices = spelling.representative(directory)
    letters = proof.proof_letters("fr", directory)
    # Every office in the first wording of the phrasing variants, then the further wordings.
    assert [label for label, *_ in letters][: len(offices)] == [
        label for label, *_ in letters if "wording 1 of" in label
    ]
    assert len(letters) > len(offices)
    assert pages == 2 * len(letters)
    whole = pdftotext(target).split("\f")
    for i, (office, _, _) in enumerate(offices):
        english, french = whole[2 * i], whole[2 * i + 1]
        assert f"{office.id}" in english and "· English" in english
        assert f"{office.id}" in french and "· fr" in french
        assert "Fax to" in english and "Fax au" in french
    # What the strings fill in from data is marked for the reviewer.
    (label, _, translated, filled) = next(
        p for p in letters if "(accredited, wording 1 of 3)" in p[0]
    )
    assert "de la République du Kazakhstan" in filled and "au Luxembourg" in filled
    from lettergen.render.pdf import to_html

    html = proof.mark(to_html(translated), filled, label)
    assert '<mark class="filled">au Luxembourg</mark>' in html
    assert not re.search(r"<[^>]*<mark", html)  # never inside a tag


def test_a_review_is_recorded_against_todays_english(templates: Path) -> None:
    from click.testing import CliRunner

    from lettergen.cli import cli
    from lettergen.lang import proof
    from lettergen.util import yamlio

    runner = CliRunner(env={"LETTERGEN_TEMPLATES": str(templates)})
    langcheck.mark_current("fr", templates)  # the copy follows today's English
    result = runner.invoke(cli, ["lang", "review", "fr", "--by", "Marie Dupont"])
    assert result.exit_code == 0, result.output
    strings = yamlio.load(templates / "fr" / "strings.yaml")
    assert strings["status"] == "reviewed"
    assert strings["review"]["by"] == "Marie Dupont"
    assert strings["review"]["english"] == proof.english_hash(templates)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", strings["review"]["at"])
    clear_caches()
    assert not load_language("fr", templates).draft
    # Once English changes, a review must wait for the translation to follow it.
    english = templates / "en" / "letter.md.j2"
    english.write_text(english.read_text(encoding="utf-8") + "\nA new sentence.\n")
    result = runner.invoke(cli, ["lang", "review", "fr", "--by", "Marie Dupont"])
    assert result.exit_code == 1
    assert "does not follow today's English text" in result.output
    assert "Traceback" not in result.output
