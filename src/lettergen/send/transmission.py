"""Transmission reports: for each delivered letter, one page of proof (PDF) and its JSON.

What a group shows its members and a supporter keeps: which channel carried the letter, to
which number or address, when (in UTC and in the office's local time), how many pages, the
result, and the other side's word for it — for a fax the fax server's job id and the remote
machine's station id (CSID) and pages as HylaFAX recorded the call, for an e-mail the SMTP
server's reply and the message's Message-ID, for post the print batch and envelope.

Everything is read from the ledger (`lettergen status --report` writes them into
``reports/`` beside it); nothing is fetched, and every value is escaped on the page.
"""

from __future__ import annotations

import functools
import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lettergen.batch import manifest
from lettergen.send.ledger import Delivery, Ledger, stamp
from lettergen.send.schedule import zone_for
from lettergen.util import files

#: The JSON's keys: stable, only ever added to.
FIELDS = (
    "campaign",
    "office_id",
    "letter",
    "language",
    "channel",
    "to",
    "sent_at_utc",
    "sent_at_local",
    "time_zone",
    "pages",
    "pages_sent",
    "result",
    "attempts",
    "job_id",
    "remote_id",
    "message_id",
    "reply",
    "fallback_from",
    "why",
    "office",
)
CHANNEL_NAMES = {"fax": "Fax", "email": "E-mail", "post": "Post (print batch)"}


def office_zone(number: str, country: str, city: str = "") -> ZoneInfo:
    """The office's time zone: its city's, when the time zone database names a zone after it
    (Europe/Moscow, Asia/Karachi); else its fax number's; else its country's (a guess for
    countries with several)."""
    wanted = city.strip().replace(" ", "_").casefold()
    if wanted:
        for name in _zones():
            if name.rsplit("/", 1)[-1].casefold() == wanted:
                return ZoneInfo(name)
    return zone_for(number, country)


@functools.cache
def _zones() -> tuple[str, ...]:
    import zoneinfo

    return tuple(sorted(zoneinfo.available_timezones()))


def transmission(
    delivery: Delivery, campaign: str, city: str = "", addressee: str = ""
) -> dict[str, Any]:
    """The report's content for one delivered row, as JSON-ready values. `addressee` and
    `city` (from the batch's manifest) name the office as people know it."""
    zone = office_zone(delivery.fax if delivery.channel == "fax" else "", delivery.country, city)
    sent = delivery.sent_at
    local = sent.astimezone(zone) if sent else None
    return {
        "campaign": campaign,
        "office_id": delivery.office_id,
        "letter": delivery.file,
        "language": delivery.language,
        "channel": delivery.channel,
        "to": delivery.to,
        "sent_at_utc": stamp(sent) if sent else None,
        "sent_at_local": local.isoformat(timespec="seconds") if local else None,
        "time_zone": str(zone.key),
        "pages": delivery.pages,
        "pages_sent": delivery.pages_sent,
        "result": delivery.state,
        "attempts": delivery.attempts,
        "job_id": delivery.job_id if delivery.channel != "email" else None,
        "remote_id": delivery.remote_id,
        "message_id": delivery.job_id if delivery.channel == "email" else None,
        "reply": delivery.reply,
        "fallback_from": delivery.fallback_from,
        "why": delivery.why or None,
        "office": ", ".join(" ".join(x.split()) for x in (addressee, city) if x.strip())
        if addressee.strip()
        else None,
    }


def report_name(delivery: Delivery) -> str:
    """reports/<language>/<letter file's stem>--<channel>: one per letter and channel."""
    letter = Path(delivery.file)
    return f"{letter.parent.as_posix()}/{letter.stem}--{delivery.channel}".lstrip("./")


def page_html(report: dict[str, Any]) -> str:
    """One A4 page; every value from the ledger is escaped."""
    e = html.escape
    channel = report["channel"]

    def row(label: str, value: Any) -> str:
        if value in (None, ""):
            return ""
        return f"<tr><th>{e(label)}</th><td>{e(str(value))}</td></tr>"

    to_label = {"fax": "Fax number", "email": "E-mail address", "post": "Postal address"}
    pages = report["pages"]
    if report["pages_sent"] is not None:
        pages = f"{report['pages_sent']} of {report['pages']}"
    rows = [
        row("Campaign", report["campaign"]),
        row("Office", report["office_id"]),
        row("Addressed to", report.get("office")),
        row("Letter", report["letter"]),
        row("Channel", CHANNEL_NAMES.get(channel, channel)),
        row(to_label.get(channel, "To"), report["to"]),
        row("Time (UTC)", _moment(report["sent_at_utc"], "UTC")),
        row("Office's local time", _moment(report["sent_at_local"], report["time_zone"])),
        row("Pages", pages),
        row("Result", "delivered" if report["result"] == "sent" else report["result"]),
        row("Attempts", report["attempts"]),
    ]
    if channel == "fax":
        rows += [
            row("Fax server job", report["job_id"]),
            row("Remote station id (CSID)", report["remote_id"] or "not reported"),
            row("Fax server's record", report["reply"]),
        ]
    elif channel == "email":
        rows += [
            row("Message-ID", report["message_id"]),
            row("SMTP server's reply", report["reply"]),
        ]
    else:
        rows += [row("Print batch", report["reply"] or report["job_id"])]
    rows.append(row("Why this channel", report["why"]))
    note = {
        "fax": "The fax server confirmed the transmission; the station id is the one the "
        "receiving machine gave.",
        "email": "The mail server named in the SMTP reply above accepted the message for the "
        "office's address. When that server is a relay (the group's or a provider's), it "
        "passes the message on to the office's own mail server. It does not prove that "
        "somebody read it.",
        "post": "The letter was put into a print batch for window envelopes; printing and "
        "posting it is done by hand.",
    }.get(channel, "")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Transmission report: {e(report["office_id"])}</title><style>
@page {{ size: A4; margin: 20mm; }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #000; }}
h1 {{ font-size: 16pt; margin: 0 0 6mm; }}
table {{ border-collapse: collapse; width: 100%; }}
th {{ text-align: left; width: 38%; font-weight: normal; color: #333; }}
td, th {{ border-bottom: 0.3pt solid #999; padding: 1.6mm 2mm; vertical-align: top; }}
td {{ word-break: break-all; }}
.note {{ margin-top: 6mm; font-size: 9pt; color: #333; }}
</style></head><body>
<h1>Transmission report</h1>
<table>{"".join(rows)}</table>
<p class="note">{e(note)}</p>
</body></html>"""


def _moment(text: str | None, zone: str) -> str:
    """ "2026-12-07 08:31:01 (Europe/Athens, UTC+02:00)"; UTC itself without the offset."""
    if not text:
        return ""
    moment = datetime.fromisoformat(text)
    offset = moment.strftime("%z")
    if zone == "UTC":
        return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    return f"{moment:%Y-%m-%d %H:%M:%S} ({zone}, UTC{offset[:3]}:{offset[3:]})"


def report_pdf(report: dict[str, Any]) -> bytes:
    import weasyprint

    def refuse(url: str, *_: Any, **__: Any) -> Any:
        raise ValueError(f"the transmission report reads no URL: {url}")

    data: bytes = weasyprint.HTML(string=page_html(report), url_fetcher=refuse).write_pdf()
    return data


def write_transmission_reports(ledger: Ledger, folder: Path, campaign: str) -> list[Path]:
    """reports/…--<channel>.pdf and .json for every delivered letter; a report whose JSON is
    unchanged is left as it is. Each file whole or not at all."""
    written = []
    offices = _offices(folder)
    for delivery in ledger.deliveries("sent"):
        city, addressee = offices.get(delivery.office_id, ("", ""))
        report = transmission(delivery, campaign, city, addressee)
        base = folder / "reports" / report_name(delivery)
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        json_path, pdf_path = (
            base.with_name(base.name + ".json"),
            base.with_name(base.name + ".pdf"),
        )
        if json_path.is_file() and pdf_path.is_file() and json_path.read_text("utf-8") == text:
            continue
        files.atomic_write(pdf_path, report_pdf(report))
        files.atomic_write(json_path, text)
        written += [pdf_path, json_path]
    return written


def _offices(folder: Path) -> dict[str, tuple[str, str]]:
    """Office id → (its city, the letter's addressee), from the batch's manifest (the city
    also gives the office's time zone)."""
    try:
        rows = json.loads((folder / manifest.JSON_NAME).read_text("utf-8")).get("letters", [])
        return {
            str(r["office_id"]): (str(r.get("city") or ""), str(r.get("addressee") or ""))
            for r in rows
        }
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}
