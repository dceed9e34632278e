"""The dry-run transport: everything but the network. It logs what it would send to whom;
the runner gives it a copy of the ledger in memory, so nothing is recorded as sent."""

from __future__ import annotations

import logging
from typing import Any

from lettergen.send.transports import Job, Outcome, register

log = logging.getLogger(__name__)


class DryRun:
    name = "dry-run"
    formats: tuple[str, ...] = ("tiff", "pdf")

    def __init__(self, settings: dict[str, Any]):
        self.concurrency = int(settings.get("concurrency", 1))
        self.interval = 0.0
        self.submitted: list[Job] = []

    def submit(self, job: Job) -> Outcome:
        self.submitted.append(job)
        log.info("would send %s to %s (%s)", job.path.name, job.fax, job.office_id)
        return Outcome("sent", job_id=f"dry-{job.tag}")

    def poll(self, job: Job) -> Outcome:
        return Outcome("sent", job_id=job.job_id)

    def find(self, job: Job) -> Outcome | None:
        return None


register("dry-run", DryRun)
