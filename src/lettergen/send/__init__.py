"""Sending a campaign's letters, with a ledger that never faxes twice.

    manifest (letters written) ──send──▶ ledger (SQLite) ──transport──▶ fax server / gateway
    ledger ──status──▶ table / JSON / delivery report / dead numbers

`send()` is what `lettergen send` runs; `ledger.py` holds the states and their rules,
`schedule.py` decides when, `transports/` hands letters over, `report.py` tells what reached
whom.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lettergen import paths
from lettergen.batch import manifest
from lettergen.batch import run as batch
from lettergen.batch.plan import BatchOptions, from_request, prepare
from lettergen.errors import DataError
from lettergen.send.config import SendConfig
from lettergen.send.ledger import PENDING, Delivery, Ledger, Synced
from lettergen.send.runner import (
    Progress,
    Runner,
    check_folder,
    in_memory_copy,
    lock,
    read_manifest,
)
from lettergen.send.runner import requeue as requeue
from lettergen.send.transports import create
from lettergen.util.clock import utcnow

log = logging.getLogger(__name__)


def campaign_name(campaign: str | Path) -> str:
    """The batch folder's name: a campaign given as a file is named by its stem."""
    text = str(campaign)
    return Path(text).stem if text.endswith((".yaml", ".yml")) else text


def batch_folder(campaign: str | Path, out: Path | None = None) -> Path:
    return paths.batch_folder(campaign_name(campaign), out)


def config_path(campaign: str | Path, given: Path | None) -> Path | None:
    """--config, else <campaign>.send.toml beside the campaign file, if there is one."""
    if given is not None:
        return given
    text = str(campaign)
    candidate = (
        Path(text).with_suffix(".send.toml")
        if text.endswith((".yaml", ".yml"))
        else paths.campaigns_dir() / f"{text}.send.toml"
    )
    return candidate if candidate.is_file() else None


def render_first(campaign: str | Path, folder: Path, formats: tuple[str, ...]) -> None:
    """Bring the batch folder up to date before sending: the letters its manifest says it was
    asked for (`plan.to_request`: the same offices, signers, language and formats), rendered
    again where the campaign, directory or templates changed. A folder without a batch yet gets
    the campaign's own targets in the transport's preferred format.

    Never a different set of letters: a folder whose manifest does not record its request
    (written by an older release, or with single letters merged in by `render`), or whose
    signers file changed, is an error that points to `lettergen batch` or `--no-render`."""
    path = folder / manifest.JSON_NAME
    if not path.is_file():
        options = BatchOptions(campaign, formats=tuple(formats[:1]), output=folder.parent)
    else:
        try:
            head = json.loads(path.read_text("utf-8"))
            request = head.get("request") if isinstance(head, dict) else None
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot be read ({exc})") from None
        if not isinstance(request, dict):
            raise DataError(
                f"{path}: the manifest does not say which letters the batch was asked for "
                "(it was written by an older lettergen, or single letters were rendered into "
                "the folder)",
                hint="run `lettergen batch` again with the options you want, or send the "
                "letters as they are (--no-render)",
            )
        options = from_request(campaign, request, str(path), output=folder.parent)
    result = batch.run(prepare(options))
    for failure in result.failures:
        log.warning("%s: not written: %s", failure.office_id, failure.message)


@dataclass
class Sent:
    """What `send()` did."""

    folder: Path
    synced: Synced
    progress: Progress
    counts: dict[str, int]
    reports: list[Path]
    plan: list[tuple[Delivery, datetime]]  # letters waiting before the run, and when each goes


def send(
    campaign: str | Path,
    config: SendConfig,
    *,
    out: Path | None = None,
    render: bool = True,
    watch: bool = False,
    resend_unknown: bool = False,
    retry_failed: bool = False,
    changed_is_new: bool = False,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
    on_change: Callable[[Progress], None] | None = None,
    poll_seconds: float | None = None,
) -> Sent:
    """Send the batch's letters that are due; see the module runner for the loop."""
    folder = batch_folder(campaign, out)
    transport = create(config.transport, config.for_transport())
    if render:
        render_first(campaign, folder, transport.formats)
    check_folder(folder)
    letters = read_manifest(folder, transport.formats)
    held = lock(folder)
    try:
        with Ledger.beside(folder) as ledger:
            synced = ledger.sync(letters, changed_is_new=changed_is_new)
            for label in synced.held:
                log.warning(
                    "%s: the letter changed after it was sent; not sent again "
                    "(--changed-is-new sends it as a new letter)",
                    label,
                )
            working = in_memory_copy(ledger) if config.transport == "dry-run" else ledger
            if resend_unknown:
                requeue(working, ["unknown"], "a person asked to resend (--resend-unknown)")
            if retry_failed:
                requeue(working, ["failed"], "a person asked to try again (--retry-failed)")
            runner = Runner(
                working,
                folder,
                transport,
                config.policy,
                clock=clock,
                stop=stop,
                on_change=on_change,
                **({"poll_seconds": poll_seconds} if poll_seconds is not None else {}),
            )
            plan = [(d, runner.due_at(d)) for d in working.deliveries(*PENDING)]
            progress = runner.run(watch=watch)
            counts = working.counts()
            reports = []
            if working is ledger:
                from lettergen.send.report import write_reports

                # The PDF summary waits for `status --report`: WeasyPrint takes seconds to load.
                reports = write_reports(ledger, folder, campaign_name(campaign), pdf=False)
            else:
                working.close()
            return Sent(folder, synced, progress, counts, reports, plan)
    finally:
        held.close()


def open_ledger(campaign: str | Path, out: Path | None = None) -> Ledger:
    """The campaign's ledger for reading (`lettergen status`)."""
    folder = batch_folder(campaign, out)
    from lettergen.errors import InputError, Place

    if not (folder / "ledger.sqlite").is_file():
        raise InputError(
            "nothing has been sent yet: no delivery ledger",
            Place(folder / "ledger.sqlite"),
            hint="run 'lettergen send CAMPAIGN'",
        )
    return Ledger.beside(folder)


__all__ = ["Ledger", "SendConfig", "Sent", "batch_folder", "open_ledger", "send"]
