"""The documentation matches the program: every `lettergen …` command and `--option` that
README.md and docs/*.md mention exists in that command's --help, and every finding code of the
checkers' registries is listed in docs/codes.md with its severity (and nothing else is)."""

from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import ROOT
from lettergen.cli import cli
from lettergen.directory.validate import CODES as DIRECTORY_CODES
from lettergen.findings import Codes
from lettergen.lang import CODES as LANGUAGE_CODES
from lettergen.render.checks import CODES as FAX_CODES

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REGISTRIES: dict[str, Codes] = {
    "missions validate": DIRECTORY_CODES,
    "fax check": FAX_CODES,
    "lang check": LANGUAGE_CODES,
}


def _commands(text: str) -> list[str]:
    """`lettergen …` invocations: lines of code blocks, and inline `lettergen …` code."""
    found = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        joined = re.sub(r"\s*\\\n\s*", " ", block)  # continued lines
        for line in joined.splitlines():
            line = re.sub(r"^\s*(\$\s+)?", "", line)
            if line.startswith(("lettergen ", ".venv/bin/lettergen ")):
                found.append(line.split("  #")[0].split(" # ")[0])
    found += re.findall(r"`((?:\.venv/bin/)?lettergen [^`]+)`", text)
    return found


@cache
def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, (path, result.output)
    return result.output


def _resolve(words: list[str]) -> tuple[tuple[str, ...], click.Command]:
    """The command path a line names ("lang", "check") and its click command."""
    command: click.Command = cli
    path: list[str] = []
    for word in words:
        if not isinstance(command, click.Group) or word.startswith("-"):
            break
        sub = command.commands.get(word)
        if sub is None:
            break
        command, path = sub, [*path, word]
    return tuple(path), command


def _options(command: click.Command) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}


def _every_option() -> set[str]:
    found = {"--help", "-h", "--version"}

    def walk(command: click.Command) -> None:
        found.update(_options(command))
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                walk(sub)

    walk(cli)
    return found


def _benchmark_options() -> set[str]:
    """The options benchmarks/*.py declare (argparse)."""
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "benchmarks").glob("*.py"))
    return set(re.findall(r"add_argument\(\s*\"(--[a-z][a-z0-9-]*)\"", source))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_documented_command_and_option_exists(doc: Path) -> None:
    problems = problems_in(doc.read_text(encoding="utf-8"))
    assert problems == [], "\n".join(problems)


def problems_in(text: str) -> list[str]:
    """What a page says that `lettergen --help` does not."""
    problems = []
    for line in _commands(text):
        try:
            words = shlex.split(line, comments=True)[1:]
        except ValueError:
            words = line.split()[1:]
        if not words or not re.match(r"[a-z-]", words[0]):
            continue  # "lettergen ..." stands for any command
        path, command = _resolve(words)
        unknown = len(words) > len(path) and not words[len(path)].startswith("-")
        if isinstance(command, click.Group) and unknown:
            problems.append(f"{line!r}: no command {' '.join(words[: len(path) + 1])!r}")
            continue
        shown = _help(path)
        for word in words[len(path) :]:
            option = word.split("=")[0]
            if re.fullmatch(r"--?[a-z][a-z0-9-]*", option) and option not in shown:
                problems.append(f"{line!r}: {option} is not in 'lettergen {' '.join(path)} --help'")
    # An option named in prose (`--signers`) belongs to some command, or to a benchmark script.
    known = _every_option() | _benchmark_options()
    for option in re.findall(r"`(--[a-z][a-z0-9-]*)[ =`]", text):
        if option not in known:
            problems.append(f"`{option}` is an option of no lettergen command")
    return problems


def test_the_docs_name_real_commands() -> None:
    # The check above finds commands at all: the pages mention these.
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    lines = _commands(text)
    for command in ("batch", "render", "missions validate", "lang check", "fax check", "init"):
        assert any(re.match(rf"(\.venv/bin/)?lettergen {command}\b", c) for c in lines), command


def test_a_wrong_command_or_option_is_caught() -> None:
    page = (
        "```sh\nlettergen lang check pt --campaign x\nlettergen lang chek pt\n"
        "lettergen batch c --all \\\n  --colour\n```\nUse `--signers` or `--frobnicate`.\n"
        "Run `lettergen missions validate --strict`."
    )
    assert problems_in(page) == [
        "'lettergen lang chek pt': no command 'lang chek'",
        "'lettergen batch c --all --colour': --colour is not in 'lettergen batch --help'",
        "`--frobnicate` is an option of no lettergen command",
    ]


def _documented_codes() -> dict[str, dict[str, str]]:
    """docs/codes.md: {section command: {code: severity}}."""
    text = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        heading = re.match(r"## .*`lettergen ([a-z ]+)`", line)
        if heading:
            current = sections.setdefault(heading[1], {})
        row = re.match(r"\| `([a-z0-9-]+)` \| (error|warning|note) \|", line)
        if row:
            current[row[1]] = row[2]
    return sections


def test_every_finding_code_is_documented_with_its_severity() -> None:
    documented = _documented_codes()
    assert set(documented) == set(REGISTRIES)
    for command, codes in REGISTRIES.items():
        assert documented[command] == {code: severity for code, (severity, _) in codes.items()}, (
            command
        )
