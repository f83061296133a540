"""The staff task lists' reads that are not member lists: open and expiring invitations, and
the counts of the tasks screen in as few statements as the tables allow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

import models
from domain.invitation_status import status_filter
from permissions.roles import Permission, invitation_kinds

# "Invitations expiring soon" on the tasks screen.
EXPIRING_WITHIN = timedelta(days=3)


def _open(
    healthspace_id: uuid.UUID, allowed: frozenset[Permission], now: datetime
) -> QuerySet[models.Invitation]:
    return models.Invitation.filter(
        status_filter(models.InvitationStatus.PENDING, now),
        healthspace_id=healthspace_id,
        kind__in=invitation_kinds(allowed),
    )


def open_invitations(
    healthspace_id: uuid.UUID, allowed: frozenset[Permission], *, expiring: bool = False
) -> QuerySet[models.Invitation]:
    """Pending, unexpired invitations of the kinds `allowed` (the viewer's permissions) may
    handle, soonest expiry first; `expiring`: only those expiring within EXPIRING_WITHIN."""
    now = datetime.now(UTC)
    query = _open(healthspace_id, allowed, now)
    if expiring:
        query = query.filter(expires_at__lte=now + EXPIRING_WITHIN)
    return query.order_by("expires_at", "id")


async def count_open_invitations(
    healthspace_id: uuid.UUID, allowed: frozenset[Permission]
) -> tuple[int, int]:
    """(open, expiring): how many invitations `open_invitations` lists without and with
    `expiring`, counted in one statement (a filtered COUNT for the expiring ones)."""
    now = datetime.now(UTC)
    rows = (
        await _open(healthspace_id, allowed, now)
        .annotate(
            open=Count("id"),
            expiring=Count("id", _filter=Q(expires_at__lte=now + EXPIRING_WITHIN)),
        )
        .values("open", "expiring")
    )
    row = rows[0] if rows else {}
    return int(row.get("open") or 0), int(row.get("expiring") or 0)
