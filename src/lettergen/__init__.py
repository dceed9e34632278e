"""lettergen: protest letters for every office of a state's diplomatic network.

The library behind the `lettergen` command::

    from lettergen import load_campaign, load_directories, route, compose, Recipient, render_pdfs

    campaign = load_campaign("free-zhanusov-2002")
    directory = load_directories()
    (first, *_) = route(directory, "NL")  # the embassy in Brussels, accredited to NL
    letter = compose(campaign, Recipient(first.office, "NL"), lang="en", state=directory.state)
    (pdf,) = render_pdfs([letter])
"""

__version__ = "0.1.0"

from typing import Any

from lettergen.batch import Prepared, Result, prepare
from lettergen.campaign import Campaign, Sender
from lettergen.campaign import load as load_campaign
from lettergen.compose import Recipient, compose
from lettergen.directory.model import Directory, Office, load_directories
from lettergen.directory.routing import Route, route
from lettergen.errors import (
    DataError,
    InputError,
    LettergenError,
    RenderError,
    TemplateError,
)
from lettergen.letter import Letter, ListBlock, Paragraph, Run
from lettergen.render.docx import render_docx, render_docxs
from lettergen.render.pdf import render_pdf, render_pdfs
from lettergen.signers import Signer, load_signers


def __getattr__(name: str) -> Any:
    # The fax writer needs Pillow; load it only for those who ask.
    if name == "pdf_to_tiff":
        from lettergen.render.fax import pdf_to_tiff

        return pdf_to_tiff
    raise AttributeError(f"module 'lettergen' has no attribute {name!r}")


__all__ = [
    "Campaign",
    "DataError",
    "Directory",
    "InputError",
    "Letter",
    "LettergenError",
    "ListBlock",
    "Office",
    "Paragraph",
    "Prepared",
    "Recipient",
    "RenderError",
    "Result",
    "Route",
    "Run",
    "Sender",
    "Signer",
    "TemplateError",
    "__version__",
    "compose",
    "load_campaign",
    "load_directories",
    "load_signers",
    "pdf_to_tiff",
    "prepare",
    "render_docx",
    "render_docxs",
    "render_pdf",
    "render_pdfs",
    "route",
]
