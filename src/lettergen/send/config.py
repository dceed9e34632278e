"""How a campaign is sent: a small TOML file, options on top, secrets from the environment.

The file (``--config``, else ``data/campaigns/<campaign>.send.toml`` when it exists)::

    transport = "email"            # or "hylafax", "dry-run"
    [hours]
    hours = "08:00-18:00"          # the recipient's local time
    days = "mon-fri"
    [retry]
    first_minutes = 20
    factor = 1.9
    cap_hours = 24
    attempts = 10
    [email]
    host = "smtp.example.net"
    security = "starttls"          # or "ssl", "none"
    ca_file = "group-ca.pem"       # optional: the group's own CA (relative to this file)
    from = "campaign@example.org"
    gateway = "{number}@fax.example.net"
    [hylafax]
    host = "fax.example.org:4559"

Passwords never live in it: the SMTP login comes from LETTERGEN_SMTP_USER and
LETTERGEN_SMTP_PASSWORD, else from a netrc file (LETTERGEN_NETRC, else ~/.netrc) entry for the
SMTP host. A file that holds a password is refused.
"""

from __future__ import annotations

import logging
import netrc
import os
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from lettergen.errors import DataError, InputError, Place
from lettergen.send.schedule import Backoff, Hours, Policy

log = logging.getLogger(__name__)

SECRET_KEYS = ("password", "pass", "secret", "token", "user", "username", "login")
KNOWN = {
    "": {"transport", "hours", "retry", "email", "hylafax", "dry-run", "fax_for_me"},
    "hours": {"hours", "days"},
    "retry": {"first_minutes", "factor", "cap_hours", "attempts"},
    "email": {
        "host",
        "port",
        "security",
        "ca_file",
        "from",
        "gateway",
        "subject",
        "timeout",
        "interval",
        "format",
    },
    "hylafax": {
        "host",
        "modem",
        "owner",
        "resolution",
        "concurrency",
        "poll_seconds",
        "interval",
        "format",
        "timeout",
        "spool",
    },
    "dry-run": {"concurrency"},
    # checked by lettergen.supporters.store.Rules
    "fax_for_me": {
        "retention_days",
        "confirm",
        "confirm_hours",
        "moderate",
        "per_signer_per_day",
        "per_address_per_day",
        "public_url",
        "folder",
        "poll_seconds",
        "purge_minutes",
    },
}


@dataclass
class SendConfig:
    transport: str = "dry-run"
    policy: Policy = field(default_factory=Policy)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # per transport

    def for_transport(self) -> dict[str, Any]:
        return dict(self.settings.get(self.transport, {}))


def load(path: Path | None, overrides: dict[str, dict[str, Any]] | None = None) -> SendConfig:
    """Read the file (if any) and lay `overrides` ({"": {"transport": …}, "email": {…}}) on
    top. Unknown keys are warnings; secrets in the file are errors."""
    document: dict[str, Any] = {}
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(
                f"cannot read the send configuration: {exc.strerror}", Place(path)
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(str(exc), Place(path)) from exc
        _check(document, path)
        _beside(document, path)
    for section, values in (overrides or {}).items():
        target = document if section == "" else document.setdefault(section, {})
        target.update({k: v for k, v in values.items() if v is not None})
    hours = document.get("hours", {})
    retry = document.get("retry", {})
    try:
        policy = Policy(
            hours=Hours.parse(
                str(hours.get("hours", "08:00-18:00")), str(hours.get("days", "mon-fri"))
            ),
            backoff=Backoff(
                first=timedelta(minutes=float(retry.get("first_minutes", 20))),
                factor=float(retry.get("factor", 1.9)),
                cap=timedelta(hours=float(retry.get("cap_hours", 24))),
                attempts=int(retry.get("attempts", 10)),
            ),
        )
    except (TypeError, ValueError) as exc:
        raise DataError(f"retry: {exc}", Place(path) if path else None) from exc
    settings = {k: v for k, v in document.items() if isinstance(v, dict)}
    return SendConfig(str(document.get("transport", "dry-run")), policy, settings)


def _check(document: dict[str, Any], path: Path) -> None:
    for section, values in [
        ("", document),
        *((k, v) for k, v in document.items() if isinstance(v, dict)),
    ]:
        for key in values:
            where = f"{section}.{key}" if section else key
            if key.lower() in SECRET_KEYS:
                raise DataError(
                    f"{where}: credentials do not belong in this file",
                    Place(path),
                    hint="set LETTERGEN_SMTP_USER and LETTERGEN_SMTP_PASSWORD, or use a netrc file",
                )
            if section in KNOWN and key not in KNOWN[section] and not isinstance(values[key], dict):
                log.warning("%s: unknown key %r (ignored)", path, where)


def _beside(document: dict[str, Any], path: Path) -> None:
    """A file the configuration names (the e-mail server's trusted certificates) is read
    relative to the configuration, wherever lettergen is run from."""
    email = document.get("email")
    if isinstance(email, dict) and isinstance(email.get("ca_file"), str) and email["ca_file"]:
        email["ca_file"] = str(path.parent / Path(email["ca_file"]).expanduser())


def smtp_login(host: str) -> tuple[str, str] | None:
    """(user, password) from LETTERGEN_SMTP_USER/PASSWORD, else the netrc entry for `host`
    (LETTERGEN_NETRC or ~/.netrc), else None: no login."""
    user = os.environ.get("LETTERGEN_SMTP_USER")
    password = os.environ.get("LETTERGEN_SMTP_PASSWORD")
    if user and password is not None:
        return user, password
    file = os.environ.get("LETTERGEN_NETRC") or str(Path.home() / ".netrc")
    if not Path(file).is_file():
        return None
    try:
        entry = netrc.netrc(file).authenticators(host)
    except (netrc.NetrcParseError, OSError) as exc:
        # The parser's message can quote the file's line: say only where it is.
        raise InputError(
            f"cannot read the netrc file ({type(exc).__name__})", Place(file)
        ) from None
    if entry is None or not entry[0]:
        return None
    return entry[0], entry[2] or ""
