"""The supporter page (`lettergen serve`): a web client of the library, like the CLI.

A supporter picks their country (routing picks the office) or any office, types their name,
sees the exact letter and downloads it as PDF, DOCX or fax TIFF. Nothing they type is kept.
See docs/serving.md.
"""

from __future__ import annotations

from lettergen.web.app import create_app
from lettergen.web.site import Site

__all__ = ["Site", "create_app"]
