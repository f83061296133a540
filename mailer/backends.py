"""Delivery backends: where the relay hands mail over (an SMTP server, or .eml files on disk).

A backend takes a batch of messages and returns one DeliveryResult per message, in order. It
never raises for a message that could not be delivered: it says whether trying again later may
help (a transient error) or not (a permanent one).
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import aiosmtplib

from mailer.mime import OutgoingMessage, Sender, render


@dataclass(frozen=True)
class MailSettings:
    backend: str = "file"  # "file" | "smtp"
    directory: str = "var/mail"  # file backend
    host: str = "localhost"
    port: int = 587
    tls: str = "starttls"  # "none" | "starttls" | "tls"
    username: str | None = None
    password: str | None = None
    sender: str = "Carespace <no-reply@carespace.local>"
    timeout: float = 10.0  # seconds, per SMTP command

    def __post_init__(self) -> None:
        if self.backend not in {"file", "smtp"}:
            raise ValueError(f"mail backend must be file or smtp, not {self.backend!r}")
        if self.tls not in {"none", "starttls", "tls"}:
            raise ValueError(f"tls must be none, starttls or tls, not {self.tls!r}")


class Outcome(StrEnum):
    SENT = "SENT"
    TRANSIENT = "TRANSIENT"  # try again later
    PERMANENT = "PERMANENT"  # trying again will not help


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: Outcome
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SENT

    @classmethod
    def sent(cls) -> DeliveryResult:
        return _SENT

    @classmethod
    def transient(cls, error: str) -> DeliveryResult:
        return cls(Outcome.TRANSIENT, error)

    @classmethod
    def permanent(cls, error: str) -> DeliveryResult:
        return cls(Outcome.PERMANENT, error)


_SENT = DeliveryResult(Outcome.SENT)


class MailBackend(ABC):
    @abstractmethod
    async def send(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        """Deliver `messages`; one result per message, in the same order."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections. The backend may be used again afterwards."""


# --- files -----------------------------------------------------------------------------------


class FileBackend(MailBackend):
    """Writes one .eml file per message; file names sort in the order of writing."""

    def __init__(self, directory: str | os.PathLike[str], sender: str) -> None:
        self.directory = Path(directory)
        self.sender = Sender.parse(sender)
        self._lock = threading.Lock()
        self._last_stamp = datetime.min.replace(tzinfo=UTC)

    async def send(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        if not messages:
            return []
        return await asyncio.to_thread(self._write_all, messages)

    def _write_all(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return [DeliveryResult.transient(f"cannot create {self.directory}: {exc}")] * len(
                messages
            )
        return [self._write(message) for message in messages]

    def _write(self, message: OutgoingMessage) -> DeliveryResult:
        stamp = self._next_stamp()
        try:
            data = render(message, self.sender, stamp)
        except ValueError as exc:
            return DeliveryResult.permanent(f"cannot build message: {exc}")
        path = self.directory / f"{stamp:%Y%m%dT%H%M%S%fZ}-{message.id}.eml"
        partial = path.with_suffix(".eml.tmp")
        try:
            partial.write_bytes(data)
            # Readers watching the directory never see a half-written .eml file.
            partial.replace(path)
        except OSError as exc:
            return DeliveryResult.transient(f"cannot write {path}: {exc}")
        return DeliveryResult.sent()

    def _next_stamp(self) -> datetime:
        """Now, but strictly later than the previous stamp, so names never tie."""
        with self._lock:
            stamp = max(datetime.now(UTC), self._last_stamp + timedelta(microseconds=1))
            self._last_stamp = stamp
            return stamp


# --- SMTP ------------------------------------------------------------------------------------


class SmtpBackend(MailBackend):
    """Sends through one SMTP server over connections that stay open between batches.

    A batch is split over at most `connections` connections, one more for every
    `per_connection` messages, so small batches use a single connection.
    """

    def __init__(
        self, settings: MailSettings, *, connections: int = 4, per_connection: int = 50
    ) -> None:
        self.settings = settings
        self.sender = Sender.parse(settings.sender)
        self.connections = max(1, connections)
        self.per_connection = max(1, per_connection)
        self._clients: list[aiosmtplib.SMTP] = []
        self._lock = asyncio.Lock()

    async def send(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryResult]:
        if not messages:
            return []
        async with self._lock:
            count = min(self.connections, math.ceil(len(messages) / self.per_connection))
            while len(self._clients) < count:
                self._clients.append(self._new_client())
            now = datetime.now(UTC)
            results: list[DeliveryResult] = [_SENT] * len(messages)
            await asyncio.gather(
                *(
                    self._send_share(
                        self._clients[i], messages, range(i, len(messages), count), results, now
                    )
                    for i in range(count)
                )
            )
            return results

    async def close(self) -> None:
        async with self._lock:
            clients, self._clients = self._clients, []
            for client in clients:
                if client.is_connected:
                    try:
                        await client.quit(timeout=2)
                    except (aiosmtplib.SMTPException, OSError):
                        client.close()

    def _new_client(self) -> aiosmtplib.SMTP:
        settings = self.settings
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            timeout=settings.timeout,
            use_tls=settings.tls == "tls",
            start_tls=settings.tls == "starttls",
            # No username: no login at all (aiosmtplib logs in when both are given).
            username=settings.username or None,
            password=(settings.password or "") if settings.username else None,
        )

    async def _send_share(
        self,
        client: aiosmtplib.SMTP,
        messages: Sequence[OutgoingMessage],
        indexes: range,
        results: list[DeliveryResult],
        now: datetime,
    ) -> None:
        for index in indexes:
            try:
                await self._ensure_connected(client, fresh=index == indexes[0])
            except (aiosmtplib.SMTPException, OSError) as exc:
                # The server is unreachable: the rest of this share waits for a later pass.
                error = DeliveryResult.transient(f"cannot connect: {_describe(exc)}")
                for rest in indexes[indexes.index(index) :]:
                    results[rest] = error
                return
            results[index] = await self._send_one(client, messages[index], now)

    async def _ensure_connected(self, client: aiosmtplib.SMTP, *, fresh: bool) -> None:
        if client.is_connected and fresh:
            # The server may have dropped an idle connection since the previous batch.
            try:
                await client.noop()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        if not client.is_connected:
            await client.connect()

    async def _send_one(
        self, client: aiosmtplib.SMTP, message: OutgoingMessage, now: datetime
    ) -> DeliveryResult:
        try:
            data = render(message, self.sender, now)
        except ValueError as exc:
            return DeliveryResult.permanent(f"cannot build message: {exc}")
        options = [] if message.to_address.isascii() else ["SMTPUTF8"]
        try:
            await client.sendmail(
                self.sender.address, [message.to_address], data, mail_options=options
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = exc.recipients[0]
            return _by_code(refusal.code, f"{refusal.code} {refusal.message}")
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing this connection
                client.close()
            return _by_code(exc.code, f"{exc.code} {exc.message}")
        except aiosmtplib.SMTPNotSupported as exc:
            return DeliveryResult.permanent(str(exc))
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Disconnected or timed out mid-message: reconnect for the next one.
            client.close()
            return DeliveryResult.transient(_describe(exc))
        except ValueError as exc:  # an address aiosmtplib refuses to put on the wire
            return DeliveryResult.permanent(str(exc))
        return _SENT


def _by_code(code: int, error: str) -> DeliveryResult:
    if 500 <= code < 600:
        return DeliveryResult.permanent(error)
    return DeliveryResult.transient(error)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def backend_for(settings: MailSettings) -> MailBackend:
    if settings.backend == "smtp":
        return SmtpBackend(settings)
    return FileBackend(settings.directory, settings.sender)
