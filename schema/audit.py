"""The AuditEvent type: one line of the append-only audit log."""

from __future__ import annotations

import datetime as dt

import strawberry

import models
from schema.enums import AuditOutcome
from schema.healthspaces import Healthspace
from schema.members import Member, visible_member
from schema.types import Info


@strawberry.type
class AuditEvent:
    id: strawberry.ID
    occurred_at: dt.datetime
    action: str
    section: str | None
    outcome: AuditOutcome
    row: strawberry.Private[models.AuditEvent]

    @classmethod
    def from_row(cls, row: models.AuditEvent) -> AuditEvent:
        return cls(
            id=strawberry.ID(str(row.id)),
            occurred_at=row.occurred_at,
            action=row.action,
            section=row.section,
            outcome=row.outcome,
            row=row,
        )

    @strawberry.field
    async def actor(self, info: Info) -> Member | None:
        return await visible_member(info, self.row.actor_member_id)

    @strawberry.field
    async def healthspace(self, info: Info) -> Healthspace | None:
        if self.row.healthspace_id is None:
            return None
        row = await info.context.loaders.healthspace.load(self.row.healthspace_id)
        return Healthspace.from_row(row) if row else None
