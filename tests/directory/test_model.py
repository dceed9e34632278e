"""The directory YAML: loading with file:line in every message, merging, dumping."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lettergen.directory.model import (
    Directory,
    Office,
    dump_directory,
    load_directories,
    load_directory,
    merge,
)
from lettergen.errors import DataError, InputError, ManyErrors

FIXTURE = Path(__file__).parents[1] / "fixtures" / "routing-offices.yaml"

GOOD = """\
state: KZ
offices:
  - id: be-brussels-embassy
    country: BE
    kind: embassy
    faxes: ["+3223745091"]
  - id: nl-non-resident
    country: nl
    kind: non-resident
    served_by: be-brussels-embassy
"""


def write(tmp_path: Path, text: str, name: str = "kz.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_keeps_fields_and_record_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    directory = load_directory(path)
    assert directory.state == "KZ"
    embassy, nl = directory.offices
    assert embassy.faxes == ("+3223745091",)
    assert (embassy.file, embassy.line) == (path, 3)
    assert nl.country == "NL"  # codes are upper-cased
    assert nl.line == 7
    assert nl.role == "ambassador"


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "  - id: [unclosed\n")
    with pytest.raises(InputError) as info:
        load_directory(path)
    assert str(info.value).startswith(f"{path}:12: malformed YAML:")


def test_duplicate_key_in_a_record_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("    kind: embassy\n", "    kind: embassy\n    kind: mission\n")
    )
    with pytest.raises(InputError, match=r":6: malformed YAML: duplicate key 'kind'"):
        load_directory(path)


def test_unknown_kind_names_the_line_of_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("kind: embassy", "kind: embasy"))
    with pytest.raises(ManyErrors) as info:
        load_directory(path)
    assert str(info.value) == (
        f"{path}:5: kind: unknown kind 'embasy' (one of: embassy, consulate-general, consulate,"
        " mission, permanent-mission, visa-office, non-resident)"
    )


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("kind: embassy", "kind: embasy").replace("country: nl", "country: NLD")
    with pytest.raises(ManyErrors) as info:
        load_directory(write(tmp_path, text))
    assert [e.place.line for e in info.value.errors if e.place] == [5, 8]
    assert "country 'NLD' is not an ISO 3166 alpha-2 code" in str(info.value)


def test_missing_id_names_the_record(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("  - id: nl-non-resident\n    country", "  - country"))
    with pytest.raises(ManyErrors, match=rf"{path}:7: id: id is missing"):
        load_directory(path)


def test_unknown_key_is_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, GOOD.replace("    faxes:", "    fax_numbers: []\n    faxes:"))
    with caplog.at_level(logging.WARNING, logger="lettergen"):
        load_directory(path)
    assert f"{path}:6: fax_numbers: unknown key 'fax_numbers' ignored" in caplog.messages


def test_not_a_directory_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory file"):
        load_directory(write(tmp_path, "- just\n- a list\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: file not found"):
        load_directories(tmp_path / "nope.yaml")


def test_folder_without_directory_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no directory files"):
        load_directories(tmp_path)


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD.split("  - id: nl")[0], "b.yaml")
    with pytest.raises(ManyErrors) as info:
        load_directories(tmp_path)
    (error,) = info.value.errors
    assert isinstance(error, DataError)
    assert str(error) == (
        f"{tmp_path / 'b.yaml'}:3: id: duplicate office id 'be-brussels-embassy'"
        f" (first at {tmp_path / 'a.yaml'}:3)"
    )


def test_merge_refuses_different_sending_states(tmp_path: Path) -> None:
    kz = load_directory(write(tmp_path, GOOD, "kz.yaml"))
    ua = load_directory(write(tmp_path, GOOD.replace("state: KZ", "state: UA"), "ua.yaml"))
    with pytest.raises(DataError, match="different sending states: KZ, UA"):
        merge([kz, ua])


def test_folder_of_files_merges_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, GOOD.split("  - id: nl")[0], "a.yaml")
    write(
        tmp_path,
        "state: KZ\noffices:\n"
        + GOOD.split("offices:\n")[1].split("  - id: be")[0]
        + "  - id: nl-non-resident\n    country: NL\n    kind: non-resident\n",
        "b.yaml",
    )
    assert [o.id for o in load_directories(tmp_path)] == ["be-brussels-embassy", "nl-non-resident"]


def test_dump_then_load_gives_the_same_offices(tmp_path: Path) -> None:
    original = load_directory(FIXTURE)
    text = dump_directory(original, {"nl-non-resident": ["hand-corrected: served from Brussels"]})
    assert "  # hand-corrected: served from Brussels\n  - id: nl-non-resident" in text
    again = load_directory(write(tmp_path, text))
    assert again.state == original.state
    assert again.source == original.source
    assert again.offices == original.offices


def test_dump_round_trips_awkward_text(tmp_path: Path) -> None:
    office = Office(
        id="cz-prague-mission",
        country="CZ",
        kind="mission",
        city="Praha",
        address=("Pod hradbami 17, 160 41 Praha 6", "tel: 'quoted' # not a comment", "Ústí"),
        notes=("Ambassador with residence in Budapest: see Hungary",),
        source_line=115,
    )
    directory = Directory("KZ", [office], source='Appeal "7 September 2002": directory')
    again = load_directory(write(tmp_path, dump_directory(directory)))
    assert again.offices == [office]
    assert again.source == directory.source


def test_unknown_office_id_has_a_hint() -> None:
    with pytest.raises(DataError, match=r"unknown office id 'xx' \('lettergen missions list'"):
        load_directory(FIXTURE).get("xx")


@pytest.mark.parametrize(
    "bad_id",
    ["../../../escaped", "de/berlin", "De-Berlin-Embassy", "de_berlin", "de--berlin", "-de", "de-"],
)
def test_id_must_be_a_slug(tmp_path: Path, bad_id: str) -> None:
    path = write(tmp_path, GOOD.replace("id: be-brussels-embassy", f"id: '{bad_id}'"))
    with pytest.raises(ManyErrors) as info:
        load_directory(path)
    (error,) = info.value.errors
    assert str(error).startswith(f"{path}:3: id: id {bad_id!r} is not a slug")


def test_id_of_the_wrong_type_is_not_missing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("id: be-brussels-embassy", "id: [be, brussels]"))
    with pytest.raises(ManyErrors) as info:
        load_directory(path)
    assert str(info.value) == f"{path}:3: id: id must be a text, not a list"


def test_bare_no_as_country_is_norway(tmp_path: Path) -> None:
    # YAML 1.2 booleans: only true and false; NO is Norway's code, not false.
    directory = load_directory(write(tmp_path, GOOD.replace("country: nl", "country: NO")))
    assert directory.offices[1].country == "NO"


def test_bare_no_in_a_list_is_not_read_as_false(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("    faxes:", "    accredited_to: [IE, NO, SE, no, off]\n    faxes:")
    )
    assert load_directory(path).offices[0].accredited_to == ("IE", "NO", "SE", "no", "off")


def test_quoted_no_loads(tmp_path: Path) -> None:
    text = GOOD.replace("country: nl", "country: 'NO'").replace(
        "    faxes:", "    accredited_to: [IE, 'NO', SE]\n    faxes:"
    )
    directory = load_directory(write(tmp_path, text))
    assert directory.offices[0].accredited_to == ("IE", "NO", "SE")
    assert directory.offices[1].country == "NO"


def test_bare_no_as_state_is_norway(tmp_path: Path) -> None:
    path = write(tmp_path, "# Norway's offices\n" + GOOD.replace("state: KZ", "state: NO"))
    assert load_directory(path).state == "NO"


def test_true_or_false_where_a_text_belongs_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\n" + GOOD.replace("state: KZ", "state: false"))
    with pytest.raises(ManyErrors) as info:
        load_directory(path)
    assert str(info.value) == (
        f"{path}:2: state: state is read as false, not as a text (write the text in quotes)"
    )


def test_wrong_state_names_the_line_of_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\n\n" + GOOD.replace("state: KZ", "state: KAZ"))
    with pytest.raises(ManyErrors, match=rf"^{path}:3: state: state must be the ISO code"):
        load_directory(path)


@pytest.mark.parametrize("key", ["city", "addressee", "organisation", "website", "served_by"])
def test_single_value_fields_refuse_lists(tmp_path: Path, key: str) -> None:
    path = write(
        tmp_path, GOOD.replace("    faxes:", f"    {key}: [London, Westminster]\n    faxes:")
    )
    with pytest.raises(ManyErrors) as info:
        load_directory(path)
    assert str(info.value) == f"{path}:6: {key}: {key} must be one text, not a list"


def test_state_no_is_written_so_that_it_loads_again(tmp_path: Path) -> None:
    office = Office(id="gb-london-embassy", country="GB", kind="embassy", accredited_to=("NO",))
    text = dump_directory(Directory("NO", [office]))
    assert text.startswith("state: 'NO'\n")
    again = load_directory(write(tmp_path, text))
    assert again.state == "NO"
    assert again.offices == [office]
