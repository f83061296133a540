"""The JoinRequest type: a person asking to become a client of a Healthspace."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from models import JoinRequestStatus
from schema.errors import UserError
from schema.loaders import existing
from schema.people import AccountOf, PersonFields, account_field
from schema.types import Info

if TYPE_CHECKING:
    from schema.healthspaces import Healthspace
    from schema.members import Member


@strawberry.type
class JoinRequest(PersonFields):
    id: strawberry.ID
    status: JoinRequestStatus
    message: str
    reason: str = strawberry.field(description="Why it was rejected (empty when none was given).")
    created_at: dt.datetime
    decided_at: dt.datetime | None
    date_of_birth: dt.date | None = account_field("date_of_birth")
    row: strawberry.Private[models.JoinRequest]

    @classmethod
    def from_row(cls, row: models.JoinRequest) -> JoinRequest:
        return cls(
            id=strawberry.ID(str(row.id)),
            status=row.status,
            message=row.message,
            reason=row.reason,
            created_at=row.created_at,
            decided_at=row.decided_at,
            row=row,
            account=AccountOf(row),
        )

    @strawberry.field
    async def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        row = existing(await info.context.loaders.healthspace.load(self.row.healthspace_id))
        return Healthspace.from_row(row)

    @strawberry.field(
        description="The staff member who decided; shown to that Healthspace's staff."
    )
    async def decided_by(
        self, info: Info
    ) -> Annotated[Member, strawberry.lazy("schema.members")] | None:
        from schema.members import visible_member

        return await visible_member(info, self.row.decided_by_id)


@strawberry.type
class JoinRequestPayload:
    join_request: JoinRequest | None = None
    member: Annotated[Member, strawberry.lazy("schema.members")] | None = strawberry.field(
        default=None, description="The new client membership (approveJoinRequest)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)
