"""Transports: thin ways to get a file to a fax number, in one registry.

A transport only *submits* a file and *reports* a state. Retries, office hours and limits live
in the scheduler and the ledger, once, so a new transport (an HTTP fax API with webhooks, say)
is a class with three methods, registered under a name:

- ``submit(job)`` hands the letter over and says what became of it: ``sent`` (the gateway
  took it), ``sending`` with a job id (a fax server queued it: poll it later), ``retry``
  (busy, no answer, a temporary refusal), ``failed`` (a permanent refusal) or ``unknown``
  (it may or may not have gone: a person decides);
- ``poll(job)`` reports on a job id that `submit` returned ``sending`` for;
- ``find(job)`` looks for an attempt a crash interrupted, by the job's tag: an Outcome, or
  None when the transport cannot tell (a mail gateway keeps no queue we can ask).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lettergen.errors import DataError, LettergenError

OUTCOMES = ("sent", "sending", "retry", "failed", "unknown", "queued")


@dataclass(frozen=True)
class Job:
    """What a transport needs to send one letter: the file, the number, a tag that finds the
    attempt again, and the job id of an attempt in flight."""

    tag: str
    fax: str  # E.164, with its +
    path: Path
    pages: int = 0
    office_id: str = ""
    job_id: str | None = None
    # For channels other than fax (lettergen.send.channels): where the letter goes and what
    # the covering message says.
    channel: str = "fax"
    to: str = ""  # the e-mail address, or the postal address for post
    language: str = ""
    signer: str = ""
    country: str = ""


@dataclass(frozen=True)
class Outcome:
    state: str  # one of OUTCOMES
    job_id: str | None = None
    error: str = ""
    # The proof, for the transmission report: the server's reply (SMTP), the remote fax
    # machine's station id (CSID) and the pages that went through, as the fax server recorded
    # them.
    reply: str | None = None
    remote_id: str | None = None
    pages_sent: int | None = None
    #: A retry caused by our own side (our only modem busy with another letter of ours): the
    #: try is not counted, the letter waits for the line.
    wait: bool = False

    def __post_init__(self) -> None:
        if self.state not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.state!r}")


class TransportError(LettergenError):
    """The transport cannot work at all (refused login, wrong host): the letter was certainly
    not handed over, so it goes back to the queue and the run stops."""


class Transport(Protocol):
    name: str
    concurrency: int  # letters in flight at once
    interval: float  # seconds between two submissions (a gateway's rate limit)
    formats: tuple[str, ...]  # file formats it takes, preferred first

    def submit(self, job: Job) -> Outcome: ...

    def poll(self, job: Job) -> Outcome: ...

    def find(self, job: Job) -> Outcome | None: ...


Factory = Callable[[dict[str, Any]], Transport]
_REGISTRY: dict[str, str] = {
    "hylafax": "lettergen.send.transports.hylafax",
    "email": "lettergen.send.transports.email",
    "dry-run": "lettergen.send.transports.dryrun",
    "office-email": "lettergen.send.transports.office_email",
    "post": "lettergen.send.transports.post",
}
_FACTORIES: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Add a transport: `factory(settings)` builds it from its section of the configuration."""
    _FACTORIES[name] = factory


def names() -> list[str]:
    return sorted({*_REGISTRY, *_FACTORIES})


def create(name: str, settings: dict[str, Any]) -> Transport:
    """The transport `name`, built from its settings (modules imported on first use)."""
    if name not in _FACTORIES and name in _REGISTRY:
        import importlib

        importlib.import_module(_REGISTRY[name])
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise DataError(
            f"unknown transport {name!r}", hint=f"choose from {', '.join(names())}"
        ) from None
    return factory(settings)
