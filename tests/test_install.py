"""lettergen installed from its wheel, as pipx would: templates and examples are package data,
and a working folder made by `lettergen init` outside the checkout writes real letters.

The wheel is built as `make dist` builds it (scripts/build-wheel: `pip wheel --no-build-isolation`
from a copy of this checkout, with the project venv's setuptools) and installed without its
dependencies into a fresh venv; a .pth file lends it the project venv's site-packages for
those, so the test runs offline. The installed lettergen must be the wheel's, not the
checkout's: the test asserts where it was imported from.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SEED_CAMPAIGN, SHIPPED_DIRECTORY, pdftotext
from lettergen import paths


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `make dist` builds (scripts/build-wheel), the file README tells pipx users to
    install."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-wheel"), str(out)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (wheel,) = out.glob("lettergen-*.whl")
    assert built.stdout.strip() == str(wheel.resolve())
    return wheel


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel (dependencies lent by the project venv)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", ask], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    # Appended after the venv's own site-packages: the wheel's lettergen is found first; the
    # project's editable-install hook is a .pth file there, which a plain path line never runs.
    (site / "lettergen-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETTERGEN_")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


def test_the_wheel_ships_templates_and_examples(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in ("en", "de", "fr", "es", "ru", "ar"):
        assert f"lettergen/letter_templates/{lang}/strings.yaml" in names
        assert f"lettergen/letter_templates/{lang}/letter.md.j2" in names
    assert "lettergen/letter_templates/layout/letter.css" in names
    assert "lettergen/letter_templates/layout/letter.html.j2" in names
    assert "lettergen/examples/campaigns/free-zhanusov-2002.yaml" in names
    assert "lettergen/examples/directories/kazakhstan.yaml" in names
    assert "lettergen/examples/signers.csv" in names


def test_the_docs_install_the_wheel_make_dist_builds(wheel: Path) -> None:
    # lettergen is on no package index: every pip or pipx install the docs show names the file
    # `make dist` writes (this wheel), and no other.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "DIST := dist" in makefile
    assert "scripts/build-wheel $(DIST)" in makefile
    built = f"dist/{wheel.name}"
    for doc in ("README.md", "docs/install.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        installs = re.findall(r"\bpipx? install ([^\s`,]+)", text)
        assert installs, f"{doc} shows no pipx install"
        for target in installs:
            assert fnmatch.fnmatch(built, target), f"{doc}: pip(x) install {target}"
        for named in re.findall(r"dist/lettergen-[^\s`*]+\.whl", text):
            assert named == built, f"{doc} names {named}, make dist writes {built}"


def test_the_shipped_examples_are_the_checkouts_seed_files() -> None:
    # `lettergen init` gives pipx users the same campaign and directory as the checkout's data/:
    # src/lettergen/examples/ links to them, and the wheel carries the files themselves.
    examples = paths.examples_dir()
    assert (examples / "campaigns" / SEED_CAMPAIGN.name).read_bytes() == SEED_CAMPAIGN.read_bytes()
    assert (examples / "directories" / SHIPPED_DIRECTORY.name).read_bytes() == (
        SHIPPED_DIRECTORY.read_bytes()
    )


def test_a_wheel_install_writes_letters_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    env = _env(installed)
    python = str(installed / "bin" / "python")
    where = _run([python, "-c", "import lettergen; print(lettergen.__file__)"], tmp_path, env)
    assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout
    lettergen = str(installed / "bin" / "lettergen")

    result = _run([lettergen, "init", "work"], tmp_path, env)
    assert "lettergen missions validate" in result.stdout
    work = tmp_path / "work"
    assert (
        (work / "data" / "campaigns" / "free-zhanusov-2002.yaml")
        .read_text(encoding="utf-8")
        .startswith("# EXAMPLE")
    )

    result = _run([lettergen, "lang", "check"], work, env)
    assert "en (" in result.stderr and "letters cannot be made" not in result.stderr

    _run(
        [lettergen, "batch", "free-zhanusov-2002", "--countries", "DE", "--format", "pdf"],
        work,
        env,
    )
    letters = sorted((work / "output" / "free-zhanusov-2002").rglob("*.pdf"))
    assert letters, "no letter written"
    text = pdftotext(letters[0])
    assert "Zhanusov" in text
    assert "Berlin" in text
    assert not list(ROOT.glob("output/work*"))


def test_without_hylafax_the_fax_transport_names_the_debian_package(
    installed: Path, tmp_path: Path
) -> None:
    # A pipx install on a machine without HylaFAX's client: one line naming the package to
    # install, before any letter is rendered or the page served.
    env = _env(installed)
    env["PATH"] = str(installed / "bin")  # no sendfax, no faxstat
    lettergen = str(installed / "bin" / "lettergen")
    _run([lettergen, "init", "work"], tmp_path, env)
    work = tmp_path / "work"
    (work / "hylafax.send.toml").write_text('transport = "hylafax"\n[fax_for_me]\n')
    for command in (
        ["send", "free-zhanusov-2002", "--transport", "hylafax"],
        ["serve", "free-zhanusov-2002", "--fax-for-me", "--config", "hylafax.send.toml"],
    ):
        result = subprocess.run(
            [lettergen, *command], cwd=work, env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, result.stderr)
        assert "sendfax and faxstat not found" in lines[0]
        assert "apt-get install hylafax-client" in lines[0]
        assert not (work / "output" / "free-zhanusov-2002").exists(), "letters were rendered"
