"""Writing audit events: every membership, role, sign-in, invitation and connection change, and
every call the permission layer refuses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import models
from permissions.viewer import Viewer


async def record_event(
    viewer: Viewer | None,
    action: str,
    *,
    healthspace_id: uuid.UUID | None = None,
    actor: models.Member | None = None,
    client_member_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    on_behalf_of_account_id: uuid.UUID | None = None,
    section: str | None = None,
    outcome: models.AuditOutcome = models.AuditOutcome.SUCCESS,
    details: dict[str, Any] | None = None,
    actor_account_id: uuid.UUID | None = None,
) -> None:
    """Append one audit line. `viewer` None means the system (a schedule, the command line)."""
    await audit_line(
        viewer,
        action,
        healthspace_id=healthspace_id,
        actor=actor,
        client_member_id=client_member_id,
        subject_id=subject_id,
        on_behalf_of_account_id=on_behalf_of_account_id,
        section=section,
        outcome=outcome,
        details=details,
        actor_account_id=actor_account_id,
    ).save()


async def record_events(lines: list[models.AuditEvent]) -> None:
    """Append several lines made by `audit_line` in one statement (the sections of one record
    page). Raises when the database refuses: the caller's request fails."""
    if lines:
        await models.AuditEvent.bulk_create(lines)


def audit_line(
    viewer: Viewer | None,
    action: str,
    *,
    healthspace_id: uuid.UUID | None = None,
    actor: models.Member | None = None,
    client_member_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    on_behalf_of_account_id: uuid.UUID | None = None,
    section: str | None = None,
    outcome: models.AuditOutcome = models.AuditOutcome.SUCCESS,
    details: dict[str, Any] | None = None,
    actor_account_id: uuid.UUID | None = None,
) -> models.AuditEvent:
    """One audit line, not yet written (see `record_event` for the arguments)."""
    account = viewer.account if viewer else None
    return models.AuditEvent(
        action=action,
        outcome=outcome,
        healthspace_id=healthspace_id,
        actor_account_id=actor_account_id or (account.id if account else None),
        actor_member_id=actor.id if actor else None,
        on_behalf_of_account_id=on_behalf_of_account_id,
        client_member_id=client_member_id,
        subject_id=subject_id,
        section=section,
        ip_address=viewer.ip_address if viewer else None,
        details=details or {},
        occurred_at=datetime.now(UTC),
    )
