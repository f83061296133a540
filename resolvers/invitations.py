"""The invitation mutations: inviting clients and staff one at a time, resending, withdrawing.
Each is guard -> one domain call (domain/inviting.py) -> payload."""

from __future__ import annotations

import strawberry

from domain import inviting
from permissions.guards import HasPermission, MayHandleInvitation, acting_member, found, guard
from permissions.roles import Permission
from permissions.scopes import healthspace_argument
from resolvers.mutations import returns_errors
from schema.invitations import (
    Invitation,
    InvitationPayload,
    InviteClientInput,
    InviteClientPayload,
    InviteStaffInput,
    InviteStaffPayload,
)
from schema.types import Info


def _invitee(input: InviteClientInput | InviteStaffInput) -> inviting.Invitee:
    return inviting.Invitee(input.email, input.first_name, input.last_name, input.note)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.INVITE_CLIENTS, scope=healthspace_argument()))],
        description="Invite a client by email. A clinician who invites is connected on "
        "acceptance unless `connectTo` says otherwise; naming other clinicians needs "
        "MANAGE_CONNECTIONS.",
    )
    @returns_errors(InviteClientPayload)
    async def invite_client(self, info: Info, input: InviteClientInput) -> InviteClientPayload:
        row = await inviting.invite_client(
            info.context.viewer,
            acting_member(info),
            _invitee(input),
            inviting.ClientDetails(
                connect_to=None if input.connect_to is None else [str(i) for i in input.connect_to],
                identification_number=input.identification_number,
                date_of_birth=input.date_of_birth,
            ),
            info.context.settings,
        )
        return InviteClientPayload(invitation=Invitation.from_row(row))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.INVITE_STAFF, scope=healthspace_argument()))],
        description="Invite a staff member with roles (and granted permissions). Inviting an "
        "administrator, or granting permissions, needs MANAGE_MEMBERS.",
    )
    @returns_errors(InviteStaffPayload)
    async def invite_staff(self, info: Info, input: InviteStaffInput) -> InviteStaffPayload:
        row = await inviting.invite_staff(
            info.context.viewer,
            acting_member(info),
            _invitee(input),
            [role.value for role in input.roles],
            [permission.value for permission in input.permissions],
            info.context.settings,
        )
        return InviteStaffPayload(invitation=Invitation.from_row(row))

    @strawberry.mutation(
        extensions=[guard(MayHandleInvitation())],
        description="Send a pending invitation again with a new link (the old link stops "
        "working) and a renewed expiry. At most once per resend interval.",
    )
    @returns_errors(InvitationPayload)
    async def resend_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        handed = found(info)
        row = await inviting.resend(
            info.context.viewer,
            acting_member(info),
            handed.target,
            info.context.settings,
        )
        return InvitationPayload(invitation=Invitation.from_row(row))

    @strawberry.mutation(
        extensions=[guard(MayHandleInvitation())],
        description="Withdraw a pending invitation: its link stops working at once.",
    )
    @returns_errors(InvitationPayload)
    async def withdraw_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        handed = found(info)
        row = await inviting.withdraw(info.context.viewer, acting_member(info), handed.target)
        return InvitationPayload(invitation=Invitation.from_row(row))
