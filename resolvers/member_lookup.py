"""Troubleshooting for staff: "I can't find my patient" (seed 000). The task lists themselves
are fields of Healthspace (schema/tasks.py)."""

from __future__ import annotations

import strawberry

from domain.member_lookup import look_up_member
from domain.validation import normalized_email
from permissions.errors import BadUserInput
from permissions.guards import HasPermission, acting_member, guard
from permissions.roles import Permission
from permissions.scopes import healthspace_argument
from schema.invitations import Invitation
from schema.members import Member
from schema.tasks import MemberLookup, MemberLookupAdvice, MemberLookupStatus
from schema.types import Info


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
        member = acting_member(info)
        result = await look_up_member(member, member.healthspace_id, address)
        return MemberLookup(
            email=result.email,
            status=MemberLookupStatus(result.status),
            advice=MemberLookupAdvice(result.advice),
            message=result.message,
            member=Member.from_row(result.member) if result.member else None,
            invitation=Invitation.from_row(result.invitation) if result.invitation else None,
        )
