"""Where lettergen finds its shipped files and the user's data: resolved here, and only here.

Two kinds of files:

- **Shipped** with the package (read through `importlib.resources`, so a wheel installed with
  pip or pipx has them): the letter templates (`lettergen/letter_templates/`: one folder per
  language and `layout/`) and the examples `lettergen init` copies (`lettergen/examples/`).
- **The user's working folder** (the *home*): `data/campaigns/`, `data/directories/`,
  `output/` and, optionally, the user's own `letter_templates/`. The home is `$LETTERGEN_HOME`;
  else the current folder when it holds `data/`; else, when lettergen runs from a source
  checkout, the checkout; else the current folder.

A user's `letter_templates/<lang>/` in the home replaces the shipped language of the same code
(other languages stay the shipped ones); a user's `letter_templates/layout/` replaces the shipped
layout. `$LETTERGEN_TEMPLATES` names one complete templates folder and switches that merging off.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: The folder of letter templates, in the package and in a working folder.
TEMPLATES = "letter_templates"
LAYOUT = "layout"

#: The source checkout, if lettergen runs from one: src/lettergen/paths.py -> the project root.
_CHECKOUT = Path(__file__).resolve().parents[2]


def _shipped(name: str) -> Path:
    """A folder shipped inside the package, as a file system path (pip and pipx install
    packages unzipped, so the resource is a real folder)."""
    found = resources.files("lettergen") / name
    return Path(str(found))


def shipped_templates() -> Path:
    """The letter templates that come with lettergen."""
    return _shipped(TEMPLATES)


def examples_dir() -> Path:
    """The example campaign and directory that `lettergen init` copies into a working folder."""
    return _shipped("examples")


def checkout() -> Path | None:
    """The source checkout lettergen runs from, or None when it is installed from a wheel."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "data").is_dir():
        return _CHECKOUT
    return None


def home() -> Path:
    """The folder holding data/ and output/: $LETTERGEN_HOME, else the current folder if it
    has a data/ folder, else the source checkout lettergen runs from, else the current folder
    (where `lettergen init` makes one)."""
    env = os.environ.get("LETTERGEN_HOME")
    if env:
        return Path(env)
    cwd = Path.cwd()
    if (cwd / "data").is_dir():
        return cwd
    return checkout() or cwd


def data_dir() -> Path:
    return home() / "data"


def directories_dir() -> Path:
    return data_dir() / "directories"


def campaigns_dir() -> Path:
    return data_dir() / "campaigns"


def output_dir() -> Path:
    return home() / "output"


def batch_folder(campaign: str, output: Path | None = None) -> Path:
    """A campaign's batch folder, `output/<campaign>/` (or under `output` when given): its
    letters, manifest, delivery ledger and the supporter page's files."""
    return (output or output_dir()) / campaign


def user_templates_dir() -> Path:
    """Where a user's own languages live (and `lettergen lang new` writes):
    $LETTERGEN_TEMPLATES; else, working in the source checkout itself, the shipped templates
    of the checkout (a new language there is one to contribute); else letter_templates/ in the
    working folder, never the installed package."""
    env = os.environ.get("LETTERGEN_TEMPLATES")
    if env:
        return Path(env)
    here = home()
    if here == checkout() and not (here / TEMPLATES).is_dir():
        return shipped_templates()
    return here / TEMPLATES


def template_roots(templates: Path | None = None) -> list[Path]:
    """The templates folders to search, first match wins: an explicit folder alone (a test, or
    $LETTERGEN_TEMPLATES); else the working folder's letter_templates/ (if any), then the
    shipped ones. A caller passing one of the default folders gets the default search."""
    env = os.environ.get("LETTERGEN_TEMPLATES")
    if env:
        defaults = [Path(env)]
    else:
        own = home() / TEMPLATES
        defaults = [own, shipped_templates()] if own.is_dir() else [shipped_templates()]
    if templates is not None and templates.resolve() not in {r.resolve() for r in defaults}:
        return [templates]
    return defaults


def templates_dir(templates: Path | None = None) -> Path:
    """The templates folder whose layout/ is used: the first root holding layout/ (the
    working folder's own, else the shipped one). Language folders are found with
    language_dir(), which may take them from another root."""
    roots = template_roots(templates)
    for root in roots:
        if (root / LAYOUT).is_dir():
            return root
    return roots[-1]


def language_dir(code: str, templates: Path | None = None) -> Path:
    """The folder of one letter language: the first root that has it (a user's folder of the
    same code replaces the shipped one as a whole), else where it would be in the first root."""
    roots = template_roots(templates)
    for root in roots:
        if (root / code).is_dir():
            return root / code
    return roots[0] / code
