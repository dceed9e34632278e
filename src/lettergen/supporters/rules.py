"""A campaign group's rules for "Fax it for me": the ``[fax_for_me]`` section of the send
configuration, read and checked in one place (its keys are listed with the file's, in
config.KNOWN, so a misspelt key is a warning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from lettergen.errors import DataError, Place


@dataclass(frozen=True)
class Rules:
    """A campaign group's rules for faxing for supporters: the ``[fax_for_me]`` section of
    the send configuration."""

    retention: timedelta = timedelta(days=30)
    confirm: bool = False
    confirm_within: timedelta = timedelta(hours=48)
    moderate: bool = False
    per_signer_per_day: int = 3
    per_address_per_day: int = 10
    public_url: str = ""
    folder: Path | None = None
    poll_seconds: float = 5.0
    purge_every: timedelta = timedelta(minutes=10)

    @classmethod
    def read(cls, section: dict[str, Any], place: Path | None = None) -> Rules:
        """From the TOML section (its keys are checked with the file's, config.KNOWN); a
        wrong value names its key."""

        def number(key: str, default: float, low: float) -> float:
            value = section.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise DataError(
                    f"fax_for_me.{key}: {value!r} is not a number of at least {low:g}",
                    Place(place) if place else None,
                )
            return float(value)

        for key in ("confirm", "moderate"):
            if not isinstance(section.get(key, False), bool):
                raise DataError(
                    f"fax_for_me.{key}: write true or false", Place(place) if place else None
                )
        public_url = str(section.get("public_url", "")).strip()
        if public_url and not public_url.startswith(("https://", "http://")):
            raise DataError(
                f"fax_for_me.public_url: {public_url!r} is not a web address (https://…)",
                Place(place) if place else None,
            )
        if section.get("confirm", False) and not public_url:
            # Without it the links in the e-mail would be built from the Host header of the
            # request, which anyone can set: the group's mail server would send links to
            # another site.
            raise DataError(
                "fax_for_me.confirm needs public_url: the page's address as supporters reach "
                "it, for the links in the confirmation e-mail",
                Place(place) if place else None,
            )
        folder = section.get("folder")
        return cls(
            retention=timedelta(days=number("retention_days", 30, 1)),
            confirm=bool(section.get("confirm", False)),
            confirm_within=timedelta(hours=number("confirm_hours", 48, 1)),
            moderate=bool(section.get("moderate", False)),
            per_signer_per_day=int(number("per_signer_per_day", 3, 1)),
            per_address_per_day=int(number("per_address_per_day", 10, 1)),
            public_url=public_url,
            folder=Path(str(folder)) if folder else None,
            poll_seconds=number("poll_seconds", 5, 0.1),
            purge_every=timedelta(minutes=number("purge_minutes", 10, 0.1)),
        )
