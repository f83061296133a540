"""The invitation sweep: automatic reminders and expiry of pending invitations.

Each pending invitation carries its next due time (`next_reminder_at`, indexed): the next
reminder, or its expiry once no reminder is left. A sweep reads only rows due by that column, so
its cost follows the number due, not the number pending. Rows are claimed in batches: on
PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED` inside the batch's transaction, so several
schedulers on one database never take the same row; every row is then moved on by an UPDATE that
is conditional on the row still being due, which alone keeps SQLite (one writer at a time) safe.
Nobody who is already an active member of the Healthspace is reminded: such an invitation is
closed instead (issue 7 item 6).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from domain import rate_limits
from domain.invitation_status import leave_pending
from domain.invitations import (
    Links,
    accept_link,
    inviter_names,
    mail_languages,
    next_due_at,
    reminder_days,
)
from domain.metrics import REMINDER_SWEEPS
from mailer import messages, outbox
from mailer.messages import Message
from permissions.audit import audit_event, record_events
from permissions.tokens import hash_token, new_token

log = logging.getLogger("carespace.reminders")

Clock = Callable[[], datetime]
BATCH_SIZE = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SweepResult:
    reminded: int = 0
    expired: int = 0
    closed: int = 0  # pending invitations of people who are members already

    def add(self, other: SweepResult) -> None:
        self.reminded += other.reminded
        self.expired += other.expired
        self.closed += other.closed


async def sweep(
    links: Links, *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> SweepResult:
    """Send every due reminder and expire every overdue invitation, as of `now`."""
    moment = (now or utc_now()).astimezone(UTC)  # SQLite compares timestamps as text
    total = SweepResult()
    while True:
        claimed, result = await _sweep_batch(links, moment, batch_size)
        total.add(result)
        if claimed < batch_size:
            return total


async def _sweep_batch(links: Links, now: datetime, batch_size: int) -> tuple[int, SweepResult]:
    result = SweepResult()
    async with in_transaction():
        due = (
            await models.Invitation.filter(
                status=models.InvitationStatus.PENDING, next_reminder_at__lte=now
            )
            .order_by("next_reminder_at")
            .limit(batch_size)
            .select_for_update(skip_locked=True, no_key=True)
        )
        if not due:
            return 0, result
        events: list[models.AuditEvent] = []
        mails: list[Message] = []
        reminding: list[models.Invitation] = []
        members = await _members_among(due)
        for row in due:
            if row.expires_at <= now:
                if await leave_pending(row.id, models.InvitationStatus.EXPIRED, now, due_by=now):
                    events.append(_event("INVITATION_EXPIRED", row))
                    result.expired += 1
            elif (str(row.healthspace_id), row.email) in members:
                if await leave_pending(row.id, models.InvitationStatus.WITHDRAWN, now, due_by=now):
                    events.append(_event("INVITATION_CLOSED", row, reason="member"))
                    result.closed += 1
            else:
                reminding.append(row)
        if reminding:
            healthspaces = {
                space.id: space
                for space in await models.Healthspace.filter(
                    id__in={row.healthspace_id for row in reminding}
                )
            }
            names = await inviter_names(row.invited_by_id for row in reminding)
            languages = await mail_languages(reminding)
            for row in reminding:
                healthspace = healthspaces[row.healthspace_id]
                token = await _remind(row, healthspace, now)
                if token is None:
                    continue
                mails.append(
                    messages.invitation_reminder(
                        to=row.email,
                        language=languages[row.id],
                        first_name=row.first_name,
                        healthspace=healthspace.name,
                        inviter=names.get(row.invited_by_id, healthspace.name),
                        link=accept_link(links, token),
                        expires_on=row.expires_at.date().isoformat(),
                    )
                )
                events.append(
                    _event("INVITATION_REMINDER_SENT", row, reminder=row.reminders_sent + 1)
                )
                result.reminded += 1
        await outbox.enqueue_many(mails)
        await record_events(events)
    return len(due), result


def _still_due(row: models.Invitation, now: datetime) -> QuerySet[models.Invitation]:
    return models.Invitation.filter(
        id=row.id, status=models.InvitationStatus.PENDING, next_reminder_at__lte=now
    )


async def _members_among(rows: list[models.Invitation]) -> set[tuple[str, str]]:
    """(Healthspace id, email) of the invitees in `rows` who are active members there already."""
    found = await models.Member.filter(
        healthspace_id__in={row.healthspace_id for row in rows},
        account__email__in={row.email for row in rows},
        status=models.MemberStatus.ACTIVE,
    ).values_list("healthspace_id", "account__email")
    return {(str(healthspace_id), str(email)) for healthspace_id, email in found}


async def _remind(
    row: models.Invitation, healthspace: models.Healthspace, now: datetime
) -> str | None:
    """Move the invitation on to its next due time and return the new link's token; None when
    no reminder is left to send (the Healthspace's reminder days changed) or it is no longer due.

    The token rotates because only its hash is stored: the reminder's link replaces the last one.
    """
    if row.reminders_sent >= len(reminder_days(healthspace)):
        await _still_due(row, now).update(next_reminder_at=row.expires_at)
        return None
    token = new_token()
    updated = await _still_due(row, now).update(
        token_hash=hash_token(token),
        reminders_sent=row.reminders_sent + 1,
        last_sent_at=now,
        next_reminder_at=next_due_at(healthspace, now, row.reminders_sent + 1, row.expires_at),
    )
    return token if updated else None


def _event(action: str, row: models.Invitation, **details: object) -> models.AuditEvent:
    """An audit line written by the system (no actor), in bulk with the batch."""
    return audit_event(
        None,
        action,
        healthspace_id=row.healthspace_id,
        subject_id=row.id,
        details={"email": row.email, **details},
    )


async def run_reminder_schedule(links: Links, interval: float, *, clock: Clock = utc_now) -> None:
    """Sweep now and then every `interval` seconds until cancelled (the server's lifespan)."""
    while True:
        try:
            result = await sweep(links, now=clock())
            REMINDER_SWEEPS.labels("ok").inc()
            await rate_limits.sweep()  # forget attempts older than the longest window
            if result.reminded or result.expired:
                log.info(
                    "Invitations: %d reminders sent, %d expired", result.reminded, result.expired
                )
        except Exception:
            REMINDER_SWEEPS.labels("failed").inc()
            log.exception("Invitation sweep failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
