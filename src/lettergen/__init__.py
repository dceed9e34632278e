"""lettergen: protest letters for every office of a state's diplomatic network."""

__version__ = "0.1.0"

from lettergen.errors import DataError, InputError, LettergenError, RenderError, TemplateError  # noqa: E402
from lettergen.letter import Letter, ListBlock, Paragraph, Run  # noqa: E402

__all__ = [
    "DataError",
    "InputError",
    "Letter",
    "LettergenError",
    "ListBlock",
    "Paragraph",
    "RenderError",
    "Run",
    "TemplateError",
    "__version__",
]
