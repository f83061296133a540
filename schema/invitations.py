"""The Invitation type, the public preview for the accept page, and the inputs and payloads of
the invitation mutations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from domain.invitation_status import effective_status, status_filter
from domain.invitations import invitations_query
from models import InvitationStatus, MemberKind
from permissions.roles import Permission, Role
from schema.errors import UserError
from schema.loaders import existing
from schema.members import Member, visible_member, visible_members
from schema.pagination import Page, paginate
from schema.types import Info

__all__ = ["effective_status", "status_filter"]  # read here by other schema modules

if TYPE_CHECKING:
    from schema.accounts import Account
    from schema.healthspaces import Healthspace


async def invitations_page(
    info: Info,
    healthspace_id: uuid.UUID,
    status: models.InvitationStatus | None,
    kind: models.MemberKind | None,
    first: int | None,
    after: str | None,
) -> Page[Invitation]:
    """A Healthspace's invitations the viewer may see, newest first (domain.invitations)."""
    allowed = await info.context.viewer.permissions_in(healthspace_id)
    query = invitations_query(healthspace_id, allowed, status, kind)
    return await paginate(query, first, after, Invitation.from_row)


@strawberry.type
class Invitation:
    id: strawberry.ID
    kind: MemberKind
    email: str
    first_name: str
    last_name: str
    note: str
    identification_number: str | None
    date_of_birth: dt.date | None
    created_at: dt.datetime
    last_sent_at: dt.datetime
    reminders_sent: int
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    row: strawberry.Private[models.Invitation]

    @classmethod
    def from_row(cls, row: models.Invitation) -> Invitation:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=models.MemberKind(row.kind),
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            note=row.note,
            identification_number=row.identification_number,
            date_of_birth=row.date_of_birth,
            created_at=row.created_at,
            last_sent_at=row.last_sent_at,
            reminders_sent=row.reminders_sent,
            expires_at=row.expires_at,
            decided_at=row.decided_at,
            row=row,
        )

    @strawberry.field(description="EXPIRED as soon as the expiry has passed.")
    def status(self) -> InvitationStatus:
        return effective_status(self.row)

    @strawberry.field(description="When the next automatic reminder goes out; null when none will.")
    def next_reminder_at(self) -> dt.datetime | None:
        due = self.row.next_reminder_at
        # The sweep's due time doubles as the expiry check once no reminder is left.
        if due is None or due >= self.row.expires_at or effective_status(self.row) != "PENDING":
            return None
        return due

    @strawberry.field(description="Roles a staff member gets on acceptance.")
    def roles(self) -> list[Role]:
        return [Role(role) for role in self.row.roles]

    @strawberry.field(description="Permissions a staff member is granted on acceptance.")
    def granted_permissions(self) -> list[Permission]:
        return [Permission(name) for name in self.row.granted_permissions]

    @strawberry.field
    async def invited_by(self, info: Info) -> Member | None:
        return await visible_member(info, self.row.invited_by_id)

    @strawberry.field(description="The clinicians the client is connected to on acceptance.")
    async def connect_to(self, info: Info) -> list[Member]:
        from permissions.scopes import parse_id

        ids = [member_id for member_id in map(parse_id, self.row.connect_to) if member_id]
        return await visible_members(info, ids)

    @strawberry.field(description="The member the invitation became, once accepted.")
    async def accepted_member(self, info: Info) -> Member | None:
        return await visible_member(info, self.row.accepted_member_id)

    @strawberry.field
    async def healthspace(
        self, info: Info
    ) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        row = existing(await info.context.loaders.healthspace.load(self.row.healthspace_id))
        return Healthspace.from_row(row)


@strawberry.type(description="What the accept page shows to whoever holds the invitation link.")
class InvitationPreview:
    kind: MemberKind
    status: InvitationStatus
    first_name: str
    last_name: str
    masked_email: str
    note: str
    inviter_name: str
    expires_at: dt.datetime
    account_exists: bool = strawberry.field(
        description="Whether the invited address has a Carespace account: sign in (or give its "
        "password) instead of choosing a new one."
    )
    viewer_is_invitee: bool = strawberry.field(
        description="Whether the signed-in account (if any) is the invited address: accepting "
        "needs no password then."
    )
    healthspace_row: strawberry.Private[models.Healthspace]

    @strawberry.field
    def healthspace(self) -> Annotated[Healthspace, strawberry.lazy("schema.healthspaces")]:
        from schema.healthspaces import Healthspace

        return Healthspace.from_row(self.healthspace_row)


@strawberry.input
class InviteClientInput:
    healthspace_id: strawberry.ID
    email: str
    first_name: str
    last_name: str
    note: str | None = None
    connect_to: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Clinicians (staff member ids) to connect on acceptance. Leave it out to "
        "connect the inviting clinician (the ticked box); pass [] to connect nobody.",
    )
    identification_number: str | None = None
    date_of_birth: dt.date | None = None


@strawberry.input
class InviteStaffInput:
    healthspace_id: strawberry.ID
    email: str
    first_name: str
    last_name: str
    roles: list[Role]
    permissions: list[Permission] = strawberry.field(
        default_factory=list, description="Permissions granted on top of the roles."
    )
    note: str | None = None


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str | None = strawberry.field(
        default=None,
        description="A new password when the address has no account yet; the account's password "
        "when it has one and nobody is signed in; not needed when signed in as the invitee.",
    )
    first_name: str | None = strawberry.field(
        default=None, description="For a new account; defaults to the name on the invitation."
    )
    last_name: str | None = None
    date_of_birth: dt.date | None = None


@strawberry.type
class InviteClientPayload:
    invitation: Invitation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InviteStaffPayload:
    invitation: Invitation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AcceptInvitationPayload:
    member: Member | None = None
    token: str | None = strawberry.field(
        default=None, description="A session token (also set as the session cookie)."
    )
    account: Annotated[Account, strawberry.lazy("schema.accounts")] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
