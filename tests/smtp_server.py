"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the e-mail transport's tests: it keeps
every message it accepts and can be told to refuse (5xx, 4xx) or to drop the connection."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any


@dataclass
class Behaviour:
    """What the server does with mail to an address containing `match`."""

    rcpt: str | None = None  # a reply to RCPT ("550 ...", "451 ...") or "reset"
    data: str | None = None  # a reply to the message, or "reset" after reading it
    times: int = 1_000_000  # how many times, then it accepts


@dataclass
class Handler:
    messages: list[EmailMessage] = field(default_factory=list)
    rules: dict[str, Behaviour] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to sit on a message before accepting it
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _rule(self, address: str, stage: str) -> str | None:
        with self.lock:
            for match, rule in self.rules.items():
                reply = getattr(rule, stage)
                if match in address and reply and rule.times > 0:
                    rule.times -= 1
                    return str(reply)
        return None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, _o: Any
    ) -> str:
        reply = self._rule(address, "rcpt")
        if reply == "reset":
            server.transport.abort()
            return "421 gone"
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            time.sleep(self.delay)  # hold the server: a client killed now has handed it over
        reply = self._rule(",".join(envelope.rcpt_tos), "data")
        if reply == "reset":
            server.transport.abort()
            return "421 gone"
        if reply:
            return reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password == b"s3cret-pass", handled=False)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(**handler_args: Any) -> Iterator[tuple[Handler, int]]:
    """Start the server on 127.0.0.1 and stop it however the test ends."""
    from aiosmtpd.controller import Controller

    handler = Handler(**handler_args)
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=handler.authenticate,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],  # one mechanism: a refusal is final at once
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
