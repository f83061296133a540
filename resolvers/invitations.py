"""Invitations: inviting clients and staff one at a time, resending, withdrawing, and what
the single and roster paths share (building an invitation and its mail). Acceptance lives in
resolvers/acceptance.py."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.members import check_grants, check_roles
from domain.people import display_name
from domain.validation import (
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    checked_date_of_birth,
    require_email,
    require_text,
)
from mailer import messages, outbox
from mailer.messages import Message
from permissions.audit import record_event
from permissions.guards import HasPermission, MayHandleInvitation, guard
from permissions.roles import Permission, Role
from permissions.scopes import healthspace_argument, parse_id
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer
from resolvers.mutations import returns_errors
from schema.invitations import (
    Invitation,
    InvitationPayload,
    InviteClientInput,
    InviteClientPayload,
    InviteStaffInput,
    InviteStaffPayload,
    effective_status,
)
from schema.settings import Settings
from schema.types import Info

MAX_IDENTIFICATION_NUMBER_LENGTH = 50


def pending_key(healthspace_id: uuid.UUID | str, email: str) -> str:
    """The value that makes one pending invitation per email and Healthspace unique."""
    return f"{healthspace_id}:{email}"


def reminder_days(healthspace: models.Healthspace) -> list[int]:
    return sorted({int(day) for day in healthspace.reminder_days or [] if int(day) > 0})


def next_due_at(
    healthspace: models.Healthspace, sent_at: datetime, reminders_sent: int, expires_at: datetime
) -> datetime:
    """When the reminder sweep must next look at a pending invitation: the next reminder, or
    its expiry when that comes first or no reminder is left.

    Reminder k is due (days[k] - days[k-1]) days after the previous sending, so with [3, 7] a
    quiet invitation is reminded on day 3 and day 7, and a resend by hand restarts the wait.
    """
    days = reminder_days(healthspace)
    if reminders_sent >= len(days):
        return expires_at
    gap = days[reminders_sent] - (days[reminders_sent - 1] if reminders_sent else 0)
    return min(sent_at + timedelta(days=gap), expires_at)


def new_invitation(
    *,
    healthspace: models.Healthspace,
    kind: models.MemberKind,
    email: str,
    first_name: str = "",
    last_name: str = "",
    note: str = "",
    roles: Iterable[str] = (),
    granted_permissions: Iterable[str] = (),
    connect_to: Iterable[uuid.UUID] = (),
    identification_number: str | None = None,
    date_of_birth: dt.date | None = None,
    invited_by: models.Member | None,
    batch: models.RosterBatch | None = None,
    now: datetime,
) -> tuple[models.Invitation, str]:
    """An unsaved pending invitation and its raw token (the only time the token exists in
    clear). `email` must already be normalized. No database access.

    `next_reminder_at` is the reminder sweep's due time (see `next_due_at`); the API shows it
    as "next reminder" only while it comes before the expiry."""
    token = new_token()
    expires_at = now + timedelta(days=healthspace.invitation_lifetime_days)
    invitation = models.Invitation(
        id=uuid.uuid4(),
        healthspace_id=healthspace.id,
        kind=str(kind),
        email=email,
        first_name=first_name,
        last_name=last_name,
        note=note,
        roles=list(roles),
        granted_permissions=list(granted_permissions),
        connect_to=[str(member_id) for member_id in connect_to],
        identification_number=identification_number,
        date_of_birth=date_of_birth,
        status=models.InvitationStatus.PENDING,
        token_hash=hash_token(token),
        invited_by_id=invited_by.id if invited_by else None,
        batch_id=batch.id if batch else None,
        last_sent_at=now,
        reminders_sent=0,
        next_reminder_at=next_due_at(healthspace, now, 0, expires_at),
        expires_at=expires_at,
        pending_key=pending_key(healthspace.id, email),
    )
    return invitation, token


def accept_link(settings: Settings, token: str) -> str:
    return settings.link(f"/invitations/accept?token={token}")


def invitation_message(
    invitation: models.Invitation,
    token: str,
    *,
    healthspace: models.Healthspace,
    inviter_name: str,
    language: str,
    settings: Settings,
) -> Message:
    """The invitation mail: the Healthspace's name, the inviter, the note and the accept link."""
    return messages.invitation(
        to=invitation.email,
        language=language,
        first_name=invitation.first_name,
        healthspace=healthspace.name,
        inviter=inviter_name,
        note=invitation.note,
        link=accept_link(settings, token),
        expires_on=invitation.expires_at.date().isoformat(),
    )


async def inviter_names(member_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Inviting members' display names, in one query."""
    ids = {member_id for member_id in member_ids if member_id}
    if not ids:
        return {}
    rows = await models.Member.filter(id__in=ids).select_related("account")
    return {row.id: display_name(row.account) for row in rows}


async def languages_of(emails: Iterable[str]) -> dict[str, str]:
    """The language of each address that has an account, in one query."""
    rows = await models.Account.filter(email__in=list(set(emails))).values_list("email", "language")
    return dict(rows)  # type: ignore[arg-type]


# --- inviting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitee:
    email: str
    first_name: str
    last_name: str
    note: str


def _invitee(email: str, first_name: str, last_name: str, note: str | None) -> Invitee:
    return Invitee(
        email=require_email(email),
        first_name=require_text(first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True),
        last_name=require_text(last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True),
        note=require_text(note, "note", max_length=MAX_NOTE_LENGTH, multiline=True),
    )


async def _refuse_members(healthspace_id: uuid.UUID, email: str) -> models.Account | None:
    """The invitee's account, if any; ALREADY_MEMBER when it is an active member here."""
    account = await models.Account.get_or_none(email=email)
    if account is not None and await models.Member.exists(
        account_id=account.id, healthspace_id=healthspace_id, status=models.MemberStatus.ACTIVE
    ):
        raise DomainError(
            ErrorCode.ALREADY_MEMBER, f"{email} is already a member of this Healthspace.", ["email"]
        )
    return account


def _already_invited(email: str) -> DomainError:
    return DomainError(
        ErrorCode.ALREADY_INVITED,
        f"{email} has a pending invitation already: resend or withdraw that one.",
        ["email"],
    )


async def expire_overdue(viewer: Viewer | None, key: str, now: datetime) -> None:
    """Mark a pending invitation for `key` that is past its expiry as EXPIRED now, so that it
    never blocks a new one (the sweep would do the same a little later)."""
    overdue = await models.Invitation.filter(
        pending_key=key, status=models.InvitationStatus.PENDING, expires_at__lte=now
    ).first()
    if overdue is None:
        return
    await _leave_pending(overdue.id, models.InvitationStatus.EXPIRED, now)
    await record_event(
        viewer,
        "INVITATION_EXPIRED",
        healthspace_id=overdue.healthspace_id,  # type: ignore[attr-defined]
        subject_id=overdue.id,
        details={"email": overdue.email},
    )


async def _leave_pending(
    invitation_id: uuid.UUID, status: models.InvitationStatus, now: datetime, **changes: object
) -> bool:
    """Move a pending invitation to `status` if it is still pending; False when it was not."""
    updated = await models.Invitation.filter(
        id=invitation_id, status=models.InvitationStatus.PENDING
    ).update(status=status, pending_key=None, next_reminder_at=None, decided_at=now, **changes)
    return bool(updated)


async def _send_new_invitation(
    info: Info,
    invitation: models.Invitation,
    token: str,
    healthspace: models.Healthspace,
    inviter: models.Member | None,
    language: str,
    now: datetime,
) -> None:
    viewer = info.context.viewer
    message = invitation_message(
        invitation,
        token,
        healthspace=healthspace,
        inviter_name=display_name(viewer.account),
        language=language,
        settings=info.context.settings,
    )
    try:
        async with in_transaction():
            await expire_overdue(viewer, invitation.pending_key or "", now)
            if await models.Invitation.exists(pending_key=invitation.pending_key):
                raise _already_invited(invitation.email)
            await invitation.save()
            await outbox.enqueue(message)
            await record_event(
                viewer,
                "INVITATION_CREATED",
                healthspace_id=healthspace.id,
                actor=inviter,
                subject_id=invitation.id,
                details={"kind": invitation.kind, "email": invitation.email},
            )
    except IntegrityError:
        # Another request invited the same address a moment ago: pending_key is unique.
        raise _already_invited(invitation.email) from None


async def clinicians_to_connect(
    viewer: Viewer,
    inviter: models.Member,
    requested: list[strawberry.ID] | None,
) -> list[uuid.UUID]:
    """The staff members to connect on acceptance. Left out, an inviting clinician connects
    themselves (the box ticked by default); anyone else needs MANAGE_CONNECTIONS."""
    if requested is None:
        return [inviter.id] if Role.CLINICIAN.value in inviter.roles else []
    ids: list[uuid.UUID] = []
    for value in requested:
        member_id = parse_id(value)
        if member_id is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No staff member {value!r} here.", ["connectTo"]
            )
        if member_id not in ids:
            ids.append(member_id)
    if any(member_id != inviter.id for member_id in ids) and (
        Permission.MANAGE_CONNECTIONS not in await viewer.permissions_in(inviter.healthspace_id)  # type: ignore[attr-defined]
    ):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Connecting other clinicians needs the permission to manage connections.",
            ["connectTo"],
        )
    found = {
        row.id: row
        for row in await models.Member.filter(
            id__in=ids,
            healthspace_id=inviter.healthspace_id,  # type: ignore[attr-defined]
        )
    }
    for member_id in ids:
        staff = found.get(member_id)
        if staff is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No staff member {member_id} here.", ["connectTo"]
            )
        if staff.kind != models.MemberKind.STAFF or Role.CLINICIAN.value not in staff.roles:
            raise DomainError(
                ErrorCode.NOT_A_CLINICIAN,
                "Clients are connected to staff members with the clinician role only.",
                ["connectTo"],
            )
        if staff.status != models.MemberStatus.ACTIVE:
            raise DomainError(
                ErrorCode.MEMBER_DEACTIVATED,
                "A deactivated clinician cannot be connected.",
                ["connectTo"],
            )
    return ids


# --- handling one invitation ---------------------------------------------------------------


def _refuse_unless_pending(row: models.Invitation, now: datetime) -> None:
    status = effective_status(row, now)
    if status != models.InvitationStatus.PENDING:
        raise DomainError(
            ErrorCode.NOT_PENDING, f"This invitation is {status.lower()}, not pending.", ["id"]
        )


# --- the GraphQL fields --------------------------------------------------------------------


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
        viewer = info.context.viewer
        now = datetime.now(UTC)
        healthspace_id = parse_id(input.healthspace_id)
        inviter = await viewer.member_of(healthspace_id)  # type: ignore[arg-type]
        assert inviter is not None and healthspace_id is not None
        invitee = _invitee(input.email, input.first_name, input.last_name, input.note)
        identification_number = require_text(
            input.identification_number,
            "identificationNumber",
            max_length=MAX_IDENTIFICATION_NUMBER_LENGTH,
        )
        date_of_birth = checked_date_of_birth(input.date_of_birth, now.date())
        connect_to = await clinicians_to_connect(viewer, inviter, input.connect_to)
        account = await _refuse_members(healthspace_id, invitee.email)
        healthspace = await models.Healthspace.get(id=healthspace_id)
        invitation, token = new_invitation(
            healthspace=healthspace,
            kind=models.MemberKind.CLIENT,
            email=invitee.email,
            first_name=invitee.first_name,
            last_name=invitee.last_name,
            note=invitee.note,
            connect_to=connect_to,
            identification_number=identification_number or None,
            date_of_birth=date_of_birth,
            invited_by=inviter,
            now=now,
        )
        language = (account or viewer.account).language  # type: ignore[union-attr]
        await _send_new_invitation(info, invitation, token, healthspace, inviter, language, now)
        return InviteClientPayload(invitation=Invitation.from_row(invitation))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.INVITE_STAFF, scope=healthspace_argument()))],
        description="Invite a staff member with roles (and granted permissions). Inviting an "
        "administrator needs MANAGE_MEMBERS.",
    )
    @returns_errors(InviteStaffPayload)
    async def invite_staff(self, info: Info, input: InviteStaffInput) -> InviteStaffPayload:
        viewer = info.context.viewer
        now = datetime.now(UTC)
        healthspace_id = parse_id(input.healthspace_id)
        inviter = await viewer.member_of(healthspace_id)  # type: ignore[arg-type]
        assert inviter is not None and healthspace_id is not None
        invitee = _invitee(input.email, input.first_name, input.last_name, input.note)
        roles = check_roles(models.MemberKind.STAFF, [role.value for role in input.roles])
        granted = check_grants(roles, [permission.value for permission in input.permissions])
        if Role.ADMINISTRATOR.value in roles and Permission.MANAGE_MEMBERS not in (
            await viewer.permissions_in(healthspace_id)
        ):
            raise DomainError(
                ErrorCode.FORBIDDEN, "Only an administrator can invite an administrator.", ["roles"]
            )
        account = await _refuse_members(healthspace_id, invitee.email)
        healthspace = await models.Healthspace.get(id=healthspace_id)
        invitation, token = new_invitation(
            healthspace=healthspace,
            kind=models.MemberKind.STAFF,
            email=invitee.email,
            first_name=invitee.first_name,
            last_name=invitee.last_name,
            note=invitee.note,
            roles=roles,
            granted_permissions=granted,
            invited_by=inviter,
            now=now,
        )
        language = (account or viewer.account).language  # type: ignore[union-attr]
        await _send_new_invitation(info, invitation, token, healthspace, inviter, language, now)
        return InviteStaffPayload(invitation=Invitation.from_row(invitation))

    @strawberry.mutation(
        extensions=[guard(MayHandleInvitation())],
        description="Send a pending invitation again with a new link (the old link stops "
        "working) and a renewed expiry. At most once per resend interval.",
    )
    @returns_errors(InvitationPayload)
    async def resend_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        viewer = info.context.viewer
        settings = info.context.settings
        now = datetime.now(UTC)
        row = await models.Invitation.get(id=parse_id(id))
        _refuse_unless_pending(row, now)
        rate_limited = DomainError(
            ErrorCode.RATE_LIMITED,
            "This invitation was sent less than "
            f"{int(settings.resend_interval.total_seconds() // 60)} minutes ago. "
            "Give the invitee a moment before sending it again.",
            ["id"],
        )
        if row.last_sent_at > now - settings.resend_interval:
            raise rate_limited
        healthspace = await models.Healthspace.get(id=row.healthspace_id)  # type: ignore[attr-defined]
        token = new_token()
        row.token_hash = hash_token(token)
        row.expires_at = max(
            row.expires_at, now + timedelta(days=healthspace.invitation_lifetime_days)
        )
        row.next_reminder_at = next_due_at(healthspace, now, row.reminders_sent, row.expires_at)
        row.last_sent_at = now
        language = (await languages_of([row.email])).get(row.email) or viewer.account.language  # type: ignore[union-attr]
        async with in_transaction():
            # Conditional on the last sending, so a reminder or a second resend racing this one
            # leaves exactly one new link in force.
            updated = await models.Invitation.filter(
                id=row.id,
                status=models.InvitationStatus.PENDING,
                last_sent_at__lte=now - settings.resend_interval,
            ).update(
                token_hash=row.token_hash,
                expires_at=row.expires_at,
                next_reminder_at=row.next_reminder_at,
                last_sent_at=now,
            )
            if not updated:
                raise rate_limited
            await outbox.enqueue(
                invitation_message(
                    row,
                    token,
                    healthspace=healthspace,
                    inviter_name=display_name(viewer.account),
                    language=language,
                    settings=settings,
                )
            )
            await record_event(
                viewer,
                "INVITATION_RESENT",
                healthspace_id=healthspace.id,
                actor=await viewer.member_of(healthspace.id),
                subject_id=row.id,
                details={"email": row.email},
            )
        return InvitationPayload(invitation=Invitation.from_row(row))

    @strawberry.mutation(
        extensions=[guard(MayHandleInvitation())],
        description="Withdraw a pending invitation: its link stops working at once.",
    )
    @returns_errors(InvitationPayload)
    async def withdraw_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        viewer = info.context.viewer
        now = datetime.now(UTC)
        row = await models.Invitation.get(id=parse_id(id))
        _refuse_unless_pending(row, now)
        async with in_transaction():
            if not await _leave_pending(row.id, models.InvitationStatus.WITHDRAWN, now):
                raise DomainError(
                    ErrorCode.NOT_PENDING, "This invitation is no longer pending.", ["id"]
                )
            await record_event(
                viewer,
                "INVITATION_WITHDRAWN",
                healthspace_id=row.healthspace_id,  # type: ignore[attr-defined]
                actor=await viewer.member_of(row.healthspace_id),  # type: ignore[attr-defined]
                subject_id=row.id,
                details={"email": row.email},
            )
        row.status = models.InvitationStatus.WITHDRAWN
        row.pending_key = None
        row.next_reminder_at = None
        row.decided_at = now
        return InvitationPayload(invitation=Invitation.from_row(row))
