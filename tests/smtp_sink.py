"""An SMTP server for tests: aiosmtpd on 127.0.0.1 (a free port), on the test's event loop.

It keeps what it receives, counts connections, and can answer chosen recipients with an
error reply (e.g. "450 4.2.1 Mailbox busy") to exercise retries and permanent failures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from functools import cached_property
from types import TracebackType
from typing import Any, cast

import pytest_asyncio
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from mailer.relay import MailSettings


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    recipients: tuple[str, ...]  # the envelope recipients (RCPT TO)
    data: bytes

    @cached_property
    def message(self) -> EmailMessage:
        # Parsed on first use: parsing costs milliseconds, too much for benchmarks.
        return cast(EmailMessage, BytesParser(policy=default_policy).parsebytes(self.data))

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self._body("plain")

    @property
    def html(self) -> str:
        return self._body("html")

    def _body(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            raise LookupError(f"no text/{subtype} part")
        return cast(EmailMessage, part).get_content()


@dataclass
class _Reply:
    reply: str
    times: int | None  # None: every time


@dataclass
class SmtpSink:
    credentials: tuple[str, str] | None = None  # when set, MAIL needs AUTH with these
    host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0  # connections accepted so far
    _messages: list[ReceivedMessage] = field(default_factory=list)
    _replies: dict[str, _Reply] = field(default_factory=dict)
    _protocols: list[SMTP] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _received: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def messages(self) -> list[ReceivedMessage]:
        return list(self._messages)

    def to(self, recipient: str) -> list[ReceivedMessage]:
        return [m for m in self._messages if recipient in m.recipients]

    def settings(self, **changes: Any) -> MailSettings:
        """Mail settings that deliver to this sink."""
        values: dict[str, Any] = {
            "backend": "smtp",
            "host": self.host,
            "port": self.port,
            "tls": "none",
            "timeout": 5.0,
        }
        return MailSettings(**(values | changes))

    def respond(self, recipient: str, reply: str, *, times: int | None = None) -> None:
        """Answer RCPT TO:<recipient> with `reply`, `times` times (default: always)."""
        self._replies[recipient.lower()] = _Reply(reply, times)

    def clear(self) -> None:
        self._messages.clear()
        self._replies.clear()
        self.connections = 0

    async def wait_for(
        self,
        count: int,
        timeout: float = 5,  # noqa: ASYNC109 - a test helper: the timeout is the point
    ) -> list[ReceivedMessage]:
        """Wait until at least `count` messages arrived; return them all."""
        async with asyncio.timeout(timeout):
            while len(self._messages) < count:
                self._received.clear()
                await self._received.wait()
        return self.messages

    def drop_connections(self) -> None:
        """Close every open connection from the server side, as an idle timeout would."""
        for protocol in self._protocols:
            if protocol.transport is not None:
                protocol.transport.close()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._new_connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self.drop_connections()
        await self._server.wait_closed()
        await asyncio.sleep(0)  # let the closed connections' handler tasks finish
        self._server = None

    async def __aenter__(self) -> SmtpSink:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _new_connection(self) -> SMTP:
        self.connections += 1
        protocol = SMTP(
            _Handler(self),
            hostname="sink.test",  # otherwise aiosmtpd looks up this host's FQDN
            authenticator=self._authenticate if self.credentials else None,
            auth_require_tls=False,
            loop=asyncio.get_running_loop(),
        )
        self._protocols = [p for p in self._protocols if not _closed(p)] + [protocol]
        return protocol

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        given = (data.login.decode(), data.password.decode())
        return AuthResult(success=given == self.credentials, handled=False)

    def _reply_for(self, recipient: str) -> str | None:
        rule = self._replies.get(recipient.lower())
        if rule is None:
            return None
        if rule.times is not None:
            rule.times -= 1
            if rule.times <= 0:
                del self._replies[recipient.lower()]
        return rule.reply

    def _store(self, envelope: Envelope) -> None:
        self._messages.append(
            ReceivedMessage(
                str(envelope.mail_from), tuple(envelope.rcpt_tos), envelope.original_content or b""
            )
        )
        self._received.set()


def _closed(protocol: SMTP) -> bool:
    return protocol.transport is None or protocol.transport.is_closing()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.sink.credentials and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.sink._reply_for(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink._store(envelope)
        return "250 Message accepted for delivery"


@pytest_asyncio.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink() as sink:
        yield sink
