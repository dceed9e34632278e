"""The HylaFAX transport: submit with `sendfax`, read job states with `faxstat` (Debian's
hylafax-client), local or remote server.

Each job carries the attempt's tag as its job tag (`sendfax -i`), so that after a crash the
job is found again in the server's send or done queue instead of being sent a second time.
HylaFAX's own redialling is turned off (one dial, one try per job): retries and office hours
are the ledger's, decided once.

HylaFAX's job states: P pending, S sleeping, B blocked, W waiting for a modem, R running,
T suspended — the letter is on its way; D done — sent; F failed — the status text says why.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lettergen.errors import DataError
from lettergen.send.transports import Job, Outcome, TransportError, register

log = logging.getLogger(__name__)

#: faxstat's job lines: id | tag | state | pages sent | communication id | status text.
JOB_FORMAT = "%j|%J|%a|%p|%W|%s"
IN_FLIGHT = set("PSBWRT?")
#: Failure texts worth another try later: the line, not the number.
TRANSIENT = re.compile(
    r"busy|no answer|no carrier|no local dialtone|no dial ?tone|timed? ?out|"
    r"modem|blocked|ringback|no response|communication|disconnect|try again",
    re.IGNORECASE,
)
#: Failure texts about our own line: a modem busy with another of our calls has no dial tone.
OWN_LINE = re.compile(r"no local dial ?tone", re.IGNORECASE)
#: Failure texts that say the number is wrong or is not a fax machine.
PERMANENT = re.compile(
    r"invalid|not a fax|voice|phone number|rejected|not in service|unknown number|"
    r"dial string|data connection",
    re.IGNORECASE,
)


class HylaFax:
    name = "hylafax"

    def __init__(self, settings: dict[str, Any]):
        missing = [c for c in ("sendfax", "faxstat") if shutil.which(c) is None]
        if missing:  # found at once, before a batch is rendered or a page served
            raise TransportError(
                f"the hylafax transport needs HylaFAX's client ({' and '.join(missing)} not "
                "found): apt-get install hylafax-client"
            )
        self.host = str(settings.get("host", "localhost"))
        self.modem = str(settings.get("modem", "") or "")
        self.owner = str(settings.get("owner", "") or os.environ.get("FAXUSER", ""))
        self.resolution = str(settings.get("resolution", "fine"))
        if self.resolution not in ("fine", "normal"):
            raise DataError(f"hylafax.resolution {self.resolution!r}: fine or normal")
        self.concurrency = int(settings.get("concurrency", 2))
        self.spool = Path(str(settings.get("spool") or "/var/spool/hylafax"))
        self.interval = float(settings.get("interval", 0))
        self.timeout = float(settings.get("timeout", 120))
        preferred = str(settings.get("format", "tiff"))
        self.formats = (preferred, *(f for f in ("tiff", "pdf") if f != preferred))
        # faxstat takes its job format from ~/.hylarc only: a private HOME (in the user's cache,
        # so that a killed run leaves nothing behind in /tmp) gives it ours.
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        self._home = str(cache / "lettergen" / "hylafax")
        Path(self._home).mkdir(parents=True, exist_ok=True)
        Path(self._home, ".hylarc").write_text(f'JobFmt: "{JOB_FORMAT}"\n')

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HOME": self._home}
        if self.owner:
            env["FAXUSER"] = self.owner
        try:
            return subprocess.run(
                args,
                capture_output=True,
                text=True,
                env=env,
                timeout=self.timeout,
                preexec_fn=_die_with_parent,  # no orphan sendfax submitting after a kill -9
                check=False,
            )
        except FileNotFoundError as exc:
            raise TransportError(
                f"{args[0]} not found: install HylaFAX's client (Debian: hylafax-client)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            if args[0] == "sendfax":
                raise  # the server may have queued it: submit() says so
            raise TransportError(f"{args[0]}: no answer from {self.host}") from exc

    def submit(self, job: Job) -> Outcome:
        server = f"{self.modem}@{self.host}" if self.modem else self.host
        args = ["sendfax", "-n", "-h", server, "-i", job.tag, "-T", "1", "-t", "1"]
        args += ["-m"] if self.resolution == "fine" else ["-l"]
        args += ["-d", job.fax, str(job.path)]
        try:
            done = self._run(args)
        except subprocess.TimeoutExpired:
            # It may be queued: the row stays `sending` and is looked for by its tag next run.
            return Outcome("sending", error=f"sendfax: no answer from {self.host} in time")
        output = (done.stdout + done.stderr).strip()
        found = re.search(r"request id is (\d+)", output)
        if done.returncode == 0 and found:
            return Outcome("sending", job_id=found.group(1))
        if "Can not reach" in output or "Connection refused" in output:
            raise TransportError(f"sendfax: {_first_line(output)}")
        # sendfax refused the job before the server queued it (a bad number, a bad file).
        return Outcome("failed", error=f"sendfax: {_first_line(output)}")

    def prepare(self) -> None:
        """Before the first letter: as many faxes in flight as the server has modems (one when
        a modem is named). A second job for a single modem would dial while the first holds
        the line and fail with "No local dialtone"."""
        if self.modem:
            modems = 1
        else:
            status = self._run(["faxstat", "-h", self.host])
            output = status.stdout + status.stderr
            if "Can not reach" in output:
                raise TransportError(f"faxstat: {_first_line(output)}")
            modems = sum(1 for line in status.stdout.splitlines() if line.startswith("Modem "))
        if modems and modems < self.concurrency:
            log.info(
                "hylafax: %d modem(s) on %s: %d fax(es) in flight at once",
                modems,
                self.host,
                modems,
            )
            self.concurrency = modems

    def jobs(self) -> dict[str, tuple[str, str, str, str, str]]:
        """Every job of the send and done queues: id → (tag, state, pages sent, communication
        id, status)."""
        done = self._run(["faxstat", "-h", self.host, "-s", "-d"])
        if "Can not reach" in done.stdout + done.stderr or done.returncode != 0:
            raise TransportError(f"faxstat: {_first_line(done.stdout + done.stderr)}")
        jobs = {}
        for line in done.stdout.splitlines():
            parts = [p.strip() for p in line.split("|", 5)]
            if len(parts) == 6 and parts[0].isdigit():
                jobs[parts[0]] = (parts[1], parts[2], parts[3], parts[4], parts[5])
        return jobs

    def poll(self, job: Job) -> Outcome:
        found = self.jobs().get(job.job_id or "")
        if found is None:
            return Outcome(
                "unknown", job_id=job.job_id, error="the job is gone from the server's queues"
            )
        return self._proven(_outcome(job.job_id or "", *found), found)

    def find(self, job: Job) -> Outcome | None:
        """The attempt's job by its tag; none at all means the server never queued it."""
        for job_id, found in self.jobs().items():
            if found[0] == job.tag:
                return self._proven(_outcome(job_id, *found), found)
        return Outcome("queued", error="no job with this attempt's tag on the server")

    def _proven(self, outcome: Outcome, found: tuple[str, str, str, str, str]) -> Outcome:
        """A job done, with the remote station's id and the pages as HylaFAX recorded the call
        (its transfer log, `xferfaxlog`)."""
        if outcome.state != "sent":
            return outcome
        tag, _state, pages, commid, _status = found
        record = self.transfer_record(tag, commid)
        sent_pages = int(pages) if pages.isdigit() else None
        if record is None:
            return replace(outcome, pages_sent=sent_pages, reply=f"job done, call {commid}")
        return replace(
            outcome,
            remote_id=record.csi or None,
            pages_sent=record.pages if record.pages is not None else sent_pages,
            reply=f"job done, call {record.commid}: {record.reason or 'OK'}"
            + (f", {record.seconds} s on the line" if record.seconds else ""),
        )

    def transfer_record(self, tag: str, commid: str = "") -> Transfer | None:
        """The SEND line of the job tagged `tag` in HylaFAX's transfer log: read from the
        spool when the server is this machine, else fetched from hfaxd (which lets a user
        read it when the server's LogFileMode allows)."""
        text = ""
        path = self.spool / "log" / "xferfaxlog"
        try:
            text = path.read_text(errors="replace")
        except OSError:
            text = self._fetch("log/xferfaxlog")
        found = None
        for line in text.splitlines():
            record = Transfer.parse(line)
            if record is not None and record.tag == tag and record.commid.endswith(commid):
                found = record
        return found

    def _fetch(self, name: str) -> str:
        """A file of the server's spool through hfaxd's own protocol (FTP-like)."""
        import ftplib

        host, _, port = self.host.partition(":")
        lines: list[str] = []
        try:
            with ftplib.FTP(timeout=self.timeout) as client:
                client.connect(host or "localhost", int(port or 4559))
                client.login(self.owner or os.environ.get("USER", "") or "lettergen")
                client.retrlines(f"RETR {name}", lines.append)
        except (OSError, EOFError, ftplib.Error) as exc:
            log.debug("hylafax: %s not readable through hfaxd: %s", name, exc)
        return "\n".join(lines)


@dataclass(frozen=True)
class Transfer:
    """One SEND line of HylaFAX's xferfaxlog (tab-separated): date, SEND, commid, modem, job
    id, job tag, sender, "number", "CSI", parameters, pages, job time, connect time,
    "reason", …"""

    commid: str
    tag: str
    number: str
    csi: str
    pages: int | None
    seconds: int | None
    reason: str

    @classmethod
    def parse(cls, line: str) -> Transfer | None:
        parts = line.split("\t")
        if len(parts) < 14 or parts[1] != "SEND":
            return None

        def text(value: str) -> str:
            return value.strip().strip('"').strip()

        def seconds(value: str) -> int | None:
            units = [u for u in value.strip().split(":") if u.isdigit()]
            total = 0
            for unit in units:
                total = total * 60 + int(unit)
            return total if units else None

        pages = parts[10].strip()
        return cls(
            commid=text(parts[2]),
            tag=text(parts[5]),
            number=text(parts[7]),
            csi=text(parts[8]),
            pages=int(pages) if pages.isdigit() else None,
            seconds=seconds(parts[12]),
            reason=text(parts[13]),
        )


def _outcome(job_id: str, _tag: str, state: str, pages: str, _commid: str, status: str) -> Outcome:
    if state == "D":
        return Outcome("sent", job_id=job_id)
    if state in IN_FLIGHT:
        return Outcome("sending", job_id=job_id)
    error = status or "failed"
    if pages.isdigit() and int(pages) > 0:
        # Part of the letter went through: sending again would repeat those pages.
        return Outcome("unknown", job_id=job_id, error=f"{pages} page(s) sent, then: {error}")
    if OWN_LINE.search(error):
        # Our side of the line: not the recipient's number; the runner waits for the line.
        return Outcome("retry", job_id=job_id, error=error, wait=True)
    if PERMANENT.search(error):
        return Outcome("failed", job_id=job_id, error=error)
    if TRANSIENT.search(error) or not error:
        return Outcome("retry", job_id=job_id, error=error)
    return Outcome("failed", job_id=job_id, error=error)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no output"


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when lettergen dies (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


register("hylafax", HylaFax)
