"""Signers: names in any script get file names of their own, duplicates are found whatever the
case and spacing, and a CSV saved by Excel (UTF-8 with a byte order mark) is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.campaign.signers import Signer, load_signers
from lettergen.cli import cli
from lettergen.errors import LettergenError


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "signers.csv"
    path.write_bytes(text.encode(encoding))
    return path


def slugs(path: Path) -> dict[str, str]:
    return {s.name: s.slug for s in load_signers(path)}


def test_two_russian_supporters_get_their_own_slugs(tmp_path: Path) -> None:
    found = slugs(write(tmp_path, "name,city\nАнна Смирнова,Москва\nИван Петров,Казань\n"))
    assert len(set(found.values())) == 2
    for slug in found.values():
        assert re.fullmatch(r"signer-[0-9a-f]{8}", slug), slug
    # The slug is the name's: the same in another file, on another row.
    again = slugs(write(tmp_path, "name\nИван Петров\nАнна Смирнова\nJohn Smith\n"))
    assert again["Анна Смирнова"] == found["Анна Смирнова"]
    assert again["Иван Петров"] == found["Иван Петров"]
    assert Signer("Анна Смирнова").slug == found["Анна Смирнова"]


def test_arabic_and_mixed_names(tmp_path: Path) -> None:
    found = slugs(
        write(
            tmp_path, "name\nمحمد علي\nأحمد علي\nАнна Smith\nАнна Смирнова (Amnesty)\nJosé García\n"
        )
    )
    assert len(set(found.values())) == 5
    assert found["محمد علي"].startswith("signer-")
    assert re.fullmatch(r"smith-[0-9a-f]{8}", found["Анна Smith"])
    assert found["Анна Смирнова (Amnesty)"].startswith("signer-")  # little of it is ascii
    assert re.fullmatch(r"jose-garcia-[0-9a-f]{8}", found["José García"])


def test_ascii_names_keep_their_readable_slug(tmp_path: Path) -> None:
    assert slugs(write(tmp_path, "name\nMaria Lopez\nJohn Smith\n")) == {
        "Maria Lopez": "maria-lopez",
        "John Smith": "john-smith",
    }


def test_names_that_transliterate_alike_get_distinct_slugs_whatever_the_order(
    tmp_path: Path,
) -> None:
    first = slugs(write(tmp_path, "name\nJosé Garcia\nJose Garcia\nJohn Smith\nJohn-Smith\n"))
    assert len(set(first.values())) == 4
    assert first["Jose Garcia"] == "jose-garcia"
    assert first["John Smith"] != first["John-Smith"]
    assert all(first[n].startswith("john-smith-") for n in ("John Smith", "John-Smith"))
    second = slugs(write(tmp_path, "name\nJohn-Smith\nJose Garcia\nJohn Smith\nJosé Garcia\n"))
    assert second == first


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Анна Смирнова", "Анна Смирнова"),
        ("Анна Смирнова", "анна смирнова"),
        ("Анна Смирнова", "АННА   СМИРНОВА"),
        ("Anna Smith", "anna  smith"),
    ],
)
def test_duplicates_are_found_whatever_the_case_and_spacing(
    tmp_path: Path, first: str, second: str
) -> None:
    path = write(tmp_path, f"name\n{first}\n{second}\n")
    with pytest.raises(LettergenError, match=r"signers\.csv:3: name: .* appears twice"):
        load_signers(path)


def test_a_csv_saved_by_excel_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "name,city\r\nАнна Смирнова,Москва\r\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    [signer] = load_signers(path)
    assert (signer.name, signer.city) == ("Анна Смирнова", "Москва")


def test_batch_writes_one_file_per_russian_signer(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffname,city\nАнна Смирнова,Москва\nИван Петров,Казань\n")
    result = CliRunner().invoke(
        cli,
        ["batch", "free-zhanusov-2002", "--offices", "de-berlin-embassy", "--signers", str(path),
         "-o", str(tmp_path / "out")],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").rglob("de-berlin-embassy--*.pdf"))
    assert files == sorted(
        f"de-berlin-embassy--{Signer(n).slug}.pdf" for n in ("Анна Смирнова", "Иван Петров")
    )


def test_a_control_character_in_a_field_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "signers.csv"
    path.write_text("name,city\nMaria Lopez,Madrid\nJohn\x0bSmith,Leeds\n", encoding="utf-8")
    with pytest.raises(LettergenError) as caught:
        load_signers(path)
    assert f"{path}:3: name: holds a control character" in str(caught.value)
