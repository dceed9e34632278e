"""The fonts letters are set in, found through fontconfig — and never silently replaced.

A fax is only as legible as its font: the PDF embeds exactly these files, and a missing font is
an error that says which Debian package brings it, not a quiet fallback to whatever is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lettergen.errors import RenderError

STYLES = {
    ("normal", "normal"): "Regular",
    ("bold", "normal"): "Bold",
    ("normal", "italic"): "Italic",
    ("bold", "italic"): "Bold Italic",
}

#: Which package brings which family on Debian, for the error message.
PACKAGES = {
    "Liberation Sans": "fonts-liberation2",
    "Liberation Serif": "fonts-liberation2",
    "DejaVu Sans": "fonts-dejavu-core",
    "Noto Naskh Arabic": "fonts-noto-core",
}


@dataclass(frozen=True)
class FontFace:
    family: str
    weight: str
    style: str
    path: Path


@cache
def faces(family: str) -> tuple[FontFace, ...]:
    """The files of a family's four faces (a face the family lacks is left out, e.g. no italic
    in Arabic families; the regular face must exist)."""
    if not shutil.which("fc-match"):
        raise RenderError(
            "fontconfig's fc-match is not installed", hint="apt-get install fontconfig"
        )
    found = []
    for (weight, style), name in STYLES.items():
        result = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{family}\n%{style}", f"{family}:style={name}"],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = result.stdout.split("\n")
        if len(lines) < 3 or family not in lines[1].split(","):
            if name == "Regular":
                package = PACKAGES.get(family, "a package providing it")
                raise RenderError(
                    f"the font {family!r} is not installed", hint=f"apt-get install {package}"
                )
            continue
        if name.lower() not in lines[2].lower().split(","):
            continue  # fontconfig offered another face of the family: leave this style out
        found.append(FontFace(family, weight, style, Path(lines[0])))
    return tuple(found)
