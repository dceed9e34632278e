""" "Fax it for me": once the letter is sent, the supporter's status link offers its
transmission report, read back from the PDF; before that, and for a wrong link, it does not."""

from __future__ import annotations

import threading
from pathlib import Path

from test_web_fax import Clock, app_for, ask, settings, token_of

from conftest import flat, pdftotext
from lettergen.supporters.service import run_sender
from lettergen.web import Site


def test_the_status_link_offers_the_transmission_report_once_sent(tmp_path: Path) -> None:
    from conftest import SEED_CAMPAIGN

    site, clock = Site(SEED_CAMPAIGN), Clock()
    setup = settings(tmp_path)
    client = app_for(site, setup, clock)
    token = token_of(ask(client))
    waiting = client.get(f"/fax/{token}")
    assert "report.pdf" not in waiting.text
    assert client.get(f"/fax/{token}/report.pdf").status_code == 404  # not sent yet
    run_sender(setup, stop=threading.Event(), clock=clock, once=True)
    page = client.get(f"/fax/{token}")
    assert f'href="/fax/{token}/report.pdf"' in page.text
    assert "Download the transmission report (PDF)" in page.text
    report = client.get(f"/fax/{token}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    assert report.headers["Cache-Control"] == "no-store"
    text = flat(pdftotext(report.data))
    assert "Transmission report" in text and "de-berlin-embassy" in text
    assert "Fax number +493047007125" in text and "Result delivered" in text
    assert "(Europe/Berlin, UTC+01:00)" in text  # the office's local time
    assert "Letter" not in text.split("Channel")[0].split("Office")[1]  # no file name
    assert client.get("/fax/" + "x" * 32 + "/report.pdf").status_code == 404
