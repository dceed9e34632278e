"""The working folder and the templates: which folder wins, and `lettergen init`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEED_CAMPAIGN
from lettergen import paths
from lettergen.cli import cli
from lettergen.language import languages as i18n


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("LETTERGEN_TEMPLATES", raising=False)
    monkeypatch.setenv("LETTERGEN_HOME", str(tmp_path))
    (tmp_path / "data").mkdir()
    i18n.clear_caches()
    yield tmp_path
    i18n.clear_caches()


def test_the_shipped_templates_are_used_without_a_folder_of_ones_own(home: Path) -> None:
    assert paths.templates_dir() == paths.shipped_templates()
    assert paths.language_dir("de") == paths.shipped_templates() / "de"
    assert {"en", "de", "fr", "es", "ru", "ar"} <= set(i18n.available())


def test_a_language_of_ones_own_replaces_only_that_language(home: Path) -> None:
    own = home / "letter_templates" / "de"
    shutil.copytree(paths.shipped_templates() / "de", own)
    strings = own / "strings.yaml"
    strings.write_text(
        strings.read_text(encoding="utf-8").replace("status: draft", "status: reviewed"),
        encoding="utf-8",
    )
    assert paths.language_dir("de") == own
    assert paths.language_dir("fr") == paths.shipped_templates() / "fr"
    assert i18n.Language("de").status == "reviewed"
    assert i18n.Language("fr").folder == paths.shipped_templates() / "fr"
    # The layout stays the shipped one until the working folder has a layout/ of its own.
    assert paths.templates_dir() == paths.shipped_templates()
    shutil.copytree(paths.shipped_templates() / "layout", home / "letter_templates" / "layout")
    assert paths.templates_dir() == home / "letter_templates"
    # Passing the chosen folder on (as the writers do) keeps the merged search.
    assert i18n.Language("fr", paths.templates_dir()).folder.parent == paths.shipped_templates()


def test_lang_new_writes_into_the_working_folder(home: Path) -> None:
    result = CliRunner().invoke(cli, ["lang", "new", "pt"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (home / "letter_templates" / "pt" / "strings.yaml").is_file()
    assert not (paths.shipped_templates() / "pt").exists()
    assert "pt" in i18n.available()
    # A shipped language is not started again: the message says how to change it.
    result = CliRunner().invoke(cli, ["lang", "new", "de"])
    assert result.exit_code == 1
    assert "exists already (shipped with lettergen)" in result.output
    assert f"copy that folder to {home / 'letter_templates' / 'de'}/" in result.output


def test_init_makes_a_working_folder_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LETTERGEN_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "campaign-folder"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "campaign-folder"
    campaign = folder / "data" / "campaigns" / SEED_CAMPAIGN.name
    assert campaign.read_text(encoding="utf-8").endswith(SEED_CAMPAIGN.read_text(encoding="utf-8"))
    assert campaign.read_text(encoding="utf-8").startswith("# EXAMPLE")
    assert (folder / "data" / "directories" / "kazakhstan.yaml").is_file()
    assert (folder / "signers.csv").read_text(encoding="utf-8").startswith("name,")
    assert (folder / "output").is_dir()
    assert "cd campaign-folder" in result.output
    assert "lettergen batch free-zhanusov-2002 --all --signers signers.csv" in result.output

    # The folder is now a home: lettergen finds its campaign from inside it.
    monkeypatch.chdir(folder)
    assert paths.home() == folder
    assert paths.campaigns_dir() == folder / "data" / "campaigns"

    campaign.write_text("edited\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init", "."])
    assert result.exit_code == 1
    assert "a working folder exists here already; nothing was written" in result.output
    assert campaign.read_text(encoding="utf-8") == "edited\n"
    assert "Traceback" not in result.output


def test_init_writes_nothing_when_one_file_is_in_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "signers.csv").write_text("name\nsomeone\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert "signers.csv" in result.output
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "output").exists()
