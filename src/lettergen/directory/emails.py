"""Office e-mail addresses: is the address well formed, and (only when asked, since lettergen
works offline) does its domain take mail?

The syntax check is the practical subset of RFC 5321/5322 that mail servers accept from a
directory: one ``@``, a local part of atoms joined by dots, a domain of at least two labels of
letters, digits and hyphens (an internationalised domain in its Unicode form is accepted and
checked as IDNA). Quoted local parts, comments and IP literals are refused: no office publishes
them, and a directory that holds one is more likely mistyped.

The domain lookup asks the system's resolver for an MX record (with dnspython, when installed)
and else for an address (A/AAAA) — RFC 5321's rule is that a domain without MX takes mail at its
address.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

#: An atom of the local part: RFC 5322's atext.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_TLD = re.compile(r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})")


def email_problem(address: str) -> str | None:
    """Why `address` is not a usable e-mail address, or None."""
    if address != address.strip() or any(c.isspace() for c in address):
        return f"e-mail {address!r} holds spaces"
    if address.count("@") != 1:
        return f"e-mail {address!r} must hold exactly one @"
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        return f"e-mail {address!r}: the part before @ is not a mailbox name"
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return f"e-mail {address!r}: the domain {domain!r} is not a valid internationalised name"
    labels = ascii_domain.rstrip(".").split(".")
    if len(ascii_domain) > 253 or len(labels) < 2:
        return f"e-mail {address!r}: the domain {domain!r} is not a full domain name"
    if not all(_LABEL.fullmatch(label) for label in labels) or not _TLD.fullmatch(labels[-1]):
        return f"e-mail {address!r}: the domain {domain!r} is not a valid domain name"
    return None


def domain_problem(address: str, resolve: Callable[[str], bool | None] | None = None) -> str | None:
    """Why the domain of a well-formed address does not take mail (no MX and no A/AAAA record),
    or None. `resolve(domain)` answers True (takes mail), False (does not exist / no record) or
    None (the lookup itself failed: no network); the default asks the system's resolver."""
    domain = address.rsplit("@", 1)[-1].rstrip(".")
    found = (resolve or takes_mail)(domain)
    if found is None:
        return f"e-mail {address}: could not look up {domain} (no network?)"
    if not found:
        return f"e-mail {address}: the domain {domain} has no mail server (no MX or A record)"
    return None


def takes_mail(domain: str) -> bool | None:
    """MX (dnspython, if installed), else A/AAAA through the system's resolver."""
    try:
        import dns.exception  # type: ignore[import-not-found, unused-ignore]
        import dns.resolver  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:
        try:
            answer = dns.resolver.resolve(domain, "MX", lifetime=10)
            if len(answer):
                return True
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
            return False
        except dns.resolver.NoAnswer:
            pass  # no MX: the domain's address takes the mail (RFC 5321, 5.1)
        except dns.exception.DNSException:
            return None
    try:
        return bool(socket.getaddrinfo(domain, 25, proto=socket.IPPROTO_TCP))
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return False
        return None
    except (OSError, UnicodeError):
        return None
