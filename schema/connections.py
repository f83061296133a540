"""The Connection type (a client member linked to a staff member), its payloads, and the
"My clients" list of a staff member."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

import models
from domain import member_lists
from schema.errors import UserError
from schema.loaders import existing
from schema.pagination import Page, empty_page, page_window
from schema.plain_fields import row_field
from schema.types import Info

if TYPE_CHECKING:
    from schema.healthspaces import Healthspace
    from schema.members import Member


@strawberry.type
class Connection:
    row: strawberry.Private[models.Connection]
    id: strawberry.ID = row_field("id", convert=str)
    created_at: dt.datetime = row_field("created_at")
    ended_at: dt.datetime | None = row_field("ended_at")

    @classmethod
    def from_row(cls, row: models.Connection) -> Connection:
        return cls(row=row)

    def _member(self, info: Info, member_id: uuid.UUID | None) -> Member:
        """The member, or an awaitable of it that strawberry awaits
        (`schema.members.visible_member_now`); typed as the member the field declares."""
        from schema.members import visible_member_now

        return cast("Member", visible_member_now(info, member_id))

    @strawberry.field
    def client(self, info: Info) -> Annotated[Member, strawberry.lazy("schema.members")]:
        return self._member(info, self.row.client_id)

    @strawberry.field
    def staff(self, info: Info) -> Annotated[Member, strawberry.lazy("schema.members")]:
        return self._member(info, self.row.staff_id)

    @strawberry.field
    def created_by(self, info: Info) -> Annotated[Member, strawberry.lazy("schema.members")] | None:
        return self._member(info, self.row.created_by_id)

    @strawberry.field
    def ended_by(self, info: Info) -> Annotated[Member, strawberry.lazy("schema.members")] | None:
        return self._member(info, self.row.ended_by_id)

    @strawberry.field
    async def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        row = existing(await info.context.loaders.healthspace.load(self.row.healthspace_id))
        return Healthspace.from_row(row)


@strawberry.type
class ConnectionPayload:
    connection: Connection | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetConnectionsPayload:
    member: Annotated[Member, strawberry.lazy("schema.members")] | None = None
    connections: list[Connection] | None = strawberry.field(
        default=None, description="The member's current connections after the change."
    )
    added: list[Connection] | None = None
    ended: list[Connection] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def my_clients_page(
    info: Info,
    healthspace_id: uuid.UUID,
    staff: models.Member | None,
    search: str | None,
    with_tasks: bool,
    first: int | None,
    after: str | None,
) -> Page[Member]:
    """A page of `domain.member_lists.my_clients` for the staff member the guard found;
    `info` is the list field's."""
    from schema.members import member_page

    page_window(first, after)  # refuse a bad page request even when the answer is empty
    assert staff is not None  # the field's guard found the viewer's staff membership
    clients = await member_lists.my_clients(
        healthspace_id, staff, search=search, with_tasks=with_tasks
    )
    if clients is None:
        return empty_page()
    return await member_page(info, clients, first, after)
