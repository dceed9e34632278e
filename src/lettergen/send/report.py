"""What reached whom, read from the ledger: the status table, its JSON, the delivery report
(CSV), the dead numbers for the directory, and a one-page PDF summary for a group's members.

The JSON keys (`FIELDS`) are stable: the same in every release. The dead numbers file has
the columns office_id, fax, error, failed_at (see docs/sending.md).
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lettergen.send.ledger import STATES, Delivery, Ledger, stamp
from lettergen.send.transmission import write_transmission_reports
from lettergen.util import files, spreadsheet

FIELDS = (
    "id",
    "office_id",
    "country",
    "fax",
    "signer",
    "language",
    "file",
    "pages",
    "state",
    "attempts",
    "transport",
    "job_id",
    "next_at",
    "sent_at",
    "updated_at",
    "last_error",
    # channels: added keys (lettergen.send.channels)
    "channel",
    "to",
    "why",
    "reply",
    "remote_id",
    "pages_sent",
)
DEAD_FIELDS = ("office_id", "fax", "error", "failed_at")


def record(delivery: Delivery) -> dict[str, Any]:
    values = {name: getattr(delivery, name) for name in FIELDS}
    # `fax` is the number dialled; an e-mail or post attempt has its address under `to`.
    values["fax"] = delivery.fax if delivery.channel == "fax" else ""
    for key in ("next_at", "sent_at", "updated_at"):
        values[key] = stamp(values[key]) if values[key] else None
    return values


def records(ledger: Ledger) -> list[dict[str, Any]]:
    return [record(d) for d in ledger.deliveries()]


def status_json(ledger: Ledger, campaign: str) -> dict[str, Any]:
    """`lettergen status --json`: {"campaign", "counts": {state: n}, "letters": [record…]}."""
    return {"campaign": campaign, "counts": ledger.counts(), "letters": records(ledger)}


def table(rows: Iterable[dict[str, Any]]) -> str:
    """One line per attempt: office, channel and where to, state, attempts, pages, when sent,
    last error (or, for a fallback, why it took this channel)."""
    head = ("office", "via", "to", "state", "tries", "pages", "sent (UTC)", "last error / why")
    lines = [
        (
            r["office_id"],
            r["channel"],
            _short(r["to"], 40),
            r["state"],
            str(r["attempts"]),
            str(r["pages"]),
            (r["sent_at"] or "")[:16].replace("T", " "),
            _short(r["last_error"] or (f"fallback: {r['why']}" if r["why"] else "")),
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(head, *lines, strict=False)]
    out = []
    for line in (head, *lines):
        out.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(out)


def counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{state} {counts[state]}" for state in STATES if counts.get(state))


def delivery_csv(rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(spreadsheet.record(row) for row in rows)
    return buffer.getvalue()


def dead_numbers(rows: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Numbers that failed for good: (office id, number, error), for a directory update."""
    return [
        {
            "office_id": r["office_id"],
            "fax": r["fax"],
            "error": r["last_error"] or "",
            "failed_at": r["updated_at"] or "",
        }
        for r in rows
        if r["state"] == "failed" and r["channel"] == "fax"
    ]


def dead_csv(rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DEAD_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(spreadsheet.record(row) for row in dead_numbers(rows))
    return buffer.getvalue()


def write_reports(ledger: Ledger, folder: Path, campaign: str, pdf: bool = True) -> list[Path]:
    """delivery.csv, dead-numbers.csv and delivery.pdf beside the ledger, each whole or not
    at all."""
    rows = records(ledger)
    written = [folder / "delivery.csv", folder / "dead-numbers.csv"]
    files.atomic_write(written[0], delivery_csv(rows))
    files.atomic_write(written[1], dead_csv(rows))
    if pdf:
        written.append(folder / "delivery.pdf")
        files.atomic_write(written[2], summary_pdf(campaign, rows))
        written += write_transmission_reports(ledger, folder, campaign)
    return written


def summary_html(campaign: str, rows: list[dict[str, Any]]) -> str:
    """The one-page summary as HTML; every value from the ledger is escaped."""
    e = html.escape
    offices = Counter(r["office_id"] for r in rows)
    reached = sorted({r["office_id"] for r in rows if r["state"] == "sent"})
    rows = [
        {"channel": "fax", "to": r.get("fax", ""), "signer": "", "language": ""} | r for r in rows
    ]
    by_channel = Counter(r["channel"] for r in rows if r["state"] == "sent")
    carried = ", ".join(f"{n} by {c}" for c, n in sorted(by_channel.items())) or "none yet"
    # A letter that failed by fax and then went by e-mail is reached, not a problem.
    reached_letters = {
        (r["office_id"], r["signer"], r["language"]) for r in rows if r["state"] == "sent"
    }
    counts = Counter(r["state"] for r in rows)
    failed = [
        r
        for r in rows
        if r["state"] in ("failed", "unknown")
        and (r["office_id"], r["signer"], r["language"]) not in reached_letters
    ]
    waiting = counts["queued"] + counts["retry"] + counts["sending"]
    items = "".join(
        f"<tr><td>{e(r['office_id'])}</td><td>{e(r['channel'])} {e(r['to'])}</td>"
        f"<td>{e(r['state'])}</td>"
        f"<td>{e(_short(r['last_error'] or '', 70))}</td></tr>"
        for r in failed[:25]
    )
    more = f"<p>… and {len(failed) - 25} more (see delivery.csv).</p>" if len(failed) > 25 else ""
    problems = (
        f"<h2>Not reached</h2><table><tr><th>Office</th><th>Channel, to</th><th>State</th>"
        f"<th>Why</th></tr>{items}</table>{more}"
        if failed
        else "<p>No letter failed.</p>"
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Delivery: {e(campaign)}</title><style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #000; }}
h1 {{ font-size: 16pt; margin: 0 0 4mm; }} h2 {{ font-size: 12pt; margin: 6mm 0 2mm; }}
.big {{ font-size: 28pt; font-weight: bold; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 0.3pt solid #888; padding: 1mm 2mm; text-align: left; }}
</style></head><body>
<h1>Delivery of “{e(campaign)}”</h1>
<p><span class="big">{len(reached)} of {len(offices)}</span> offices reached
({e(carried)}).</p>
<table>
<tr><th>Sent</th><td>{counts["sent"]}</td></tr>
<tr><th>Waiting (queued, retrying, being sent)</th><td>{waiting}</td></tr>
<tr><th>Failed</th><td>{counts["failed"]}</td></tr>
<tr><th>Unknown (a person must check)</th><td>{counts["unknown"]}</td></tr>
</table>
{problems}
</body></html>"""


def summary_pdf(campaign: str, rows: list[dict[str, Any]]) -> bytes:
    """The summary rendered by WeasyPrint, as the letters are; it reads no URL at all."""
    import weasyprint

    def refuse(url: str, *_: Any, **__: Any) -> Any:
        raise ValueError(f"the delivery summary reads no URL: {url}")

    document = weasyprint.HTML(string=summary_html(campaign, rows), url_fetcher=refuse)
    data: bytes = document.write_pdf()
    return data


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
