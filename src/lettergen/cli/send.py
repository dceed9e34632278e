"""`lettergen send` and `lettergen status`: deliver the letters, and tell what reached whom."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lettergen.cli.options import CAMPAIGN_ARGUMENT
from lettergen.cli.root import cli, echo_json

if TYPE_CHECKING:
    from lettergen.send.runner import Progress

OUTPUT_OPTION = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="The folder the batch was written to (default: output/).",
)


@cli.command("send")
@CAMPAIGN_ARGUMENT
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Send settings (TOML); default: data/campaigns/CAMPAIGN.send.toml if present.",
)
@click.option(
    "--transport",
    type=click.Choice(["hylafax", "email", "dry-run"]),
    help="How to send (default: the config's, else dry-run).",
)
@click.option("--host", help="HylaFAX server or SMTP server, as host or host:port.")
@click.option("--gateway", help="E-mail gateway address, e.g. '{number}@fax.example.net'.")
@click.option("--from", "from_address", help="The e-mail sender's address.")
@click.option("--security", type=click.Choice(["starttls", "ssl", "none"]), help="SMTP security.")
@click.option("--modem", help="HylaFAX: the modem to send with.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Faxes in flight at once.")
@click.option("--interval", type=click.FloatRange(min=0), help="Seconds between two submissions.")
@OUTPUT_OPTION
@click.option("--no-render", is_flag=True, help="Send the files as the manifest lists them.")
@click.option("--now", "ignore_hours", is_flag=True, help="Send outside office hours too.")
@click.option("--watch", is_flag=True, help="Keep going until no letter is waiting.")
@click.option(
    "--resend-unknown", is_flag=True, help="Send again the letters whose delivery is unknown."
)
@click.option("--retry-failed", is_flag=True, help="Try the failed letters again.")
@click.option(
    "--changed-is-new", is_flag=True, help="A letter changed since it was sent goes out again."
)
@click.option(
    "--i-know-the-ledger-was-lost",
    "ledger_lost",
    is_flag=True,
    help="The folder's delivery ledger is missing or was replaced, and you cannot restore it: "
    "start a new one (the file found is kept as ledger.sqlite.lost-N; letters the journal "
    "records as handed over are still never sent again).",
)
def send_command(
    campaign_name: str,
    config_path: Path | None,
    transport: str | None,
    host: str | None,
    gateway: str | None,
    from_address: str | None,
    security: str | None,
    modem: str | None,
    concurrency: int | None,
    interval: float | None,
    output: Path | None,
    no_render: bool,
    ignore_hours: bool,
    watch: bool,
    resend_unknown: bool,
    retry_failed: bool,
    changed_is_new: bool,
    ledger_lost: bool,
) -> None:
    """Send the letters a batch of CAMPAIGN wrote, each once: by fax within office hours, or
    by e-mail to the office or by post, in the order the campaign's `channels` gives, falling
    back to the next channel when a number is invalid today or dead.

    Every letter goes through the delivery ledger (output/CAMPAIGN/ledger.sqlite): a letter
    that was sent is never sent again, by any channel; one whose outcome is unknown after an
    interruption waits for --resend-unknown. Without a terminal (cron, systemd) each change
    of a letter's state is logged as one line. See 'lettergen status CAMPAIGN'.
    """
    from dataclasses import replace

    from lettergen import send as sending
    from lettergen.send import config as configs

    common = {"concurrency": concurrency, "interval": interval}
    email = {"host": host, "gateway": gateway, "from": from_address, "security": security}
    if host and ":" in host:
        email["host"], email["port"] = host.rsplit(":", 1)
    overrides: dict[str, dict[str, Any]] = {
        "": {"transport": transport},
        "email": {**email, **common},
        "hylafax": {"host": host, "modem": modem, **common},
        "dry-run": {"concurrency": concurrency},
    }
    config = configs.load(sending.config_path(campaign_name, config_path), overrides)
    if ignore_hours:
        config.policy = replace(config.policy, ignore_hours=True)
    stop = threading.Event()
    if config.transport != "dry-run":  # a dry run prints its plan instead
        _log_changes_without_terminal()
    with _stop_on_signals(stop), _progress_line() as show:
        done = sending.send(
            campaign_name,
            config,
            out=output,
            render=not no_render,
            watch=watch,
            resend_unknown=resend_unknown,
            retry_failed=retry_failed,
            changed_is_new=changed_is_new,
            ledger_lost=ledger_lost,
            stop=stop,
            on_change=show,
        )
    if config.transport == "dry-run":
        for delivery, when in done.plan:
            why = f" — {delivery.why}" if delivery.why else ""
            invalid = done.invalid_faxes.get(delivery.fax) if delivery.channel == "fax" else None
            if invalid and not why:
                why = f" — {invalid}; no other channel can carry it"
            click.echo(
                f"would send {delivery.file} by {delivery.channel} to {delivery.to} "
                f"({delivery.office_id}) at {when:%Y-%m-%d %H:%M} UTC{why}"
            )
    for office_id, why in done.no_channel:
        click.echo(f"{office_id}: no channel can carry its letter ({why})", err=True)
    from lettergen.send.report import counts_line

    summary = counts_line(done.counts) or "no letters to send"
    if done.progress.fallbacks:
        summary += f"; {done.progress.fallbacks} fell back to another channel"
    if config.transport == "dry-run":
        summary = f"dry run, nothing sent or recorded; it would leave {summary}"
    click.echo(f"{done.folder}: {summary}")
    if done.progress.stopped:
        click.echo("stopped; letters in flight are recorded, run 'lettergen send' to go on")
    if done.unresolved or done.no_channel:
        click.echo(
            "some letters failed or need a check: see 'lettergen status "
            f"{campaign_name}' and {done.folder / 'dead-numbers.csv'}",
            err=True,
        )
        sys.exit(1)


@cli.command("status")
@CAMPAIGN_ARGUMENT
@OUTPUT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON (stable keys).")
@click.option(
    "--report",
    is_flag=True,
    help="Also write delivery.csv, dead-numbers.csv and delivery.pdf beside the ledger.",
)
@click.option("--states", is_flag=True, help="Print the ledger's state machine and exit.")
def status_command(
    campaign_name: str, output: Path | None, as_json: bool, report: bool, states: bool
) -> None:
    """What reached whom: one line per letter of CAMPAIGN, from the delivery ledger."""
    from lettergen import send as sending
    from lettergen.send import report as reports
    from lettergen.send.ledger import FILENAME, TRANSITIONS, ledger_errors

    if states:
        for state, following in TRANSITIONS.items():
            click.echo(f"{state:8} → {', '.join(following) or '(final)'}")
        return
    path = sending.batch_folder(campaign_name, output) / FILENAME
    with ledger_errors(path), sending.open_ledger(campaign_name, output) as ledger:
        if report:
            for path in reports.write_reports(
                ledger,
                sending.batch_folder(campaign_name, output),
                sending.campaign_name(campaign_name),
            ):
                click.echo(f"wrote {path}", err=True)
        if as_json:
            echo_json(reports.status_json(ledger, sending.campaign_name(campaign_name)))
            return
        click.echo(reports.table(reports.records(ledger)))
        click.echo(reports.counts_line(ledger.counts()))


class _StampedHandler(logging.Handler):
    """One line per change of state, with its time: what cron mails and journald keeps."""

    def emit(self, record: logging.LogRecord) -> None:
        moment = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(f"{moment} {record.levelname.lower()}: {record.getMessage()}", err=True)


def _log_changes_without_terminal() -> None:
    """With no terminal to draw a progress line on, the sender's changes of state are logged
    (unless -q asked for errors only)."""
    if sys.stderr.isatty():
        return
    root = click.get_current_context().find_root()
    if root.params.get("quiet"):
        return
    runner = logging.getLogger("lettergen.send.runner")
    if not any(isinstance(h, _StampedHandler) for h in runner.handlers):
        runner.addHandler(_StampedHandler())
    runner.setLevel(min(logging.INFO, logging.getLogger("lettergen").level or logging.INFO))
    runner.propagate = False


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and Ctrl-C ask the run to stop between two letters, so that what is being
    handed over is finished and recorded."""

    def ask(signum: int, _frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: the user insists
            raise KeyboardInterrupt
        click.echo(f"\n{signal.Signals(signum).name}: stopping after the current letter", err=True)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, ask) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _progress_line() -> Iterator[Any]:
    """One line, rewritten in place, on a terminal; nothing in a pipe or CI."""
    if not sys.stderr.isatty():
        yield None
        return

    def show(progress: Progress) -> None:
        waiting = f", next at {progress.waiting_until:%H:%M} UTC" if progress.waiting_until else ""
        line = (
            f"sent {progress.sent}, retry {progress.retry}, failed {progress.failed}, "
            f"unknown {progress.unknown}{waiting}"
        )
        click.echo(f"\r{line:<78}", nl=False, err=True)

    try:
        yield show
    finally:
        click.echo("", err=True)
