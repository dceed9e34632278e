"""A working folder for people who install lettergen as a tool (pipx) rather than from a checkout.

`lettergen init DIR` copies the shipped examples (paths.examples_dir()) into the layout that
paths.home() recognises: data/campaigns/, data/directories/, output/ and a signers.csv. It never
overwrites: a second `init` in the same folder is refused before anything is written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from lettergen import paths
from lettergen.errors import InputError, Place

#: Put on top of the copied example campaign, so nobody faxes the example by mistake.
CAMPAIGN_NOTE = """\
# EXAMPLE: a campaign copied by 'lettergen init' to start from. Edit it (or copy it to a new
# name in this folder) before sending anything: its texts are a real 2002 appeal.
"""
SIGNERS_NOTE = "an example row: replace it with the names letters go out in"


@dataclass(frozen=True)
class Made:
    """One thing `init` made, with what it is for."""

    path: Path
    about: str


def _plan(folder: Path) -> list[tuple[Path, Path | None, str]]:
    """(target, shipped source or None for a folder, what it is for)."""
    examples = paths.examples_dir()
    plan: list[tuple[Path, Path | None, str]] = []
    for source in sorted((examples / "campaigns").glob("*.yaml")):
        plan.append(
            (folder / "data" / "campaigns" / source.name, source, "an example campaign: edit it")
        )
    for source in sorted((examples / "directories").glob("*.yaml")):
        plan.append(
            (
                folder / "data" / "directories" / source.name,
                source,
                "a directory of offices (check it: 'lettergen missions validate')",
            )
        )
    plan.append((folder / "signers.csv", examples / "signers.csv", SIGNERS_NOTE))
    plan.append((folder / "output", None, "where letters are written"))
    return plan


def init(folder: Path) -> list[Made]:
    """Create a working folder in `folder` (made if missing). Refuses, writing nothing, when
    any of the files it would make exists already."""
    plan = _plan(folder)
    taken = [target for target, _, _ in plan if target.exists()]
    if taken:
        raise InputError(
            "a working folder exists here already; nothing was written",
            Place(taken[0]),
            hint="run 'lettergen init' in an empty folder, or keep using this one",
        )
    made = []
    for target, source, about in plan:
        if source is None:
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent.name == "campaigns":
                text = source.read_text(encoding="utf-8")
                target.write_text(CAMPAIGN_NOTE + text, encoding="utf-8")
            else:
                shutil.copyfile(source, target)
        made.append(Made(target, about))
    return made
