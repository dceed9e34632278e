"""The `post` channel: letters into a print batch for window envelopes (lettergen.render.post).

lettergen cannot post a letter; it can make the posting sure and easy. Every letter due for
post at one moment of a run goes into one print batch, ``post/post-<UTC time>.pdf`` in the
batch folder, with its posting list (``…-list.csv``, ``…-list.pdf``); letters that fall back to
post later in the run go into a batch of their own (``post-<UTC time>-2.pdf`` when the time is
the same). A batch once written is never overwritten. A letter is `sent` in the ledger once
its batch is written — the transmission report then says which batch and envelope it is in;
printing and posting are the group's.

Submitting only collects the letter (the row is `sending`, its job id names the batch); the
batch is written when the runner flushes the transport, the list last. A run killed before
that leaves rows whose batch has no list: they go back to the queue and into the next batch.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lettergen.render.post import PostLetter, write_print_batch
from lettergen.send.transports import Job, Outcome, register

log = logging.getLogger(__name__)


class Post:
    name = "post"
    formats: tuple[str, ...] = ("pdf",)

    def __init__(self, settings: dict[str, Any]):
        self.folder = Path(str(settings.get("folder") or "post"))
        self.sender = str(settings.get("sender", ""))
        self.title = str(settings.get("title", "letters"))
        self.concurrency = 1_000_000  # no line to wait for: every letter due joins the batch
        self.interval = 0.0
        self._pending: list[Job] = []
        self.batch = self._new_batch()
        self.written: list[Path] = []

    def submit(self, job: Job) -> Outcome:
        self._pending.append(job)
        return Outcome("sending", job_id=f"{self.batch}:{job.tag}")

    def flush(self) -> None:
        """Write the batch of the letters collected so far."""
        if not self._pending:
            return
        letters = [
            PostLetter(
                reference=job.tag,
                recipient=tuple(line for line in job.to.split("; ") if line),
                country=job.country,
                letter=job.path,
                pages=job.pages,
                town=job.to.split("; ")[-2] if job.to.count("; ") >= 1 else "",
            )
            for job in self._pending
        ]
        pdf = self.folder / f"{self.batch}.pdf"
        write_print_batch(letters, pdf, self.sender, self.title)
        self.written.append(pdf)
        log.warning(
            "post: %d letter(s) in %s, with its posting list: print single-sided, fold, post",
            len(letters),
            pdf,
        )
        self._pending = []
        self.batch = self._new_batch()  # letters collected later go into a batch of their own

    def _new_batch(self) -> str:
        """post-<UTC time>, with -2, -3 … when a batch of that name was written already (a
        fallback to post later in the same run, or another run in the same second): a print
        batch, once written, is never overwritten."""
        name = "post-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        taken = {getattr(self, "batch", "")}
        candidate, number = name, 1
        while (
            candidate in taken
            or any(self.folder.glob(f"{candidate}.*"))
            or any(self.folder.glob(f"{candidate}-list.*"))
        ):
            number += 1
            candidate = f"{name}-{number}"
        return candidate

    def _listed(self, batch: str, tag: str) -> Outcome | None:
        listing = self.folder / f"{batch}-list.csv"
        if not listing.is_file():
            return None
        with listing.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            if row["reference"] == tag:
                return Outcome(
                    "sent",
                    job_id=f"{batch}:{tag}",
                    reply=f"envelope {row['envelope']} of {len(rows)} in {batch}.pdf "
                    f"({row['envelope_size']}, about {row['grams']} g)",
                    pages_sent=int(row["sheets"]) - 1,
                )
        return None

    def poll(self, job: Job) -> Outcome:
        batch, _, tag = (job.job_id or "").partition(":")
        found = self._listed(batch, tag)
        if found is not None:
            return found
        if batch == self.batch and any(p.tag == tag for p in self._pending):
            return Outcome("sending", job_id=job.job_id)
        return Outcome("queued", error="its print batch was never written")

    def find(self, job: Job) -> Outcome | None:
        for listing in sorted(self.folder.glob("post-*-list.csv")):
            found = self._listed(listing.name.removesuffix("-list.csv"), job.tag)
            if found is not None:
                return found
        return Outcome("queued", error="in no print batch")


register("post", Post)
