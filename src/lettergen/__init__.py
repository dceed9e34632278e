"""lettergen: protest letters for every office of a state's diplomatic network.

The library behind the `lettergen` command::

    from lettergen import Recipient, compose_letter, load_campaign, load_directories
    from lettergen import render_pdfs, route

    campaign = load_campaign("free-zhanusov-2002")
    directory = load_directories()
    (first, *_) = route(directory, "NL")  # the embassy in Brussels, accredited to NL
    recipient = Recipient(first.office, "NL")
    letter = compose_letter(campaign, recipient, lang="en", state=directory.state)
    (pdf,) = render_pdfs([letter])

    # A whole batch, with its manifest, into output/free-zhanusov-2002/:
    from lettergen import BatchOptions, Targets, prepare, run_batch

    result = run_batch(prepare(BatchOptions("free-zhanusov-2002", Targets(countries=("DE",)))))
"""

from __future__ import annotations

import importlib
from typing import Any

from lettergen._version import __version__

#: Public names and where they live. Imported on first use, so that `lettergen --help` does
#: not pay for Jinja, Babel, WeasyPrint's and python-docx's modules.
_EXPORTS: dict[str, tuple[str, str]] = {
    "BatchOptions": ("lettergen.batch.plan", "BatchOptions"),
    "Campaign": ("lettergen.campaign", "Campaign"),
    "compose_letter": ("lettergen.compose.composer", "compose_letter"),
    "DataError": ("lettergen.errors", "DataError"),
    "Directory": ("lettergen.directory.model", "Directory"),
    "InputError": ("lettergen.errors", "InputError"),
    "Letter": ("lettergen.compose.letter", "Letter"),
    "LettergenError": ("lettergen.errors", "LettergenError"),
    "ListBlock": ("lettergen.compose.letter", "ListBlock"),
    "Office": ("lettergen.directory.model", "Office"),
    "Paragraph": ("lettergen.compose.letter", "Paragraph"),
    "Plan": ("lettergen.batch.plan", "Plan"),
    "Prepared": ("lettergen.batch.plan", "Prepared"),
    "Recipient": ("lettergen.compose.composer", "Recipient"),
    "RenderError": ("lettergen.errors", "RenderError"),
    "Result": ("lettergen.batch.run", "Result"),
    "Route": ("lettergen.directory.routing", "Route"),
    "Run": ("lettergen.compose.letter", "Run"),
    "Sender": ("lettergen.campaign", "Sender"),
    "Signer": ("lettergen.campaign.signers", "Signer"),
    "Targets": ("lettergen.campaign.targets", "Targets"),
    "TemplateError": ("lettergen.errors", "TemplateError"),
    "load_campaign": ("lettergen.campaign", "load"),
    "load_directories": ("lettergen.directory.model", "load_directories"),
    "load_signers": ("lettergen.campaign.signers", "load_signers"),
    "pdf_to_tiff": ("lettergen.render.tiff", "pdf_to_tiff"),
    "prepare": ("lettergen.batch.run", "prepare"),
    "render_one": ("lettergen.batch.run", "render_one"),
    "run_batch": ("lettergen.batch.run", "run"),
    "render_docx": ("lettergen.render.docx", "render_docx"),
    "render_docxs": ("lettergen.render.docx", "render_docxs"),
    "render_pdf": ("lettergen.render.pdf", "render_pdf"),
    "render_pdfs": ("lettergen.render.pdf", "render_pdfs"),
    "route": ("lettergen.directory.routing", "route"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'lettergen' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["__version__", *sorted(_EXPORTS)]
