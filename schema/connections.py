"""The Connection type: a client member linked to a staff member."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from schema.types import Info

if TYPE_CHECKING:
    from schema.healthspaces import Healthspace
    from schema.members import Member


@strawberry.type
class Connection:
    id: strawberry.ID
    created_at: dt.datetime
    ended_at: dt.datetime | None
    row: strawberry.Private[models.Connection]

    @classmethod
    def from_row(cls, row: models.Connection) -> Connection:
        return cls(
            id=strawberry.ID(str(row.id)),
            created_at=row.created_at,
            ended_at=row.ended_at,
            row=row,
        )

    async def _member(self, info: Info, member_id: object) -> Member | None:
        from schema.members import Member

        if member_id is None:
            return None
        row = await info.context.loaders.member.load(member_id)
        return Member.from_row(row) if row else None

    @strawberry.field
    async def client(self, info: Info) -> Annotated[Member, strawberry.lazy("schema.members")]:
        return await self._member(info, self.row.client_id)  # type: ignore[attr-defined,return-value]

    @strawberry.field
    async def staff(self, info: Info) -> Annotated[Member, strawberry.lazy("schema.members")]:
        return await self._member(info, self.row.staff_id)  # type: ignore[attr-defined,return-value]

    @strawberry.field
    async def created_by(
        self, info: Info
    ) -> Annotated[Member, strawberry.lazy("schema.members")] | None:
        return await self._member(info, self.row.created_by_id)  # type: ignore[attr-defined]

    @strawberry.field
    async def ended_by(
        self, info: Info
    ) -> Annotated[Member, strawberry.lazy("schema.members")] | None:
        return await self._member(info, self.row.ended_by_id)  # type: ignore[attr-defined]

    @strawberry.field
    async def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        row = await info.context.loaders.healthspace.load(self.row.healthspace_id)  # type: ignore[attr-defined]
        return Healthspace.from_row(row)
