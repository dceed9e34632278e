"""Where lettergen finds its shipped files and the user's data: resolved here, and only here."""

from __future__ import annotations

import os
from pathlib import Path

#: The source checkout: src/lettergen/paths.py -> the project root.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def home() -> Path:
    """The folder holding data/ and output/: $LETTERGEN_HOME, else the current folder if it
    has a data/ folder, else the project checkout."""
    env = os.environ.get("LETTERGEN_HOME")
    if env:
        return Path(env)
    cwd = Path.cwd()
    if (cwd / "data").is_dir():
        return cwd
    return PROJECT_ROOT


def data_dir() -> Path:
    return home() / "data"


def directories_dir() -> Path:
    return data_dir() / "directories"


def campaigns_dir() -> Path:
    return data_dir() / "campaigns"


def output_dir() -> Path:
    return home() / "output"


def templates_dir() -> Path:
    """Letter templates: $LETTERGEN_TEMPLATES, else the ones shipped in the checkout."""
    env = os.environ.get("LETTERGEN_TEMPLATES")
    return Path(env) if env else PROJECT_ROOT / "letter_templates"
