"""Writing audit events: every membership, role, sign-in, invitation and connection change, and
every call the permission layer refuses. One line with `record_event`; many in one statement
with `record_events` (the roster, the reminder sweep)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connection

import models
from models.bulk import insert_rows
from permissions.viewer import Viewer


def audit_event(
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
    """One unsaved audit line. `viewer` None means the system (a schedule, the command line)."""
    account = viewer.account if viewer else None
    return models.AuditEvent(
        id=uuid.uuid4(),
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
    )


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
    """Append one audit line (see `audit_event`)."""
    event = audit_event(
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
    )
    await event.save(force_create=True)


async def record_events(
    events: Sequence[models.AuditEvent],
    *,
    connection: BaseDBAsyncClient | None = None,
    varying: Sequence[str] | None = None,
) -> None:
    """Append many audit lines (from `audit_event`, or copies of one) in one statement, on
    `connection` (the current transaction's by default). `varying` names the columns in which
    the lines differ, when the caller knows (see models.bulk.insert_rows)."""
    await insert_rows(connection or get_connection("default"), events, varying)
