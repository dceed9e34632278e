"""Options and arguments that several commands share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lettergen.errors import LettergenError
from lettergen.render import formats

if TYPE_CHECKING:
    from lettergen.render.tiff import FaxSettings

DIRECTORY_OPTION = click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A directory YAML file or a folder of them (default: every file in data/directories/).",
)


CAMPAIGN_DIRECTORY_OPTION = click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A directory YAML file or a folder of them (default: the campaign's own directory, "
    "data/directories/<name>.yaml).",
)


CAMPAIGN_ARGUMENT = click.argument("campaign_name", metavar="CAMPAIGN")
SENDER_OPTION = click.option(
    "--sender",
    "sender_fields",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Override the campaign's sender: name, organisation, address (lines split by ';'), "
    "city, email, phone, fax. Repeat for several fields.",
)
LANG_OPTION = click.option(
    "--lang",
    default=None,
    help="Letter language, e.g. de; 'auto': per office, the first official language of its "
    "country that has templates and the campaign's texts "
    "(default: the campaign's default language).",
)


def parse_format_option(
    _ctx: click.Context, _param: click.Parameter, value: str
) -> tuple[str, ...]:
    try:
        return formats.parse(value)
    except LettergenError as exc:
        raise click.BadParameter(str(exc)) from None


FORMAT_OPTION = click.option(
    "--format",
    "formats",
    default="pdf",
    show_default=True,
    callback=parse_format_option,
    help=f"Comma-separated formats: {', '.join(formats.NAMES)}.",
)


F = TypeVar("F", bound=Callable[..., Any])


def fax_options(command: F) -> F:
    """--cover, --fax-resolution and --fax-compression, for render and batch."""
    command = click.option(
        "--fax-compression",
        type=click.Choice(["g3", "g4"]),
        default="g3",
        show_default=True,
        help="TIFF compression: g3 (Group 3 1-D, which every fax takes) or g4 (smaller).",
    )(command)
    command = click.option(
        "--fax-resolution",
        type=click.Choice(["fine", "standard"]),
        default="fine",
        show_default=True,
        help="TIFF resolution: fine (196 lines per inch) or standard (98).",
    )(command)
    return click.option(
        "--cover", is_flag=True, help="Put a fax cover sheet (To, From, Pages, Re) before letters."
    )(command)


def letter_options(command: F) -> F:
    """What render and batch share: language, formats, sender, directory and fax options."""
    for option in (fax_options, CAMPAIGN_DIRECTORY_OPTION, SENDER_OPTION, FORMAT_OPTION):
        command = option(command)
    return LANG_OPTION(command)


def fax_settings(resolution: str, compression: str) -> FaxSettings:
    from lettergen.render.tiff import FaxSettings

    return FaxSettings(resolution, compression)


def letter_settings(
    campaign_name: str,
    lang: str | None,
    formats: tuple[str, ...],
    sender_fields: tuple[str, ...],
    directory_path: Path | None,
    cover: bool,
    fax_resolution: str,
    fax_compression: str,
) -> dict[str, Any]:
    """The BatchOptions fields that letter_options gives, for render and batch."""
    return {
        "campaign": campaign_name,
        "language": lang,
        "formats": formats,
        "sender": sender_overrides(sender_fields),
        "directory": directory_path,
        "cover": cover,
        "fax_settings": fax_settings(fax_resolution, fax_compression),
    }


def sender_overrides(fields: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    from lettergen.campaign import SENDER_FIELDS

    overrides = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in SENDER_FIELDS:
            raise click.BadParameter(
                f"{item!r}: expected FIELD=VALUE with FIELD one of {', '.join(SENDER_FIELDS)}",
                param_hint="--sender",
            )
        overrides[key.strip()] = value.strip()
    return tuple(overrides.items())


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
