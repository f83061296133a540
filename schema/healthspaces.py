"""The Healthspace type, its settings and its member lists."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from domain import join_requests, member_lists
from domain.member_lists import MemberFilter
from models import InvitationStatus, JoinRequestStatus, MemberKind, MemberStatus
from permissions.guards import HasPermission, IsStaff, found, guard
from permissions.roles import Permission
from permissions.scopes import parent_healthspace
from schema.audit import AuditEvent, audit_log_page
from schema.connections import my_clients_page
from schema.deferred_pages import deferred_page
from schema.errors import UserError
from schema.invitations import Invitation, invitations_page
from schema.join_requests import JoinRequest
from schema.members import Member, prepare_member_nodes
from schema.pagination import Page, paginate
from schema.tasks import HealthspaceTasks
from schema.types import Info


@strawberry.type
class HealthspaceSettings:
    reminder_days: list[int]
    invitation_lifetime_days: int
    findable: bool


@strawberry.type
class Healthspace:
    id: strawberry.ID
    name: str
    description: str
    welcome_text: str
    address: str
    opening_hours: str
    logo_url: str | None
    background_url: str | None
    created_at: dt.datetime
    row: strawberry.Private[models.Healthspace]

    @classmethod
    def from_row(cls, row: models.Healthspace) -> Healthspace:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            welcome_text=row.welcome_text,
            address=row.address,
            opening_hours=row.opening_hours,
            logo_url=row.logo_url,
            background_url=row.background_url,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    def settings(self) -> HealthspaceSettings:
        return HealthspaceSettings(
            reminder_days=list(self.row.reminder_days),
            invitation_lifetime_days=self.row.invitation_lifetime_days,
            findable=self.row.findable,
        )

    @strawberry.field(description="The viewer's own membership here; null for non-members.")
    async def viewer_member(self, info: Info) -> Member | None:
        member = await info.context.viewer.member_of(self.row.id)
        return Member.from_row(member) if member else None

    @strawberry.field(
        description="Members, ordered by surname; search matches name, email or "
        "identification number; `status` keeps only ACTIVE or DEACTIVATED ones. Staff only.",
        extensions=[guard(IsStaff(parent_healthspace()))],
    )
    async def members(
        self,
        info: Info,
        kind: MemberKind | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        status: MemberStatus | None = None,
    ) -> Page[Member]:
        wanted = MemberFilter(kind=kind, status=status, search=search)
        return deferred_page(
            member_lists.members(self.row.id, wanted).rows,
            first,
            after,
            Member.from_row,
            lambda: info.context.loaders.member_count.load((self.row.id, wanted)),
            lambda rows: prepare_member_nodes(info, rows),
        )

    @strawberry.field(
        description="Invitations, newest first; filter by status (a pending one past its expiry "
        "counts as EXPIRED). Client invitations need INVITE_CLIENTS, staff ones INVITE_STAFF.",
        extensions=[
            guard(
                HasPermission(
                    Permission.INVITE_CLIENTS, Permission.INVITE_STAFF, scope=parent_healthspace()
                )
            )
        ],
    )
    async def invitations(
        self,
        info: Info,
        status: InvitationStatus | None = None,
        kind: MemberKind | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Invitation]:
        return await invitations_page(info, self.row.id, status, kind, first, after)

    @strawberry.field(
        description="My clients: the active clients the viewer is connected to, by surname. "
        "Search by surname, first name, identification number or date of birth (every word "
        "must match); withTasks keeps only clients who need something from the viewer. Staff "
        "only.",
        extensions=[guard(IsStaff(parent_healthspace()))],
    )
    async def my_clients(
        self,
        info: Info,
        search: str | None = None,
        with_tasks: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Member]:
        return await my_clients_page(
            info, self.row.id, found(info).member, search, bool(with_tasks), first, after
        )

    @strawberry.field(
        description="Requests to join as a client: pending ones oldest first, otherwise newest "
        "first. Needs REVIEW_JOIN_REQUESTS.",
        extensions=[
            guard(HasPermission(Permission.REVIEW_JOIN_REQUESTS, scope=parent_healthspace()))
        ],
    )
    async def join_requests(
        self,
        info: Info,
        status: JoinRequestStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[JoinRequest]:
        query = join_requests.of_healthspace(self.row.id, status)
        return await paginate(query, first, after, JoinRequest.from_row)

    @strawberry.field(
        description="The staff task lists (Admin → Tasks). Staff only.",
        extensions=[guard(IsStaff(parent_healthspace()))],
    )
    def tasks(self) -> HealthspaceTasks:
        return HealthspaceTasks(healthspace_id=self.row.id)

    @strawberry.field(
        description="The Healthspace's audit log, newest first, by client (whose record), by "
        "member (who acted) and by period. Needs VIEW_AUDIT_LOG; reading it is itself audited.",
        extensions=[guard(HasPermission(Permission.VIEW_AUDIT_LOG, scope=parent_healthspace()))],
    )
    async def audit_log(
        self,
        info: Info,
        client_id: strawberry.ID | None = None,
        member_id: strawberry.ID | None = None,
        from_: Annotated[dt.datetime | None, strawberry.argument(name="from")] = None,
        to: dt.datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[AuditEvent]:
        return await audit_log_page(info, client_id, member_id, from_, to, first, after)


@strawberry.input
class UpdateHealthspaceInput:
    healthspace_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    welcome_text: str | None = None
    address: str | None = None
    opening_hours: str | None = None
    logo_url: str | None = None
    background_url: str | None = None
    reminder_days: list[int] | None = None
    invitation_lifetime_days: int | None = None
    findable: bool | None = None


@strawberry.type
class HealthspacePayload:
    healthspace: Healthspace | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
