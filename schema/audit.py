"""The AuditEvent type: one line of the append-only audit log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from domain.access_log import healthspace_audit_log, names_actor
from domain.errors import DomainError
from domain.people import display_name
from domain.records import as_utc
from models import AuditOutcome
from permissions.errors import BadUserInput
from permissions.guards import acting_member
from permissions.roles import Permission, Role
from permissions.scopes import parse_id
from schema.members import Member, visible_member
from schema.pagination import Page, paginate
from schema.types import Info

if TYPE_CHECKING:
    from schema.healthspaces import Healthspace


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

    @strawberry.field(
        description="Who acted, by name: for the client whose record this line is about (their "
        "access log) and for VIEW_AUDIT_LOG, also when `actor` can no longer be shown (the "
        "connection ended, the staff member left); null for an integration or anyone else."
    )
    async def actor_name(self, info: Info) -> str | None:
        actor = await self._named_actor(info)
        return display_name(actor.account) if actor else None

    @strawberry.field(description="The acting member's roles, shown with `actorName`.")
    async def actor_roles(self, info: Info) -> list[Role] | None:
        actor = await self._named_actor(info)
        return [Role(role) for role in actor.roles] if actor else None

    async def _named_actor(self, info: Info) -> models.Member | None:
        if self.row.actor_member_id is None:
            return None
        loaders = info.context.loaders
        client = (
            await loaders.member.load(self.row.client_member_id)
            if self.row.client_member_id
            else None
        )
        if not await names_actor(info.context.viewer, self.row, client):
            return None
        return await loaders.member.load(self.row.actor_member_id)

    @strawberry.field(description="The client whose record this line is about.")
    async def client(self, info: Info) -> Member | None:
        return await visible_member(info, self.row.client_member_id)

    @strawberry.field(description="Where the request came from; for VIEW_AUDIT_LOG only.")
    async def ip_address(self, info: Info) -> str | None:
        if self.row.healthspace_id is None:
            return None
        allowed = await info.context.viewer.permissions_in(self.row.healthspace_id)
        return self.row.ip_address if Permission.VIEW_AUDIT_LOG in allowed else None

    @strawberry.field
    async def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")] | None:
        from schema.healthspaces import Healthspace

        if self.row.healthspace_id is None:
            return None
        row = await info.context.loaders.healthspace.load(self.row.healthspace_id)
        return Healthspace.from_row(row) if row else None


def _optional_id(value: strawberry.ID | None, name: str) -> uuid.UUID | None:
    if value is None:
        return None
    parsed = parse_id(value)
    if parsed is None:
        raise BadUserInput(f"`{name}` is not an id.")
    return parsed


def _utc(value: dt.datetime | None, name: str) -> dt.datetime | None:
    """`value` in UTC (a time without a zone is UTC), so that `from` and `to` compare and
    filter alike; BAD_USER_INPUT for a time with no UTC form."""
    try:
        return as_utc(value, [name])
    except DomainError:
        raise BadUserInput(f"`{name}` is not a possible time.") from None


async def audit_log_page(
    info: Info,
    client_id: strawberry.ID | None,
    member_id: strawberry.ID | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    first: int | None,
    after: str | None,
) -> Page[AuditEvent]:
    """Healthspace.auditLog: one page of the audit log (the guard checked VIEW_AUDIT_LOG and
    handed over the member). A malformed id or a period ending before it starts is
    BAD_USER_INPUT."""
    since, until = _utc(since, "from"), _utc(until, "to")
    if since is not None and until is not None and until < since:
        raise BadUserInput("`to` lies before `from`.")
    actor = acting_member(info)
    query = await healthspace_audit_log(
        info.context.viewer,
        actor,
        client_id=_optional_id(client_id, "clientId"),
        member_id=_optional_id(member_id, "memberId"),
        since=since,
        until=until,
    )
    return await paginate(query, first, after, AuditEvent.from_row)
