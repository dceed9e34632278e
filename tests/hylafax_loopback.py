"""A real fax line on this machine: HylaFAX ↔ iaxmodem ↔ iaxmodem ↔ HylaFAX.

Two software modems (iaxmodem, spandsp) call each other directly over IAX2; each has a
faxgetty, and one faxq + hfaxd serve both. Everything runs inside a private network
namespace that has only `lo`, so no packet can leave 127.0.0.1 (iaxmodem binds 0.0.0.0 and
hfaxd listens in the namespace only). Clients (sendfax, faxstat, lettergen) run in the
namespace too: `loopback.run([...])`.

Needs root (network namespaces, /dev/ttyIAX*, the HylaFAX spool). Every daemon started is
stopped and every file written outside the spool's queues is removed, however the test ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SPOOL = Path("/var/spool/hylafax")
QUEUES = ("sendq", "doneq", "docq", "recvq", "log", "info", "status", "tmp", "pollq", "archive")
MODEMS = ("ttyIAX0", "ttyIAX1")
PORTS = {"ttyIAX0": (4570, 4571), "ttyIAX1": (4571, 4570)}
NUMBERS = {"ttyIAX0": "1000", "ttyIAX1": "2000"}
TOOLS = ("iaxmodem", "faxq", "hfaxd", "faxgetty", "sendfax", "faxstat", "ip")


def unavailable() -> str | None:
    """Why the loopback cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespace, /dev/ttyIAX*, the HylaFAX spool)"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        return f"missing {', '.join(missing)} (make install puts in hylafax-server, " \
            "hylafax-client, iaxmodem, iproute2)"  # fmt: skip
    probe = f"lettergen-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"no network namespaces here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], check=False)
    if any(Path(f"/var/lock/LCK..{m}").exists() for m in MODEMS) or Path("/dev/ttyIAX0").exists():
        return "another fax loopback (or a HylaFAX modem) is in use on this machine"
    return None


@dataclass
class Loopback:
    netns: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    queues_before: set[Path] = field(default_factory=set)

    def run(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        """A command inside the namespace (sendfax, faxstat, lettergen …)."""
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            ["ip", "netns", "exec", self.netns, *args], capture_output=True, text=True, **kwargs
        )

    def popen(self, args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["ip", "netns", "exec", self.netns, *args], **kwargs)  # type: ignore[call-overload, no-any-return]

    def start(self, args: list[str]) -> None:
        self.processes.append(
            self.popen(args, cwd=SPOOL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )

    def modems_idle(self) -> bool:
        status = self.run(["faxstat", "-h", "127.0.0.1"]).stdout
        return status.count("Running and idle") >= 2

    def received(self) -> list[Path]:
        """Fax images the receiving modem wrote since the loopback started."""
        return sorted(p for p in (SPOOL / "recvq").glob("fax*.tif") if p not in self.queues_before)

    def xferfaxlog(self) -> str:
        path = SPOOL / "log" / "xferfaxlog"
        return path.read_text(errors="replace") if path.exists() else ""


def _write(loop: Loopback, path: Path, text: str) -> None:
    # A file with exactly these contents is a run's own, left by a run killed before its
    # teardown: taken over (and removed at the end). Any other file is somebody's setup.
    if path.exists() and path.read_text(errors="replace") != text:
        raise RuntimeError(f"{path} exists: not ours to overwrite")
    path.write_text(text)
    loop.written.append(path)


#: HylaFAX's settings for an iaxmodem (those of iaxmodem's example config.ttyIAX, written here
#: because minimal Debian images leave out /usr/share/doc), with shorter waits.
MODEM_CONFIG = """\
CountryCode: 1
AreaCode: 800
LongDistancePrefix: 1
InternationalPrefix: 011
DialStringRules: etc/dialrules
ServerTracing: 0xFFF
SessionTracing: 0xFFF
RecvFileMode: 0600
LogFileMode: 0600
DeviceMode: 0600
RingsBeforeAnswer: 1
SpeakerVolume: off
GettyArgs: "-h %l dx_%s"
TagLineFont: etc/lutRS18.pcf
TagLineFormat: "From %%l|%c|Page %%P of %%T"
MaxRecvPages: 200
ModemType: Class1
Class1AdaptRecvCmd: AT+FAR=1
Class1TMConnectDelay: 400
ModemResetCmds: AT+VCID=1
PagerTTYParity: none
CallIDPattern: "NMBR="
CallIDPattern: "NAME="
CallIDPattern: "ANID="
CallIDPattern: "NDID="
ModemResetDelay: 300
ModemSoftResetCmdDelay: 300
PollModemWait: 3
"""


def _modem_config(modem: str) -> str:
    number = NUMBERS[modem]
    return MODEM_CONFIG + f'LocalIdentifier: "lettergen {number}"\nFAXNumber: {number}\n'


def _iaxmodem_config(modem: str) -> str:
    own, peer = PORTS[modem]
    return (
        f"device /dev/{modem}\nowner uucp:uucp\nmode 660\nport {own}\nrefresh 0\n"
        f"server 127.0.0.1:{peer}\npeername {modem}\nsecret x\ncidname {modem}\n"
        f"cidnumber {NUMBERS[modem]}\ncodec slinear\n"
    )


def _remove_locks() -> None:
    for modem in MODEMS:
        Path(f"/var/lock/LCK..{modem}").unlink(missing_ok=True)


@contextmanager
def loopback(ready_timeout: float = 60) -> Iterator[Loopback]:
    loop = Loopback(netns=f"lettergen-fax-{os.getpid()}")
    loop.queues_before = {p for q in QUEUES for p in (SPOOL / q).glob("*")}
    spool_etc = SPOOL / "etc"
    etc_before = {p.name for p in spool_etc.glob("*")}
    try:
        _remove_locks()
        for modem in MODEMS:
            _write(loop, Path("/etc/iaxmodem") / modem, _iaxmodem_config(modem))
            _write(loop, Path("/etc/hylafax") / f"config.{modem}", _modem_config(modem))
        # Without systemd nothing binds /etc/hylafax onto the spool's etc/: copy what is missing.
        for source in Path("/etc/hylafax").iterdir():
            target = spool_etc / source.name
            if source.is_file() and not target.exists():
                shutil.copy2(source, target)  # like cp -a: hfaxd reads hosts.hfaxd as uucp
                os.chown(target, source.stat().st_uid, source.stat().st_gid)
        hosts = spool_etc / "hosts.hfaxd"
        if "127.0.0.1" not in hosts.read_text():
            hosts.write_text(hosts.read_text() + "127.0.0.1:21::\n")
        subprocess.run(["ip", "netns", "add", loop.netns], check=True)
        subprocess.run(["ip", "-n", loop.netns, "link", "set", "lo", "up"], check=True)
        for modem in MODEMS:
            loop.start(["iaxmodem", modem])
        deadline = time.monotonic() + 15
        while not all(Path(f"/dev/{m}").exists() for m in MODEMS):
            if time.monotonic() > deadline:
                raise RuntimeError("iaxmodem did not create /dev/ttyIAX0 and /dev/ttyIAX1")
            time.sleep(0.1)
        loop.start(["faxq", "-D"])
        loop.start(["hfaxd", "-d", "-l", "127.0.0.1", "-i", "4559"])
        for modem in MODEMS:
            loop.start(["faxgetty", modem])
        deadline = time.monotonic() + ready_timeout
        while not loop.modems_idle():
            if time.monotonic() > deadline:
                status = loop.run(["faxstat", "-h", "127.0.0.1"]).stdout
                raise RuntimeError(f"the fax modems did not come up: {status}")
            time.sleep(0.5)
        yield loop
    finally:
        for process in reversed(loop.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in loop.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        subprocess.run(["ip", "netns", "del", loop.netns], capture_output=True, check=False)
        _remove_locks()
        for path in loop.written:
            path.unlink(missing_ok=True)
        for path in spool_etc.glob("*"):
            if path.name not in etc_before and path.is_file():
                path.unlink()
        # The faxes, jobs and logs of this session go too; what was in the spool before stays.
        for queue in QUEUES:
            for path in (SPOOL / queue).glob("*"):
                if path not in loop.queues_before and path.is_file():
                    path.unlink()
        Path(SPOOL / "FIFO").unlink(missing_ok=True)
        for modem in MODEMS:
            Path(SPOOL / f"FIFO.{modem}").unlink(missing_ok=True)
