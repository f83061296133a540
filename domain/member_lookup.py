"""What a Healthspace knows about an email address, for staff who cannot find a client
("I can't find my patient", seed 000): a member, a pending or ended invitation, or nothing, with
what to do next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import models
from domain.invitation_status import effective_status, status_filter
from permissions.roles import invitation_kinds
from permissions.viewer import member_permissions

LookupStatus = Literal[
    "ACTIVE_MEMBER", "DEACTIVATED_MEMBER", "INVITED", "INVITATION_ENDED", "UNKNOWN"
]
LookupAdvice = Literal["CONNECT", "NOTHING_TO_DO", "REACTIVATE", "WAIT_OR_RESEND", "INVITE"]


@dataclass(frozen=True)
class MemberLookup:
    """The answer for one address: `status` and `advice` (the GraphQL enum values of
    MemberLookupStatus / MemberLookupAdvice), the advice as a sentence, and the membership and
    invitation it is based on (either may be None)."""

    email: str
    status: LookupStatus
    advice: LookupAdvice
    message: str
    member: models.Member | None
    invitation: models.Invitation | None


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _invitation_advice(row: models.Invitation) -> str:
    reminders = f"{row.reminders_sent} reminder{'' if row.reminders_sent == 1 else 's'} sent"
    upcoming = row.next_reminder_at
    if upcoming is not None and upcoming < row.expires_at:
        reminders += f", the next on {_day(upcoming)}"
    return (
        f"Invited on {_day(row.created_at)} (last sent {_day(row.last_sent_at)}; {reminders}); "
        f"the invitation expires on {_day(row.expires_at)}. Wait, or resend it. If the address "
        "is wrong, withdraw it and invite the right address."
    )


def _member_advice(
    member: models.Member, viewer_connected: bool
) -> tuple[LookupStatus, LookupAdvice, str]:
    if member.status != models.MemberStatus.ACTIVE:
        return (
            "DEACTIVATED_MEMBER",
            "REACTIVATE",
            "This membership was deactivated. An administrator can reactivate it.",
        )
    if member.kind == models.MemberKind.STAFF:
        return "ACTIVE_MEMBER", "NOTHING_TO_DO", "This is a staff member here."
    if viewer_connected:
        return (
            "ACTIVE_MEMBER",
            "NOTHING_TO_DO",
            "This client is a member and connected with you: find them under My clients.",
        )
    return (
        "ACTIVE_MEMBER",
        "CONNECT",
        "This client is a member here. Connect with them (Manage connections), or ask "
        "an assistant or administrator to connect you.",
    )


def lookup_result(
    email: str,
    member: models.Member | None,
    invitation: models.Invitation | None,
    viewer_connected: bool,
) -> MemberLookup:
    """Status and advice for what the Healthspace knows about `email` (already normalized): the
    membership wins over an invitation, a pending invitation over an ended one."""
    status: LookupStatus
    advice: LookupAdvice
    if member is not None:
        status, advice, message = _member_advice(member, viewer_connected)
    elif invitation is not None and effective_status(invitation) == "PENDING":
        status, advice = "INVITED", "WAIT_OR_RESEND"
        message = _invitation_advice(invitation)
    elif invitation is not None:
        status, advice = "INVITATION_ENDED", "INVITE"
        ended = effective_status(invitation).lower()
        message = (
            f"The invitation sent on {_day(invitation.created_at)} was {ended}. Send a new one."
        )
    else:
        status, advice = "UNKNOWN", "INVITE"
        message = (
            "Nobody with this address is a member or invited. Invite them; if you did invite "
            "them, check the address you used."
        )
    return MemberLookup(email, status, advice, message, member, invitation)


async def look_up_member(
    viewer_member: models.Member | None, healthspace_id: uuid.UUID, email: str
) -> MemberLookup:
    """What `healthspace_id` knows about the normalized address `email`, as seen by
    `viewer_member` (the acting staff member, None for a platform administrator): the membership
    with that address, the pending invitation or else the latest one among the invitation kinds
    the viewer may send, and whether the viewer is connected with that member."""
    member = await models.Member.get_or_none(
        healthspace_id=healthspace_id, account__email=email
    ).select_related("account")
    invitations = models.Invitation.filter(
        healthspace_id=healthspace_id,
        email=email,
        kind__in=invitation_kinds(member_permissions(viewer_member)),
    )
    invitation = (
        await invitations.filter(
            status_filter(models.InvitationStatus.PENDING, datetime.now(UTC))
        ).first()
        or await invitations.order_by("-created_at", "-id").first()
    )
    connected = (
        member is not None
        and viewer_member is not None
        and await models.current_connection(member.id, viewer_member.id).exists()
    )
    return lookup_result(email, member, invitation, connected)
