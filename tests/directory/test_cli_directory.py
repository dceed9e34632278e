"""`lettergen directory import` and `lettergen missions validate`: wiring, output, exit codes."""

from __future__ import annotations

from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.directory.model import load_directory
from lettergen.errors import shown

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "sources" / "kazakhstan-2002.txt"
SHIPPED = ROOT / "data" / "directories" / "kazakhstan.yaml"


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_writes_the_directory_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "kz.yaml"
    result = run("directory", "import", str(SEED), "-o", str(out), "--state", "KZ")
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert "offices: 48\n" in result.output
    assert "non-resident entries: 21\n" in result.output
    assert "unplaced lines: 9\n" in result.output
    assert "  line 5: Australia – in Sydney  (before the first entry)\n" in result.output
    assert "warnings: 0\n" in result.output
    directory = load_directory(out)
    assert directory.state == "KZ"
    assert directory.get("de-berlin-embassy").faxes == ("+493047007125",)
    assert "# Imported with: lettergen directory import" in out.read_text(encoding="utf-8")


def test_import_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "kz.yaml"
    out.write_text("# reviewed by hand\n", encoding="utf-8")
    result = run("directory", "import", str(SEED), "-o", str(out), "--state", "KZ")
    assert result.exit_code == 1
    assert "already exists and may hold hand corrections" in result.output
    assert out.read_text(encoding="utf-8") == "# reviewed by hand\n"
    forced = run("directory", "import", str(SEED), "-o", str(out), "--state", "KZ", "--force")
    assert forced.exit_code == 0
    assert len(load_directory(out)) == 69


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"Germany \xe2\x80\x93 Embassy (Berlin)\n\xff\xfe\n", "not UTF-8 text"),
        (b"Dear friends,\nplease fax the embassies.\n", "no directory in this text"),
    ],
)
def test_import_bad_input(tmp_path: Path, content: bytes | None, message: str) -> None:
    source = tmp_path / "source.txt"
    if content is not None:
        source.write_bytes(content)
    out = tmp_path / "out.yaml"
    result = run("directory", "import", str(source), "-o", str(out), "--state", "KZ")
    assert result.exit_code == 1
    assert message in result.output
    assert str(source) in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_import_unknown_state(tmp_path: Path) -> None:
    result = run("directory", "import", str(SEED), "-o", str(tmp_path / "x.yaml"), "--state", "QQ")
    assert result.exit_code == 1
    assert "unknown sending state 'QQ'" in result.output


def test_validate_shipped_directory_exits_0_with_warnings() -> None:
    result = run("missions", "validate", "--directory", str(SHIPPED))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    meshed = load_directory(SHIPPED).get("pk-meshed-consulate-general")
    assert (
        f"{shown(SHIPPED)}:{meshed.line}: office pk-meshed-consulate-general: warning: "
        "no-address: the address is only the city: no street"
    ) in lines
    assert any(
        "office us-new-york-consulate: warning: fax-shared: fax +12128883025" in line
        for line in lines
    )
    assert any(
        "office ru-moscow-embassy: warning: number-invalid-today: fax +70952082650" in line
        for line in lines
    )
    # Meshed: no fax valid today, no e-mail, no street address: no channel reaches it.
    assert any(
        "office pk-meshed-consulate-general: warning: no-channel: no working channel" in line
        for line in lines
    )
    assert "0 errors, 27 warnings" in result.stderr


def test_validate_strict_fails_on_warnings() -> None:
    result = run("missions", "validate", "--strict", "--directory", str(SHIPPED))
    assert result.exit_code == 1


def test_validate_fails_on_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "state: KZ\noffices:\n"
        "  - id: de-berlin-embassy\n    country: DE\n    kind: embassy\n"
        "    city: Berlin\n    address: [Nordenstrasse 14, Berlin]\n"
        "    faxes: ['+493047007125']\n"
        "  - id: dz-non-resident\n    country: DZ\n    kind: non-resident\n"
        "    served_by: eg-cairo-embassy\n",
        encoding="utf-8",
    )
    result = run("missions", "validate", "--directory", str(path))
    assert result.exit_code == 1
    assert result.stdout == (
        f"{path}:9: office dz-non-resident: error: served-by-unknown: "
        "served_by 'eg-cairo-embassy' is not an office id of this directory\n"
    )
    assert "1 errors, 0 warnings" in result.stderr


def test_validate_malformed_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("state: KZ\noffices: [\n", encoding="utf-8")
    result = run("missions", "validate", "--directory", str(path))
    assert result.exit_code == 1
    assert f"{path}:" in result.output
    assert "malformed YAML" in result.output


def test_validate_missing_directory(tmp_path: Path) -> None:
    result = run("missions", "validate", "--directory", str(tmp_path / "none.yaml"))
    assert result.exit_code == 1
    assert "file not found" in result.output


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["directory", "import"], "Read the directory text SOURCE"),
        (["missions", "validate"], "Check the directory"),
    ],
)
def test_help(command: list[str], text: str) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert text in result.output
