"""An invitation's status: what it effectively is now, and the one way it leaves PENDING.

Every site that ends a pending invitation (acceptance, withdrawal, expiry by the sweep or on the
way to a new invitation, and membership gained by any other path) calls `leave_pending` or
`leave_pending_many`, so the status, the decision time, the unique pending key and the reminder
schedule always change together.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

import models
from models.columns import column_values
from permissions.audit import audit_event, record_events
from permissions.viewer import Viewer


def pending_key(healthspace_id: uuid.UUID | str, email: str) -> str:
    """The value that makes one pending invitation per email and Healthspace unique."""
    return f"{healthspace_id}:{email}"


def effective_status(
    row: models.Invitation, now: datetime | None = None
) -> models.InvitationStatus:
    """A pending invitation past its expiry is EXPIRED even before the sweep has marked it."""
    if row.status == models.InvitationStatus.PENDING and row.expires_at <= (
        now or datetime.now(UTC)
    ):
        return models.InvitationStatus.EXPIRED
    return models.InvitationStatus(row.status)


def status_filter(status: models.InvitationStatus, now: datetime) -> Q:
    """Rows whose effective status is `status` (see `effective_status`)."""
    if status == models.InvitationStatus.PENDING:
        return Q(status=status, expires_at__gt=now)
    if status == models.InvitationStatus.EXPIRED:
        return Q(status=status) | Q(status=models.InvitationStatus.PENDING, expires_at__lte=now)
    return Q(status=status)


def _left(status: models.InvitationStatus, now: datetime) -> dict[str, Any]:
    return {"status": status, "pending_key": None, "next_reminder_at": None, "decided_at": now}


async def leave_pending(
    invitation_id: uuid.UUID,
    status: models.InvitationStatus,
    now: datetime,
    *,
    due_by: datetime | None = None,
    unexpired_at: datetime | None = None,
    **changes: Any,
) -> bool:
    """Move one invitation from PENDING to `status` (ACCEPTED, WITHDRAWN or EXPIRED) as of `now`:
    decided_at set, pending key and reminder schedule cleared, plus `changes`. Conditional on the
    row still being pending (with `due_by`, still due for the sweep; with `unexpired_at`, not
    expired by then), so of two racing
    callers only one succeeds: returns False for the other."""
    query = models.Invitation.filter(id=invitation_id, status=models.InvitationStatus.PENDING)
    if due_by is not None:
        query = query.filter(next_reminder_at__lte=due_by)
    if unexpired_at is not None:
        query = query.filter(expires_at__gt=unexpired_at)
    return bool(await query.update(**_left(status, now), **changes))


async def leave_pending_many(
    invitation_ids: Collection[uuid.UUID], status: models.InvitationStatus, now: datetime
) -> None:
    """`leave_pending` for many invitations in one statement (those no longer pending stay)."""
    if invitation_ids:
        await models.Invitation.filter(
            id__in=list(invitation_ids), status=models.InvitationStatus.PENDING
        ).update(**_left(status, now))


async def close_for_new_member(
    viewer: Viewer | None, email: str, healthspace_id: uuid.UUID, account_id: uuid.UUID
) -> int:
    """Someone who became an active member of a Healthspace (by a join request, the command line,
    or another invitation) needs no pending invitation there any more: each one left is
    WITHDRAWN, audited as INVITATION_CLOSED, and no longer reminded. Returns how many were closed.
    Issue 7 item 6."""
    now = datetime.now(UTC)
    rows = await column_values(
        models.Invitation.filter(
            healthspace_id=healthspace_id, email=email, status=models.InvitationStatus.PENDING
        ),
        "id",
        uuid.UUID,
    )
    if not rows:
        return 0
    await leave_pending_many(rows, models.InvitationStatus.WITHDRAWN, now)
    await record_events(
        [
            audit_event(
                viewer,
                "INVITATION_CLOSED",
                healthspace_id=healthspace_id,
                subject_id=invitation_id,
                details={"email": email, "reason": "member", "account_id": str(account_id)},
            )
            for invitation_id in rows
        ]
    )
    return len(rows)
