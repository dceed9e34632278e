"""`lettergen supporters`: the letters supporters asked the page to fax ("Fax it for me")."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from lettergen.cli.options import CAMPAIGN_ARGUMENT
from lettergen.cli.root import cli, echo_json

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Send settings with [fax_for_me] rules (default: data/campaigns/CAMPAIGN.send.toml).",
)


@cli.group()
def supporters() -> None:
    """Send, review and purge the letters supporters asked the page to fax for them.

    They live in the supporter folder (default output/CAMPAIGN/supporters/): a delivery
    ledger and the letters. See docs/serving.md, "Fax it for me"."""


@supporters.command("send")
@CAMPAIGN_ARGUMENT
@CONFIG_OPTION
@click.option("--once", is_flag=True, help="One pass: send what is due now, then stop.")
@click.option(
    "--parent-pid",
    type=int,
    hidden=True,
    help="Stop (after the letter in hand) when this process is gone: set by `serve`.",
)
@click.option(
    "--i-know-the-ledger-was-lost",
    "ledger_lost",
    is_flag=True,
    help="The supporter folder's ledger is missing or was replaced, and cannot be restored: "
    "start a new one (the requests it held are lost; their letters are deleted).",
)
def send_command(
    campaign_name: str,
    config_path: Path | None,
    once: bool,
    parent_pid: int | None,
    ledger_lost: bool,
) -> None:
    """Fax supporters' letters as they come, until stopped (SIGTERM or Ctrl-C finish the
    letter in hand first). `lettergen serve --fax-for-me` runs this for you."""
    from lettergen.supporters.service import run_sender, settings

    setup = settings(campaign_name, config_path)
    stop = threading.Event()

    def ask(_signum: int, _frame: Any) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, ask)
    if parent_pid is not None:
        threading.Thread(target=_stop_without, args=(parent_pid, stop), daemon=True).start()
    run_sender(setup, stop=stop, once=once, ledger_lost=ledger_lost)


def _stop_without(parent_pid: int, stop: threading.Event) -> None:
    """The sender `serve` keeps runs in a session of its own (a Ctrl-C meant for the page
    does not stop it midway; the page stops it): it stops by itself if the page is gone."""
    import os

    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            stop.set()


@supporters.command("list")
@CAMPAIGN_ARGUMENT
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Counts and the held requests as JSON.")
def list_command(campaign_name: str, config_path: Path | None, as_json: bool) -> None:
    """Requests per state, faxes per state, and the requests waiting for review."""
    from lettergen.send.ledger import FILENAME, ledger_errors
    from lettergen.supporters.service import settings
    from lettergen.supporters.store import Supporters

    setup = settings(campaign_name, config_path)
    with (
        ledger_errors(setup.folder / FILENAME),
        Supporters.open(setup.folder, setup.rules) as store,
    ):
        requests, faxes = store.counts(), store.ledger.counts()
        held = store.requests("held")
    if as_json:
        echo_json(
            {
                "requests": requests,
                "faxes": faxes,
                "held": [
                    {
                        "id": r.id,
                        "office_id": r.office_id,
                        "language": r.language,
                        "name": r.name,
                        "organisation": r.organisation,
                        "town": r.town,
                        "message": r.message or "",
                        "file": str(setup.folder / r.file) if r.file else None,
                        "created_at": r.created_at.isoformat(),
                    }
                    for r in held
                ],
            }
        )
        return
    click.echo("requests: " + ", ".join(f"{k} {v}" for k, v in requests.items()))
    click.echo("faxes: " + ", ".join(f"{k} {v}" for k, v in faxes.items()))
    for r in held:
        who = ", ".join(p for p in (r.name, r.organisation, r.town) if p)
        click.echo(
            f"held {r.id}: {who} → {r.office_id} ({r.language}), {setup.folder / (r.file or '')}"
        )
        if r.message:
            click.echo(f"  her own words: {r.message}")


def _moderate(campaign_name: str, config_path: Path | None, ids: tuple[int, ...], how: str) -> None:
    from lettergen.send.ledger import FILENAME, ledger_errors
    from lettergen.supporters.service import settings
    from lettergen.supporters.store import Supporters

    setup = settings(campaign_name, config_path)
    with (
        ledger_errors(setup.folder / FILENAME),
        Supporters.open(setup.folder, setup.rules) as store,
    ):
        for request_id in ids:
            done = getattr(store, how)(store.get(request_id))
            click.echo(f"request {request_id}: {done.state}")


@supporters.command("approve")
@CAMPAIGN_ARGUMENT
@click.argument("ids", type=int, nargs=-1, required=True)
@CONFIG_OPTION
def approve_command(campaign_name: str, ids: tuple[int, ...], config_path: Path | None) -> None:
    """Approve held requests (by id, from 'lettergen supporters list'): they are faxed."""
    _moderate(campaign_name, config_path, ids, "approve")


@supporters.command("reject")
@CAMPAIGN_ARGUMENT
@click.argument("ids", type=int, nargs=-1, required=True)
@CONFIG_OPTION
def reject_command(campaign_name: str, ids: tuple[int, ...], config_path: Path | None) -> None:
    """Reject held requests: not faxed; their letters and names are deleted at once."""
    _moderate(campaign_name, config_path, ids, "reject")


@supporters.command("purge")
@CAMPAIGN_ARGUMENT
@CONFIG_OPTION
def purge_command(campaign_name: str, config_path: Path | None) -> None:
    """Delete the letters and personal data no longer needed (the sender does this every
    few minutes too): unconfirmed requests past their time, letters sent, anything past the
    retention period."""
    from lettergen.send.ledger import FILENAME, ledger_errors
    from lettergen.supporters.service import settings
    from lettergen.supporters.store import Supporters

    setup = settings(campaign_name, config_path)
    with (
        ledger_errors(setup.folder / FILENAME),
        Supporters.open(setup.folder, setup.rules) as store,
    ):
        done = store.purge()
    click.echo(
        f"expired {done['expired']}, sent {done['sent']}, past retention {done['retention']}, "
        f"stray files {done['stray']}"
    )
