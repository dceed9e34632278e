"""Bad input ends in one clear message naming file:line (and column or field) with exit 1:
signer names cleaned and checked (zero-width, bidi, NFC, length), YAML loaded with limits
(aliases, depth, size) and YAML 1.2 booleans, dates checked, CSV fields bounded, and the
directory import and fax check refusing what they cannot handle. docs/input.md explains each."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHIPPED_DIRECTORY, pdftotext
from lettergen import campaign as campaigns
from lettergen.campaign.signers import load_signers
from lettergen.cli import cli
from lettergen.directory.sources import text as importer
from lettergen.errors import InputError, LettergenError
from lettergen.util import yamlio

CAMPAIGN = """\
directory: kazakhstan
date: 2002-09-07
default_language: en
subject:
  en: "Saken Zhanusov and the Karaganda trade unions"
case:
  en: |
    Saken Zhanusov is in detention.
demands:
  en: ["Release Saken Zhanusov."]
sender: {name: Anna Smirnova, organisation: Solidarity, email: anna@example.org}
targets: {countries: [DE]}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lettergen(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def subprocess_lettergen(*args: str, memory: int | None = None) -> tuple[int, str, float]:
    """The real command in a process of its own (optionally with an address-space limit, so
    a run that would need gigabytes fails instead of swapping); its exit code, output and time."""

    def limit() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lettergen", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    return done.returncode, output, time.monotonic() - start


def batch(campaign: Path, tmp_path: Path, *more: str) -> tuple[int, str]:
    return lettergen(
        "batch",
        str(campaign),
        "--offices",
        "de-berlin-embassy",
        "--directory",
        str(SHIPPED_DIRECTORY),
        "--format",
        "pdf",
        "-o",
        str(tmp_path / "out"),
        *more,
    )


# --- signer names ---------------------------------------------------------------------------


def test_names_that_differ_by_zero_width_characters_are_one_signer(tmp_path: Path) -> None:
    campaign = write(tmp_path, "c.yaml", CAMPAIGN)
    signers = write(
        tmp_path, "s.csv", "name\nAnna Smirnova\nAnna Smir\u200bnova\nAnna\u200d Smirnova\u2060\n"
    )
    code, output = batch(campaign, tmp_path, "--signers", str(signers))
    assert code == 1
    assert output == (
        f"Error: {signers}:3: name: 'Anna Smirnova' appears twice (first on line 2)\n"
        f"{signers}:4: name: 'Anna Smirnova' appears twice (first on line 2)\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_bidi_override_is_refused_with_line_and_column(tmp_path: Path) -> None:
    signers = write(tmp_path, "s.csv", "name,city\nAnna Smirnova,Moscow\nIvan,\u202ewocsoM\n")
    campaign = write(tmp_path, "c.yaml", CAMPAIGN)
    code, output, _ = subprocess_lettergen(
        "batch", str(campaign), "--offices", "de-berlin-embassy", "--signers", str(signers),
        "--directory", str(SHIPPED_DIRECTORY), "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 1
    assert output == (
        f"Error: {signers}:3:6: city: U+202E RIGHT-TO-LEFT OVERRIDE refused: it changes the order"
        " in which a reader sees the text (remove it)\n"
    )


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2069"])
def test_every_bidi_control_is_refused(tmp_path: Path, char: str) -> None:
    path = write(tmp_path, "s.csv", f"name\nAnna{char} Smirnova\n")
    with pytest.raises(LettergenError, match=rf"^{path}:2:5: name: U\+{ord(char):04X} "):
        load_signers(path)


def test_names_are_read_in_nfc_and_nfd_twins_are_one_signer(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "José García")
    assert nfd != "José García"
    path = write(tmp_path, "s.csv", f"name\n{nfd}\n")
    (signer,) = load_signers(path)
    assert signer.name == "José García"  # NFC: what fonts and file names expect
    twins = write(tmp_path, "twins.csv", f"name\nJosé García\n{nfd}\n")
    code, output = batch(write(tmp_path, "c.yaml", CAMPAIGN), tmp_path, "--signers", str(twins))
    assert (code, output) == (
        1,
        f"Error: {twins}:3: name: 'José García' appears twice (first on line 2)\n",
    )


def test_zero_width_characters_are_gone_from_the_letter(tmp_path: Path) -> None:
    signers = write(tmp_path, "s.csv", "name\nAnna Smir\u200bnova\n")
    code, output = batch(write(tmp_path, "c.yaml", CAMPAIGN), tmp_path, "--signers", str(signers))
    assert code == 0, output
    (pdf,) = (tmp_path / "out").rglob("*.pdf")
    text = pdftotext(pdf)
    assert "Anna Smirnova" in text and "\u200b" not in text


def test_a_10000_character_name_is_refused(tmp_path: Path) -> None:
    signers = write(tmp_path, "s.csv", "name,city\nAnna,Moscow\n" + "W" * 10_000 + ",Kyiv\n")
    code, output = batch(write(tmp_path, "c.yaml", CAMPAIGN), tmp_path, "--signers", str(signers))
    assert (code, output) == (
        1,
        f"Error: {signers}:3: name: 10,000 characters; a letter takes at most 200\n",
    )


def test_a_long_sender_field_on_the_command_line_is_refused(tmp_path: Path) -> None:
    code, output = batch(
        write(tmp_path, "c.yaml", CAMPAIGN), tmp_path, "--sender", "organisation=" + "x" * 201
    )
    assert (code, output) == (
        1,
        "Error: --sender organisation: 201 characters; a letter takes at most 200\n",
    )


def test_a_csv_field_over_the_csv_limit_is_a_message(tmp_path: Path) -> None:
    signers = write(tmp_path, "s.csv", 'name\nAnna\n"' + "x" * 131_073 + '"\n')
    code, output = batch(write(tmp_path, "c.yaml", CAMPAIGN), tmp_path, "--signers", str(signers))
    assert (code, output) == (
        1,
        f"Error: {signers}:3: a field is longer than 131,072 characters\n",
    )


# --- campaign texts -------------------------------------------------------------------------


def test_a_bidi_control_in_a_campaign_text_names_line_and_column(tmp_path: Path) -> None:
    text = CAMPAIGN.replace("    Saken Zhanusov is", "    Saken \u202eZhanusov is")
    campaign = write(tmp_path, "c.yaml", text)
    code, output = batch(campaign, tmp_path)
    assert (code, output) == (
        1,
        f"Error: {campaign}:8:11: case.en: U+202E RIGHT-TO-LEFT OVERRIDE refused: it changes the"
        " order in which a reader sees the text (remove it)\n",
    )


def test_campaign_texts_are_cleaned(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Zhanusov's café")
    text = CAMPAIGN.replace("Saken Zhanusov is in detention.", f"{nfd} is\u200b closed.")
    loaded = campaigns.load(write(tmp_path, "c.yaml", text))
    assert loaded.case["en"] == "Zhanusov's café is closed."


def test_an_over_long_subject_is_refused_with_its_field(tmp_path: Path) -> None:
    text = CAMPAIGN.replace('"Saken Zhanusov and the Karaganda trade unions"', "S" * 301)
    campaign = write(tmp_path, "c.yaml", text)
    code, output = batch(campaign, tmp_path)
    assert (code, output) == (
        1,
        f"Error: {campaign}:5: subject.en: 301 characters; a letter takes at most 300\n",
    )


# --- YAML -----------------------------------------------------------------------------------


def test_a_date_that_is_none(tmp_path: Path) -> None:
    campaign = write(tmp_path, "c.yaml", CAMPAIGN.replace("2002-09-07", "2002-13-45"))
    assert batch(campaign, tmp_path) == (
        1,
        f"Error: {campaign}:2: date: not a valid date: 2002-13-45\n",
    )


def test_a_date_and_time_where_a_date_belongs(tmp_path: Path) -> None:
    campaign = write(tmp_path, "c.yaml", CAMPAIGN.replace("2002-09-07", "2002-09-07 10:30:00"))
    assert batch(campaign, tmp_path) == (
        1,
        f"Error: {campaign}:2: date: date has a time of day; expected a date (YYYY-MM-DD)"
        " (remove the time)\n",
    )


def test_deep_nesting_is_refused_without_recursion_error(tmp_path: Path) -> None:
    campaign = write(tmp_path, "c.yaml", CAMPAIGN + "notes: " + "[" * 10_000 + "]" * 10_000)
    code, output, _ = subprocess_lettergen(
        "batch", str(campaign), "--all", "--directory", str(SHIPPED_DIRECTORY),
        "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert (code, output) == (1, f"Error: {campaign}:13: nested more than 64 levels deep\n")


def test_an_alias_bomb_fails_fast_in_bounded_memory(tmp_path: Path) -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, 10):
        levels.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    campaign = write(tmp_path, "c.yaml", CAMPAIGN + "\n".join(levels) + "\n")
    code, output, seconds = subprocess_lettergen(
        "batch", str(campaign), "--all", "--directory", str(SHIPPED_DIRECTORY),
        "-o", str(tmp_path / "out"), memory=1_000_000_000,
    )  # fmt: skip
    # 9**10 = 3.5 billion strings when expanded; refused from the parsed nodes (100 of them),
    # at the first level that adds over 100,000 (a5, 9**6).
    assert (code, output) == (
        1,
        f"Error: {campaign}:18: aliases expand this to more than 100,000 values (an alias bomb?)\n",
    )
    assert seconds < 60  # generous: the refusal itself takes milliseconds


def test_an_alias_that_holds_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: &a [1, *a]\n")
    with pytest.raises(InputError, match=r":1: an alias refers to a value that holds it$"):
        yamlio.load(path)


def test_a_yaml_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_BYTES", 1000)
    path = write(tmp_path, "c.yaml", "# " + "x" * 1000 + "\n")
    with pytest.raises(InputError) as caught:
        yamlio.load(path)
    assert str(caught.value) == f"{path}: 1,003 bytes; a YAML file of lettergen holds at most 1,000"


def test_yaml_12_booleans_norway_is_a_country(tmp_path: Path) -> None:
    text = CAMPAIGN.replace("countries: [DE]", "countries: [DE, NO, no]")
    loaded = campaigns.load(write(tmp_path, "c.yaml", text))
    assert loaded.targets.countries == ("DE", "NO", "no")
    assert yamlio.load(write(tmp_path, "b.yaml", "[yes, on, off, NO, true, false, True]")) == [
        "yes", "on", "off", "NO", True, False, True,
    ]  # fmt: skip


def test_targets_all_must_be_true_or_false(tmp_path: Path) -> None:
    campaign = write(tmp_path, "c.yaml", CAMPAIGN.replace("{countries: [DE]}", "{all: no}"))
    assert batch(campaign, tmp_path) == (
        1,
        f"Error: {campaign}:12: targets: targets.all must be true or false\n",
    )


# --- directory import and fax check ---------------------------------------------------------


def test_directory_import_into_a_folder(tmp_path: Path) -> None:
    source = write(tmp_path, "source.txt", "Germany – Embassy (Berlin)\nfax (4930) 470-07-125\n")
    (tmp_path / "folder").mkdir()
    code, output = lettergen(
        "directory", "import", str(source), "-o", str(tmp_path / "folder"), "--state", "KZ"
    )
    assert (code, output) == (
        1,
        f"Error: {tmp_path / 'folder'}: is a folder; OUTPUT is the directory file to write"
        f" (name a file in it, e.g. -o {tmp_path / 'folder' / '<state>.yaml'})\n",
    )
    assert list((tmp_path / "folder").iterdir()) == []


def test_a_200000_character_directory_line_imports(tmp_path: Path) -> None:
    # Quadratic before (85 s for this line); benchmarks/bench_import.py measures the growth.
    emails = [f"visa{n}@kazembassy.de" for n in range(10_000)]
    while len(" ".join(emails)) > 200_000:
        emails.pop()
    line = " ".join(emails)
    assert len(line) > 199_970
    source = write(
        tmp_path, "source.txt", "Germany – Embassy (Berlin)\n" + line + "\nfax (4930) 470-07-125\n"
    )
    (office,) = importer.import_file(source, "KZ").offices
    assert office.emails == tuple(emails)
    assert office.faxes == ("+493047007125",)
    # One unbroken word (every e-mail start tried from each letter) and a heading of dashes
    # (the country name tried left of each dash): each took minutes at this length.
    word = "a" * 200_000
    source = write(tmp_path, "word.txt", f"Germany – Embassy (Berlin)\n{word}\n")
    (office,) = importer.import_file(source, "KZ").offices
    assert office.address == (word,)
    source = write(tmp_path, "dashes.txt", "Germany – Embassy (Berlin) " + "a-" * 100_000 + "\n")
    (office,) = importer.import_file(source, "KZ").offices
    assert (office.id, office.city) == ("de-berlin-embassy", "Berlin")


def test_fax_check_refuses_a_200_inch_page_before_rendering(tmp_path: Path) -> None:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200 * 72, 200 * 72))
    pdf.save(tmp_path / "huge.pdf")
    code, output, _ = subprocess_lettergen(
        "fax", "check", str(tmp_path / "huge.pdf"), memory=1_500_000_000
    )
    assert code == 1
    assert output.splitlines()[0] == (
        f"{tmp_path / 'huge.pdf'}: page 1: error: page-too-large: the page is 5080 × 5080 mm"
        " (a fax page is A4 or Letter; at most 1000 mm a side is checked)"
    )


def test_a_signer_given_on_the_command_line_is_checked_like_a_csv_row(tmp_path: Path) -> None:
    campaign = write(tmp_path, "c.yaml", CAMPAIGN)
    render = ["render", str(campaign), "--office", "de-berlin-embassy", "--directory"]
    render += [str(SHIPPED_DIRECTORY), "-o", str(tmp_path / "letter.pdf"), "--signer"]
    code, output = lettergen(*render, "W" * 10_000)
    assert (code, output) == (1, "Error: --signer: 10,000 characters; a letter takes at most 200\n")
    code, output = lettergen(*render, "Anna \u202eSmirnova")
    assert (code, output) == (
        1,
        "Error: --signer: U+202E RIGHT-TO-LEFT OVERRIDE refused: it changes the order in which"
        " a reader sees the text (remove it)\n",
    )
    assert not (tmp_path / "letter.pdf").exists()
    code, output = lettergen(*render, "Anna Smir\u200bnova")
    assert code == 0, output
    assert "Anna Smirnova" in pdftotext(tmp_path / "letter.pdf")


def test_a_joiner_that_is_spelling_stays_and_still_makes_no_second_signer(tmp_path: Path) -> None:
    persian = "می\u200cخواهم"  # the non-joiner between two Persian letters is spelling
    path = write(tmp_path, "s.csv", f"name\n{persian} Rahimi\nAnna\u200c Smirnova\n")
    assert [s.name for s in load_signers(path)] == [f"{persian} Rahimi", "Anna Smirnova"]
    twins = write(tmp_path, "twins.csv", f"name\n{persian}\nمیخواهم\n")
    with pytest.raises(LettergenError, match=r":3: name: 'میخواهم' appears twice \(first on"):
        load_signers(twins)


def test_fax_check_refuses_a_strip_of_a_page(tmp_path: Path) -> None:
    """A page shorter than the clear band a fax keeps at its top (found by the fuzz test) is a
    finding, not a traceback."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 42))
    path = tmp_path / "flat.pdf"
    pdf.save(path)
    result = CliRunner().invoke(cli, ["fax", "check", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "error: page-too-small: the page is 210 × 15 mm" in result.output
    assert "Traceback" not in result.output
