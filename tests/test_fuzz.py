"""Every reader of user files ends in a clear message or a result, never a traceback.

Random and mutated campaign YAML, directory YAML, signers CSV, directory text, a language's
strings.yaml and files given to `fax check` are fed to the library functions (the outcome must
be a value or a LettergenError) and, for fewer examples, to the real command line through
click's CliRunner (exit 0, or exit 1 with an "Error:" line and no traceback). The mutations
start from valid files, so most examples get past the first line and reach the checks behind
it; the tricky pieces inserted are the ones users and attackers type: YAML 1.1 booleans, dates
that are none, aliases, merge keys, tags, deep nesting, bidi and zero-width characters."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from conftest import ROOT, SHIPPED_DIRECTORY
from lettergen import campaign as campaigns
from lettergen.campaign.signers import load_signers
from lettergen.cli import cli
from lettergen.directory.model import load_directory
from lettergen.directory.sources import text as importer
from lettergen.errors import LettergenError
from lettergen.language import languages as i18n
from lettergen.render.checks import check_file

LIBRARY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COMMAND_LINE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CAMPAIGN = """\
directory: kazakhstan
date: 2002-09-07
letter_date: 2002-09-07
default_language: en
subject:
  en: "Saken Zhanusov and the Karaganda trade unions"
case:
  en: |
    Saken Zhanusov is in detention.

    The charges concern the unions' campaign.
demands:
  en: ["Release Saken Zhanusov.", "Drop all charges."]
sender: {name: Anna Smirnova, organisation: Solidarity, email: anna@example.org}
targets: {countries: [DE, 'NO']}
"""

DIRECTORY = """\
state: KZ
source: a test
offices:
  - id: de-berlin-embassy
    country: DE
    city: Berlin
    kind: embassy
    address: [Nordenstrasse 14-17, D-13156 Berlin]
    faxes: ["+493047007125"]
  - id: no-non-resident
    country: 'NO'
    kind: non-resident
    served_by: de-berlin-embassy
"""

SIGNERS = "name,organisation,city,country,email\nAnna Smirnova,Solidarity,Moscow,RU,a@b.org\n"
SIGNERS += '"Smith, John",,London,GB,\nJosé García,,Madrid,ES,\n'

SOURCE_TEXT = "\n".join(
    (ROOT / "data" / "sources" / "kazakhstan-2002.txt")
    .read_text(encoding="utf-8")
    .split("\n")[138:175]
)

TRICKY = [
    "NO",
    "yes",
    "off",
    "~",
    "2002-13-45",
    "2002-09-07 10:00:00",
    "2002-02-30",
    "&a [1, 2]",
    "*a",
    "<<: *a",
    "&b {x: *b}",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    "!!set {a, b}",
    "[" * 300,
    "{" * 80 + "}" * 80,
    "- " * 100,
    ": ",
    "\t",
    '"',
    "'",
    ",",
    "\x00",
    "\ufeff",
    "\u202e",
    "\u2066x\u2069",
    "\u200b",
    "e\u0301",
    "x" * 300,
    "1e400",
    "0x1F",
    "0o17",
    "12:30:00",
    ".nan",
    "#",
    "\r",
    "\u2028",
]


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    """seed with one to four edits: an insertion (a tricky piece or random text), a deletion,
    a line replaced, or a slice repeated."""
    text = seed
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "line", "repeat"]))
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 60)))
        piece = draw(st.sampled_from(TRICKY) | st.text(max_size=12))
        if op == "insert":
            text = text[:start] + piece + text[start:]
        elif op == "delete":
            text = text[:start] + text[end:]
        elif op == "line":
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            lines[index] = indent + piece
            text = "\n".join(lines)
        else:
            text = text[:end] + text[start:end] * draw(st.integers(1, 50)) + text[end:]
    return text


def texts(seed: str) -> st.SearchStrategy[str]:
    return mutated(seed) | st.text(max_size=300)


@contextmanager
def folder() -> Iterator[Path]:
    # A folder per example: hypothesis runs many examples in one test function.
    path = Path(tempfile.mkdtemp(prefix="lettergen-fuzz-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write(where: Path, name: str, content: str | bytes) -> Path:
    path = where / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8", "surrogatepass"))
    else:
        path.write_bytes(content)
    return path


def clear_or_done(read: Callable[[], Any]) -> None:
    """A result, or a LettergenError whose message names something; anything else fails."""
    try:
        read()
    except LettergenError as exc:
        assert str(exc).strip()


def command_line(args: list[str], env: dict[str, str] | None = None) -> None:
    result = CliRunner().invoke(cli, args, env=env)
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # shows the traceback hypothesis then shrinks
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "Error:" in result.output or "error" in result.output, result.output


@LIBRARY
@given(texts(CAMPAIGN))
def test_campaign_yaml(text: str) -> None:
    with folder() as where:
        path = write(where, "campaign.yaml", text)
        clear_or_done(lambda: campaigns.load(path))


@LIBRARY
@given(texts(DIRECTORY))
def test_directory_yaml(text: str) -> None:
    with folder() as where:
        path = write(where, "kz.yaml", text)
        clear_or_done(lambda: load_directory(path))


@LIBRARY
@given(texts(SIGNERS))
def test_signers_csv(text: str) -> None:
    with folder() as where:
        path = write(where, "signers.csv", text)
        clear_or_done(lambda: load_signers(path))


@LIBRARY
@given(texts(SOURCE_TEXT))
def test_directory_text(text: str) -> None:
    clear_or_done(lambda: importer.to_yaml(importer.import_text(text, "KZ")))


STRINGS = (ROOT / "letter_templates" / "en" / "strings.yaml").read_text(encoding="utf-8")


@settings(LIBRARY, max_examples=60)
@given(mutated(STRINGS))
def test_strings_yaml(text: str) -> None:
    with folder() as where:
        shutil.copytree(ROOT / "letter_templates" / "en", where / "xx")
        write(where / "xx", "strings.yaml", text)
        i18n.clear_caches()
        clear_or_done(lambda: i18n.Language("xx", where))


def _pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def _tiff() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (1728, 400), 1).save(buffer, "TIFF", compression="group3", dpi=(204, 196))
    return buffer.getvalue()


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        else:
            data[at:at] = draw(st.binary(max_size=40))
        if not data:
            data = bytearray(b"%PDF")
    return bytes(data)


@settings(LIBRARY, max_examples=100)
@given(damaged(_pdf()) | damaged(_tiff()) | st.binary(max_size=200))
def test_fax_check_inputs(data: bytes) -> None:
    with folder() as where:
        path = write(where, "letter.pdf", data)
        clear_or_done(lambda: check_file(path))


# --- the command line -----------------------------------------------------------------------


@settings(COMMAND_LINE, max_examples=15)  # each valid file renders a letter
@given(texts(CAMPAIGN))
def test_campaign_on_the_command_line(text: str) -> None:
    with folder() as where:
        path = write(where, "campaign.yaml", text)
        args = ["batch", str(path), "--offices", "de-berlin-embassy", "--format", "docx"]
        args += ["--directory", str(SHIPPED_DIRECTORY), "-o", str(where / "out")]
        command_line(args)


@COMMAND_LINE
@given(texts(DIRECTORY))
def test_directory_on_the_command_line(text: str) -> None:
    with folder() as where:
        path = write(where, "kz.yaml", text)
        command_line(["missions", "validate", "--directory", str(path)])


@settings(COMMAND_LINE, max_examples=12)  # each valid file renders a letter
@given(texts(SIGNERS))
def test_signers_on_the_command_line(text: str) -> None:
    with folder() as where:
        campaign = write(where, "campaign.yaml", CAMPAIGN)
        path = write(where, "signers.csv", text)
        args = ["batch", str(campaign), "--offices", "de-berlin-embassy", "--format", "docx"]
        args += ["--directory", str(SHIPPED_DIRECTORY), "-o", str(where / "out")]
        command_line([*args, "--signers", str(path)])


@COMMAND_LINE
@given(texts(SOURCE_TEXT))
def test_directory_text_on_the_command_line(text: str) -> None:
    with folder() as where:
        path = write(where, "source.txt", text)
        command_line(
            ["directory", "import", str(path), "-o", str(where / "kz.yaml"), "--state", "KZ"]
        )


@settings(COMMAND_LINE, max_examples=15)
@given(mutated(STRINGS))
def test_strings_yaml_on_the_command_line(text: str) -> None:
    with folder() as where:
        shutil.copytree(ROOT / "letter_templates", where / "templates")
        write(where / "templates" / "en", "strings.yaml", text)
        i18n.clear_caches()
        try:
            command_line(
                ["lang", "check", "en"], env={"LETTERGEN_TEMPLATES": str(where / "templates")}
            )
        finally:
            i18n.clear_caches()


@COMMAND_LINE
@given(damaged(_pdf()) | damaged(_tiff()))
def test_fax_check_on_the_command_line(data: bytes) -> None:
    with folder() as where:
        command_line(["fax", "check", str(write(where, "letter.tif", data))])


@pytest.mark.parametrize("name", ["campaign.yaml", "kz.yaml", "signers.csv", "source.txt"])
def test_a_file_that_is_not_utf8_is_a_clear_error(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, name, b"name\n\xff\xfe bad\n")
    readers: dict[str, Callable[[], Any]] = {
        "campaign.yaml": lambda: campaigns.load(path),
        "kz.yaml": lambda: load_directory(path),
        "signers.csv": lambda: load_signers(path),
        "source.txt": lambda: importer.import_file(path, "KZ"),
    }
    with pytest.raises(LettergenError, match=r"not UTF-8 text \(invalid start byte at byte 5\)"):
        readers[name]()
