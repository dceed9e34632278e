"""The server's secret: the key of the hashes Fax it for me keeps to enforce its limits.

The per-signer limits ("once per office", N a day) and the per-address limit need to recognise a
name or a client address again for the retention period, after the letter and the name itself
are deleted. What is kept for that is an HMAC-SHA256 keyed with this secret, which lives outside
the supporter folder: whoever holds the ledger (a backup, a copied disk) cannot hash a guessed
name and find it, because the key is not there. A plain or salted hash kept beside it would
confirm any guess.

The secret is `LETTERGEN_SERVER_SECRET` from the environment when set; else a random key made
once in a file of its own, created 0600 in a 0700 folder: `LETTERGEN_SECRET_FILE`, else
`$XDG_CONFIG_HOME/lettergen/server-secret` (`~/.config/lettergen/server-secret`). Losing it
only resets the limits; it never holds anything a supporter typed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

from lettergen.errors import InputError, Place

VARIABLE = "LETTERGEN_SERVER_SECRET"
FILE_VARIABLE = "LETTERGEN_SECRET_FILE"


def secret_file() -> Path:
    """Where the secret is kept when the environment gives none."""
    given = os.environ.get(FILE_VARIABLE)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lettergen" / "server-secret"


def server_secret() -> bytes:
    """32 bytes: the environment's secret hashed, else the secret file's (made at first use)."""
    text = os.environ.get(VARIABLE, "")
    if text:
        return hashlib.sha256(text.encode()).digest()
    path = secret_file()
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise _error(path, exc) from None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)  # two processes at once: the first one's key wins
        finally:
            temporary.unlink(missing_ok=True)
        return _read(path)
    except (OSError, ValueError) as exc:
        raise _error(path, exc) from None


def _read(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) < 16:
        raise ValueError("too short to be a key")
    return key


def _error(path: Path, exc: Exception) -> InputError:
    reason = exc.strerror if isinstance(exc, OSError) else str(exc)
    return InputError(
        f"cannot use the server's secret: {reason}",
        Place(path),
        hint=f"set {VARIABLE}, or {FILE_VARIABLE} to a file lettergen may create",
    )
