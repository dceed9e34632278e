"""Which offices a campaign's letters go to: the one `Targets` of the campaign file, the command
line (`--all`, `--countries`, `--offices`) and the library."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Targets:
    """Which offices: every one, those routing picks for countries, and offices by id. All
    empty: the campaign's own targets."""

    everyone: bool = False
    countries: tuple[str, ...] = ()
    offices: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return self.everyone or bool(self.countries or self.offices)
