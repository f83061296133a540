"""The accept page's fields: the public preview of an invitation link, and accepting it. Each
is guard -> one domain call (domain/acceptance.py) -> payload."""

from __future__ import annotations

import strawberry

import models
from domain import acceptance
from permissions.guards import Public, guard
from resolvers.accounts import start_session
from resolvers.mutations import returns_errors
from schema.accounts import Account
from schema.invitations import (
    AcceptInvitationInput,
    AcceptInvitationPayload,
    InvitationPreview,
)
from schema.members import Member
from schema.types import Info


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(Public())],
        description="What the accept page shows for an invitation link; null for a link that "
        "is not (or no longer) valid, e.g. after a resend. A link that can no longer be "
        "accepted (withdrawn, expired, accepted) shows its status only: names, note, inviter "
        "and address are empty.",
    )
    async def invitation(self, info: Info, token: str) -> InvitationPreview | None:
        shown = await acceptance.preview(info.context.viewer, token)
        if shown is None:
            return None
        return InvitationPreview(
            kind=models.MemberKind(shown.kind),
            status=shown.status,
            first_name=shown.first_name,
            last_name=shown.last_name,
            masked_email=shown.masked_email,
            note=shown.note,
            inviter_name=shown.inviter_name,
            expires_at=shown.expires_at,
            account_exists=shown.account_exists,
            viewer_is_invitee=shown.viewer_is_invitee,
            healthspace_row=shown.healthspace,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Accept an invitation: creates the account when the address has none, adds "
        "the membership and the connections named on the invitation, and signs the person in. "
        "A link works once, and only while the inviter may still give what it offers "
        "(INVITER_NO_LONGER_ALLOWED otherwise).",
    )
    @returns_errors(AcceptInvitationPayload)
    async def accept_invitation(
        self, info: Info, input: AcceptInvitationInput
    ) -> AcceptInvitationPayload:
        accepted = await acceptance.accept(
            info.context.viewer,
            acceptance.Acceptance(
                token=input.token,
                password=input.password,
                first_name=input.first_name,
                last_name=input.last_name,
                date_of_birth=input.date_of_birth,
            ),
            lambda account: start_session(info.context, account),
        )
        return AcceptInvitationPayload(
            member=Member.from_row(accepted.member),
            token=accepted.session_token,
            account=Account.from_row(accepted.account),
        )
