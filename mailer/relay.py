"""The relay: delivers committed outbox rows through a backend.

A pass claims due rows in batches, so that several relays (processes) on one database never
send the same row: a claim is a lease (claimed_by, claimed_until) written by one atomic UPDATE.
A relay that dies mid-batch leaves its lease to expire, after which another relay retries the
rows. Rows are marked SENT in bulk per batch; failures are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from tortoise.connection import get_connection
from tortoise.expressions import F

import models
from mailer.backends import (
    DeliveryResult,
    FileBackend,
    MailBackend,
    MailSettings,
    Outcome,
    SmtpBackend,
    backend_for,
)

__all__ = [
    "DeliveryResult",
    "FileBackend",
    "MailBackend",
    "MailSettings",
    "Relay",
    "SmtpBackend",
    "backend_for",
]

log = logging.getLogger("carespace.mail")

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=5)
STOP_GRACE = 30.0  # seconds

_COLUMNS = "id, template, to_address, subject, text_body, html_body, attempts"
_DUE = (
    "status = 'PENDING' AND next_attempt_at <= {now}"
    " AND (claimed_until IS NULL OR claimed_until <= {now})"
)
# PostgreSQL: rows another relay is claiming right now are skipped, not waited for; the
# locked re-check of the WHERE clause keeps a row that relay just claimed out of this claim.
_CLAIM_POSTGRES = (
    "UPDATE outbox_message SET claimed_by = $1, claimed_until = $2"
    " WHERE id IN (SELECT id FROM outbox_message WHERE "
    + _DUE.format(now="$3")
    + " ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)"
    f" RETURNING {_COLUMNS}"
)
# SQLite: one writer at a time, so the UPDATE with its sub-select is atomic; the claimed rows
# are then read back by this relay's id and the (unique per claim) lease end.
_CLAIM_SQLITE = (
    "UPDATE outbox_message SET claimed_by = ?, claimed_until = ?"
    " WHERE id IN (SELECT id FROM outbox_message WHERE "
    + _DUE.format(now="?")
    + " ORDER BY next_attempt_at LIMIT ?)"
)
_CLAIMED_SQLITE = (
    f"SELECT {_COLUMNS} FROM outbox_message"
    " WHERE claimed_by = ? AND claimed_until = ? AND status = 'PENDING'"
    " ORDER BY next_attempt_at"
)


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: UUID
    template: str
    to_address: str
    subject: str
    text_body: str
    html_body: str
    attempts: int  # before this one


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failed attempt: 30 s, 1 min, 2 min, ... 1 h."""
    doublings = min(max(failures - 1, 0), 16)
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Relay:
    def __init__(
        self,
        backend: MailBackend,
        *,
        batch_size: int = 200,
        clock: Callable[[], datetime] | None = None,
        relay_id: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self.clock = clock or _utc_now
        self.relay_id = relay_id or str(uuid4())
        self.lease = lease
        self._last_lease_end = datetime.min.replace(tzinfo=UTC)
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Start the next pass now instead of after the interval."""
        self._wake.set()

    async def run(self, interval: float) -> None:
        """Deliver due mail every `interval` seconds until cancelled.

        When cancelled, the batch in flight is still finished and recorded (for up to
        STOP_GRACE seconds): otherwise its rows would be sent again once their lease ran out.
        """
        self._stopping = False
        try:
            while True:
                current = asyncio.create_task(self._pass())
                try:
                    await asyncio.shield(current)
                except asyncio.CancelledError:
                    self._stopping = True
                    await asyncio.wait([current], timeout=STOP_GRACE)
                    current.cancel()
                    raise
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=interval)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            await self.backend.close()

    async def _pass(self) -> None:
        try:
            await self.deliver_due()
        except Exception:
            log.exception("Mail relay pass failed; trying again later")

    async def deliver_due(self) -> int:
        """Deliver everything that is due now; return how many messages were sent."""
        sent = 0
        while True:
            batch = await self._claim()
            if not batch:
                return sent
            results = await self.backend.send(batch)
            sent += await self._record(batch, results)
            if len(batch) < self.batch_size or self._stopping:
                # A short batch: nothing else was due when it was claimed.
                return sent

    # --- claiming --------------------------------------------------------------------------

    async def _claim(self) -> list[ClaimedMessage]:
        now = self._now()
        # Strictly increasing per relay, so a claim reads back only its own rows on SQLite.
        lease_end = max(now + self.lease, self._last_lease_end + timedelta(microseconds=1))
        self._last_lease_end = lease_end
        connection = get_connection("default")
        if connection.capabilities.dialect == "postgres":
            rows = await connection.execute_query_dict(
                _CLAIM_POSTGRES, [self.relay_id, lease_end, now, self.batch_size]
            )
        else:
            await connection.execute_query(
                _CLAIM_SQLITE, [self.relay_id, lease_end, now, now, self.batch_size]
            )
            rows = await connection.execute_query_dict(_CLAIMED_SQLITE, [self.relay_id, lease_end])
        return [_claimed(row) for row in rows]

    # --- recording outcomes ----------------------------------------------------------------

    async def _record(
        self, batch: Sequence[ClaimedMessage], results: Sequence[DeliveryResult]
    ) -> int:
        if len(results) != len(batch):
            raise RuntimeError(f"backend returned {len(results)} results for {len(batch)}")
        now = self._now()
        sent = [message.id for message, result in zip(batch, results, strict=True) if result.ok]
        if sent:
            await models.OutboxMessage.filter(id__in=sent).update(
                status=models.OutboxStatus.SENT,
                sent_at=now,
                attempts=F("attempts") + 1,
                claimed_until=None,
                last_error="",
                # Bodies carry one-time links and personal notes: keep them no longer than needed.
                text_body="",
                html_body="",
            )
        for message, result in zip(batch, results, strict=True):
            if not result.ok:
                await self._record_failure(message, result, now)
        failed = len(batch) - len(sent)
        if failed:
            log.warning("Mail relay: %d of %d messages not delivered", failed, len(batch))
        return len(sent)

    async def _record_failure(
        self, message: ClaimedMessage, result: DeliveryResult, now: datetime
    ) -> None:
        attempts = message.attempts + 1
        changes: dict[str, Any] = {
            "attempts": attempts,
            "last_error": result.error[:2000],
            "claimed_by": None,
            "claimed_until": None,
        }
        if result.outcome is Outcome.TRANSIENT and attempts < MAX_ATTEMPTS:
            changes["next_attempt_at"] = now + retry_delay(attempts)
            log.info(
                "Mail %s to %s deferred (attempt %d): %s",
                message.id,
                message.to_address,
                attempts,
                result.error,
            )
        else:
            changes["status"] = models.OutboxStatus.FAILED
            log.error(
                "Mail %s to %s failed (attempt %d): %s",
                message.id,
                message.to_address,
                attempts,
                result.error,
            )
        await models.OutboxMessage.filter(id=message.id).update(**changes)

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the relay clock must return an aware datetime")
        # SQLite compares timestamps as text, so every value must be in the same zone.
        return now.astimezone(UTC)


def _claimed(row: dict[str, Any]) -> ClaimedMessage:
    raw_id = row["id"]
    return ClaimedMessage(
        id=raw_id if isinstance(raw_id, UUID) else UUID(str(raw_id)),
        template=row["template"],
        to_address=row["to_address"],
        subject=row["subject"],
        text_body=row["text_body"],
        html_body=row["html_body"],
        attempts=row["attempts"],
    )
