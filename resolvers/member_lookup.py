"""Troubleshooting for staff: "I can't find my patient" (seed 000). The task lists themselves
are fields of Healthspace (schema/tasks.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

import models
from domain.connections import current_connection
from domain.validation import normalized_email
from permissions.errors import BadUserInput
from permissions.guards import HasPermission, found, guard
from permissions.roles import Permission, invitation_kinds
from permissions.scopes import healthspace_argument, parse_id
from permissions.viewer import member_permissions
from schema.invitations import Invitation, effective_status, status_filter
from schema.members import Member
from schema.tasks import MemberLookup, MemberLookupAdvice, MemberLookupStatus
from schema.types import Info


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


def lookup_result(
    email: str,
    member: models.Member | None,
    invitation: models.Invitation | None,
    viewer_connected: bool,
) -> MemberLookup:
    """Status and advice for what the Healthspace knows about `email`."""
    pending = invitation is not None and effective_status(invitation) == "PENDING"
    if member is not None and member.status == models.MemberStatus.ACTIVE:
        status = MemberLookupStatus.ACTIVE_MEMBER
        if member.kind == models.MemberKind.STAFF:
            advice, message = MemberLookupAdvice.NOTHING_TO_DO, "This is a staff member here."
        elif viewer_connected:
            advice, message = (
                MemberLookupAdvice.NOTHING_TO_DO,
                "This client is a member and connected with you: find them under My clients.",
            )
        else:
            advice, message = (
                MemberLookupAdvice.CONNECT,
                "This client is a member here. Connect with them (Manage connections), or ask "
                "an assistant or administrator to connect you.",
            )
    elif member is not None:
        status, advice = MemberLookupStatus.DEACTIVATED_MEMBER, MemberLookupAdvice.REACTIVATE
        message = "This membership was deactivated. An administrator can reactivate it."
    elif invitation is not None and pending:
        status, advice = MemberLookupStatus.INVITED, MemberLookupAdvice.WAIT_OR_RESEND
        message = _invitation_advice(invitation)
    elif invitation is not None:
        status, advice = MemberLookupStatus.INVITATION_ENDED, MemberLookupAdvice.INVITE
        ended = effective_status(invitation).lower()
        message = (
            f"The invitation sent on {_day(invitation.created_at)} was {ended}. Send a new one."
        )
    else:
        status, advice = MemberLookupStatus.UNKNOWN, MemberLookupAdvice.INVITE
        message = (
            "Nobody with this address is a member or invited. Invite them; if you did invite "
            "them, check the address you used."
        )
    return MemberLookup(
        email=email,
        status=status,
        advice=advice,
        message=message,
        member=Member.from_row(member) if member else None,
        invitation=Invitation.from_row(invitation) if invitation else None,
    )


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(HasPermission(Permission.INVITE_CLIENTS, scope=healthspace_argument()))],
        description="Whether an email address is a member here (active or deactivated), has a "
        "pending invitation (sent, reminders, expiry) or is unknown, with what to do next. "
        "Needs INVITE_CLIENTS. Whether the address has a Carespace account elsewhere is not "
        "told.",
    )
    async def member_lookup(
        self, info: Info, healthspace_id: strawberry.ID, email: str
    ) -> MemberLookup:
        address = normalized_email(email)
        if address is None:
            raise BadUserInput(f"{email.strip()!r} is not a valid email address.")
        healthspace = parse_id(healthspace_id)
        member = await models.Member.get_or_none(
            healthspace_id=healthspace, account__email=address
        ).select_related("account")
        mine = found(info).member
        allowed = member_permissions(mine)
        invitations = models.Invitation.filter(
            healthspace_id=healthspace, email=address, kind__in=invitation_kinds(allowed)
        )
        invitation = (
            await invitations.filter(
                status_filter(models.InvitationStatus.PENDING, datetime.now(UTC))
            ).first()
            or await invitations.order_by("-created_at", "-id").first()
        )
        connected = (
            member is not None
            and mine is not None
            and await current_connection(member.id, mine.id).exists()
        )
        return lookup_result(address, member, invitation, connected)
