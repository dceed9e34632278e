"""lettergen: protest letters for every office of a state's diplomatic network."""

__version__ = "0.1.0"

from lettergen.errors import DataError, InputError, LettergenError, RenderError, TemplateError
from lettergen.letter import Letter, ListBlock, Paragraph, Run

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
