"""Writing audit events: every membership, role, sign-in, invitation and connection change, and
every call the permission layer refuses."""

from __future__ import annotations

import uuid
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
    account = viewer.account if viewer else None
    await models.AuditEvent.create(
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
