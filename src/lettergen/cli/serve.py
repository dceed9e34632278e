"""`lettergen serve`: the supporter page for a campaign."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lettergen.cli.options import CAMPAIGN_ARGUMENT
from lettergen.cli.root import cli

if TYPE_CHECKING:
    from lettergen.supporters.keeper import SenderKeeper
    from lettergen.supporters.service import Settings

ADMIN_PASSWORD_VARIABLE = "LETTERGEN_ADMIN_PASSWORD"


@cli.command()
@CAMPAIGN_ARGUMENT
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=len(os.sched_getaffinity(0)),
    show_default="the number of cores",
    help="Worker processes making letters.",
)
@click.option(
    "--letters-per-minute",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Letters one address may ask a worker for per minute (0: no limit).",
)
@click.option(
    "--admin",
    is_flag=True,
    help=f"Serve /admin (counts of letters per office and language), with the password in "
    f"${ADMIN_PASSWORD_VARIABLE}.",
)
@click.option(
    "--fax-for-me",
    is_flag=True,
    help="Offer 'Fax it for me': supporters' letters go out through the campaign's send "
    "settings (--config) and their [fax_for_me] rules; a sender process runs beside the page.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Send settings for --fax-for-me (default: data/campaigns/CAMPAIGN.send.toml).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="A reverse proxy in front of the page (an address or network, e.g. 127.0.0.1; "
    "repeat for more): its X-Forwarded-For names the client for the rate limits. Without it "
    "the header is ignored.",
)
@click.option(
    "--i-know-the-ledger-was-lost",
    "ledger_lost",
    is_flag=True,
    help="With --fax-for-me: the supporter folder's ledger is missing or was replaced and "
    "cannot be restored; start a new one.",
)
@click.option(
    "--warm-up",
    type=click.Choice(["all", "first"]),
    default="all",
    show_default=True,
    help="What each worker lays out before supporters ask: every office's letter in each "
    "wording the page gives (all: the first wording before it serves, the others while it "
    "serves), or in the first wording only (first: a quicker start, for trying the page out; "
    "other letters are laid out when asked for).",
)
@click.option(
    "--directory",
    "directory_path",
    type=click.Path(path_type=Path, exists=True),
    help="Directory file or folder (default: the campaign's, in data/directories/).",
)
def serve(
    campaign_name: str,
    host: str,
    port: int,
    workers: int,
    letters_per_minute: int,
    admin: bool,
    fax_for_me: bool,
    config_path: Path | None,
    trusted_proxies: tuple[str, ...],
    ledger_lost: bool,
    directory_path: Path | None,
    warm_up: str,
) -> None:
    """Serve the supporter page of CAMPAIGN: pick an office, sign, download the letter.

    Listens on 127.0.0.1 (this machine only) unless --host says otherwise; put a TLS proxy in
    front of it to serve the public (see docs/serving.md)."""
    from lettergen import paths
    from lettergen.compose import variants
    from lettergen.send.secret import server_secret
    from lettergen.web import Site, create_app, security, server

    password = os.environ.get(ADMIN_PASSWORD_VARIABLE, "") if admin else ""
    if admin and not password:
        raise click.UsageError(f"--admin needs a password in ${ADMIN_PASSWORD_VARIABLE}")
    try:
        security.networks(trusted_proxies)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--trusted-proxy") from None
    site = Site(campaign_name, directory_path)
    if config_path is not None and not fax_for_me:
        raise click.UsageError("--config goes with --fax-for-me")
    if ledger_lost and not fax_for_me:
        raise click.UsageError("--i-know-the-ledger-was-lost goes with --fax-for-me")
    setup = fax_settings(campaign_name, config_path, ledger_lost) if fax_for_me else None
    counts = paths.batch_folder(site.campaign.name) / "serve-counts.sqlite" if admin else None
    app = create_app(
        site,
        letters_per_minute=letters_per_minute,
        admin_password=password or None,
        counts=counts,
        fax_for_me=setup,
        # Keys the hashes the fax limits keep (signers, client addresses): from the
        # environment, else a file of its own outside the supporter folder (send/secret.py).
        secret=server_secret() if setup else None,
        trusted_proxies=trusted_proxies,
    )
    sender = keep_sender(campaign_name, config_path) if setup else None
    try:
        server.run(
            app,
            host=host,
            port=port,
            workers=workers,
            ready=lambda url: click.echo(f"Open {url} in your browser"),
            warm_up=site.warm_up,
            warmed=lambda pid, seconds: click.echo(
                f"Worker {pid} ready (letters of every office laid out in {seconds:.1f} s)",
                err=True,
            ),
            warm_rest=site.warm_rest if warm_up == "all" else None,
            rested=lambda pid, count, seconds: click.echo(
                f"Worker {pid} laid out {count} more letters in {seconds:.1f} s "
                f"(every office in {variants.SINGLE_WORDINGS} wordings)",
                err=True,
            ),
        )
    finally:
        if sender is not None:
            sender.stop()


def fax_settings(
    campaign_name: str, config_path: Path | None, ledger_lost: bool = False
) -> Settings:
    """The send settings and rules, checked; the folder's ledger checked (send/identity.py)
    and purged once before serving."""
    from lettergen.send.ledger import FILENAME, ledger_errors
    from lettergen.supporters.service import settings
    from lettergen.supporters.store import Supporters

    setup = settings(campaign_name, config_path)
    with (
        ledger_errors(setup.folder / FILENAME),
        Supporters.open(setup.folder, setup.rules, accept_new=ledger_lost) as store,
    ):
        store.purge()
    rules = setup.rules
    click.echo(
        f"Fax it for me: on, through {setup.config.transport}"
        f"{' (a rehearsal: nothing is faxed)' if setup.rehearsal else ''}; "
        f"letters in {setup.folder}, kept at most {rules.retention.days} days"
        f"{'; e-mail confirmation' if rules.confirm else ''}"
        f"{'; the group approves each request on /admin' if rules.moderate else ''}"
    )
    return setup


def keep_sender(campaign_name: str, config_path: Path | None) -> SenderKeeper:
    """`lettergen supporters send` as a process of its own, kept running: a fax line or an
    SMTP server that hangs never holds up the page, the page's workers never send, and a
    sender that stops is started again (send/keeper.py)."""
    from lettergen.supporters.keeper import SenderKeeper

    command = [sys.executable, "-m", "lettergen", "supporters", "send", campaign_name]
    if config_path is not None:
        command += ["--config", str(config_path)]
    command += ["--parent-pid", str(os.getpid())]
    return SenderKeeper(command, say=lambda line: click.echo(line, err=True))
