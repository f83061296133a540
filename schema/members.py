"""The Member type: an account's membership of one Healthspace."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from models import MemberKind, MemberStatus
from permissions.guards import found
from permissions.objects import sees_member
from permissions.record_guards import OpensClientRecord, record_guard, this_member
from permissions.roles import Permission, Role
from permissions.viewer import member_permissions
from schema.errors import UserError
from schema.loaders import existing
from schema.people import PersonFields
from schema.types import Info

if TYPE_CHECKING:
    from schema.connections import Connection
    from schema.healthspaces import Healthspace
    from schema.records import Record


@strawberry.type
class Member(PersonFields):
    id: strawberry.ID
    kind: MemberKind
    status: MemberStatus
    identification_number: str | None
    created_at: dt.datetime
    row: strawberry.Private[models.Member]

    @classmethod
    def from_row(cls, row: models.Member) -> Member:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            status=row.status,
            identification_number=row.identification_number,
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    def roles(self) -> list[Role]:
        return [Role(role) for role in self.row.roles]

    @strawberry.field(description="Everything this member may do: their roles' and granted ones.")
    def permissions(self) -> list[Permission]:
        return sorted(member_permissions(self.row))

    @strawberry.field(description="Permissions granted one by one on top of the roles.")
    def granted_permissions(self) -> list[Permission]:
        return [Permission(name) for name in self.row.granted_permissions]

    @strawberry.field
    async def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        row = existing(await info.context.loaders.healthspace.load(self.row.healthspace_id))
        return Healthspace.from_row(row)

    @strawberry.field(description="This member's current connections, as client or as staff.")
    async def connections(
        self, info: Info
    ) -> list[Annotated[Connection, strawberry.lazy("schema.connections")]]:
        from schema.connections import Connection

        rows = await info.context.loaders.current_connections.load(self.row.id)
        # Only the side this member is on now: a connection left from when they were of the
        # other kind (a former clinician who came back as a client) is not theirs to show.
        own_side = "client_id" if self.row.kind == models.MemberKind.CLIENT else "staff_id"
        rows = [row for row in rows if getattr(row, own_side) == self.row.id]
        if not await self._seen_in_full(info):
            # A client looking at their clinician sees only the connection with themselves,
            # never the clinician's other clients.
            mine = await info.context.viewer.member_of(self.row.healthspace_id)
            rows = [row for row in rows if mine is not None and row.client_id == mine.id]
        return [Connection.from_row(row) for row in rows]

    @strawberry.field
    async def date_of_birth(self, info: Info) -> dt.date | None:
        """Shown to the member themselves and to staff; a client does not see a clinician's."""
        if not await self._seen_in_full(info):
            return None
        return (await self._account(info)).date_of_birth

    async def _seen_in_full(self, info: Info) -> bool:
        """Staff of this Healthspace and the member themselves see everything about a member."""
        mine = await info.context.viewer.member_of(self.row.healthspace_id)
        return mine is not None and (mine.kind == models.MemberKind.STAFF or mine.id == self.row.id)

    @strawberry.field(
        description="Whether the viewer has a current connection with this member: a staff "
        "viewer with this client, or a client viewer with this staff member."
    )
    async def connected_to_viewer(self, info: Info) -> bool:
        mine = await info.context.viewer.member_of(self.row.healthspace_id)
        if mine is None or mine.kind == self.row.kind:
            return False
        client, staff = (
            (self.row, mine) if self.row.kind == models.MemberKind.CLIENT else (mine, self.row)
        )
        return await info.context.loaders.connected_pair.load(f"{client.id}:{staff.id}")

    @strawberry.field(
        description="This client's record, when the viewer may open it (see Query.record); "
        "null otherwise.",
        extensions=[record_guard(OpensClientRecord(this_member()))],
    )
    async def record(
        self, info: Info
    ) -> Annotated[Record, strawberry.lazy("schema.records")] | None:
        from schema.records import Record

        access = found(info).target
        return Record.of(access) if access else None


async def visible_member(info: Info, member_id: uuid.UUID | None) -> Member | None:
    """The member with this id as a field nested anywhere may show it: exactly when
    `member(id:)` would (`permissions.objects.sees_member`), else None. Batched: the rows and the
    client-to-clinician connections are read through the request's loaders."""
    if member_id is None:
        return None
    row = await info.context.loaders.member.load(member_id)
    if row is None:
        return None
    mine = await info.context.viewer.member_of(row.healthspace_id)
    connected = (
        mine is not None
        and mine.kind == models.MemberKind.CLIENT
        and row.kind == models.MemberKind.STAFF
        and await info.context.loaders.connected_pair.load(f"{mine.id}:{row.id}")
    )
    return Member.from_row(row) if sees_member(mine, row, connected) else None


async def visible_members(info: Info, member_ids: Sequence[uuid.UUID]) -> list[Member]:
    """`visible_member` for each id, in order, leaving out those the viewer may not see."""
    found = [await visible_member(info, member_id) for member_id in member_ids]
    return [member for member in found if member is not None]


@strawberry.type
class MemberPayload:
    member: Member | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateMemberInput:
    member_id: strawberry.ID
    identification_number: str | None = None
