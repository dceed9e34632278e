"""README's first steps run as written: every `lettergen` line of its shell blocks, in order, in a
folder laid out like a fresh clone (data/ and its example files), through a shell, as a reader
would paste them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, pdftotext

#: Lines not run here, and why (each has tests of its own).
NOT_RUN = {
    "lettergen serve": "a server that runs until stopped (tests/web/test_web_browser.py)",
    "--transport hylafax": "needs a fax server (tests/send/test_send_hylafax.py)",
}


def first_steps() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## First steps", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("lettergen ")]


def test_the_first_steps_are_found() -> None:
    commands = first_steps()
    assert len(commands) >= 10
    assert any(c.startswith("lettergen render") for c in commands)
    assert any("--joint" in c for c in commands)


def test_readmes_first_steps_run_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("LETTERGEN_HOME", None)
    env.pop("LETTERGEN_TEMPLATES", None)
    ran = []
    for command in first_steps():
        if any(marker in command for marker in NOT_RUN):
            continue
        result = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, command
        ran.append(command)
    assert len(ran) >= 10
    # What they made is what README says.
    assert "Zhanusov" in pdftotext(tmp_path / "berlin.pdf")
    batch = tmp_path / "output" / "free-zhanusov-2002"
    assert len(list((batch / "en").glob("*--joint.pdf"))) > 40
    assert (tmp_path / "letter_templates" / "pt" / "strings.yaml").is_file()
    assert (tmp_path / "output" / "proof-pt.pdf").is_file()
    # Nothing was written into the checkout.
    assert not (ROOT / "berlin.pdf").exists()


@pytest.mark.parametrize("marker", sorted(NOT_RUN))
def test_lines_not_run_here_are_in_the_readme(marker: str) -> None:
    assert any(marker in command for command in first_steps()), marker
