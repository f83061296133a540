"""Inviting one person at a time (a client or a staff member), resending and withdrawing.
The roster lives in domain/roster.py, acceptance in domain/acceptance.py."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.invitation_status import effective_status, leave_pending
from domain.invitations import (
    Links,
    check_staff_offer,
    clinicians_to_connect,
    invitation_message,
    language_when_invited,
    mail_language,
    new_invitation,
    next_due_at,
)
from domain.members import check_grants, check_roles
from domain.people import display_name
from domain.validation import (
    MAX_NAME_LENGTH,
    MAX_NOTE_LENGTH,
    checked_date_of_birth,
    require_email,
    require_text,
)
from mailer import outbox
from permissions.audit import record_event
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer

MAX_IDENTIFICATION_NUMBER_LENGTH = 50


@dataclass(frozen=True)
class Invitee:
    """Who is invited, as typed: the address, the names and the personal note."""

    email: str
    first_name: str
    last_name: str
    note: str | None = None


@dataclass(frozen=True)
class ClientDetails:
    """What a client invitation adds: the clinicians to connect (ids as given; None for the
    default), and the practice's identification number and date of birth."""

    connect_to: list[str] | None = None
    identification_number: str | None = None
    date_of_birth: dt.date | None = None


def _checked(invitee: Invitee) -> Invitee:
    return Invitee(
        email=require_email(invitee.email),
        first_name=require_text(
            invitee.first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True
        ),
        last_name=require_text(
            invitee.last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True
        ),
        note=require_text(invitee.note, "note", max_length=MAX_NOTE_LENGTH, multiline=True),
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
    await leave_pending(overdue.id, models.InvitationStatus.EXPIRED, now)
    await record_event(
        viewer,
        "INVITATION_EXPIRED",
        healthspace_id=overdue.healthspace_id,
        subject_id=overdue.id,
        details={"email": overdue.email},
    )


async def _invite(
    viewer: Viewer,
    inviter: models.Member,
    invitee: Invitee,
    kind: models.MemberKind,
    links: Links,
    now: datetime,
    **specific: Any,
) -> models.Invitation:
    """What inviting a client and a staff member share: refuse members, build the invitation
    (`specific`: the kind's own `new_invitation` fields) in the invitee's language, send it."""
    healthspace_id: uuid.UUID = inviter.healthspace_id
    account = await _refuse_members(healthspace_id, invitee.email)
    healthspace = await models.Healthspace.get(id=healthspace_id)
    invitation, token = new_invitation(
        healthspace=healthspace,
        kind=kind,
        email=invitee.email,
        first_name=invitee.first_name,
        last_name=invitee.last_name,
        note=invitee.note or "",
        invited_by=inviter,
        language=language_when_invited(account, viewer.account),
        now=now,
        **specific,
    )
    return await _send_new(viewer, inviter, invitation, token, healthspace, account, links, now)


async def _send_new(
    viewer: Viewer,
    inviter: models.Member,
    invitation: models.Invitation,
    token: str,
    healthspace: models.Healthspace,
    account: models.Account | None,
    links: Links,
    now: datetime,
) -> models.Invitation:
    message = invitation_message(
        invitation,
        token,
        healthspace=healthspace,
        inviter_name=display_name(viewer.account),
        language=mail_language(invitation, account.language if account else None),
        links=links,
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
    return invitation


async def invite_client(
    viewer: Viewer, inviter: models.Member, invitee: Invitee, details: ClientDetails, links: Links
) -> models.Invitation:
    """Invite `invitee` as a client of the inviter's Healthspace and queue the mail. Raises
    DomainError: invalid input, ALREADY_MEMBER, ALREADY_INVITED, or a connectTo problem."""
    now = datetime.now(UTC)
    checked = _checked(invitee)
    identification_number = require_text(
        details.identification_number,
        "identificationNumber",
        max_length=MAX_IDENTIFICATION_NUMBER_LENGTH,
    )
    date_of_birth = checked_date_of_birth(details.date_of_birth, now.date())
    connect_to = await clinicians_to_connect(inviter, details.connect_to)
    return await _invite(
        viewer,
        inviter,
        checked,
        models.MemberKind.CLIENT,
        links,
        now,
        connect_to=connect_to,
        identification_number=identification_number or None,
        date_of_birth=date_of_birth,
    )


async def invite_staff(
    viewer: Viewer,
    inviter: models.Member,
    invitee: Invitee,
    roles: list[str],
    permissions: list[str],
    links: Links,
) -> models.Invitation:
    """Invite `invitee` as a staff member with `roles` and granted `permissions`. Raises
    DomainError: invalid input, INVALID_ROLE, INVALID_PERMISSION, FORBIDDEN (more than the
    inviter may give), ALREADY_MEMBER, ALREADY_INVITED."""
    now = datetime.now(UTC)
    checked = _checked(invitee)
    checked_roles = check_roles(models.MemberKind.STAFF, roles)
    granted = check_grants(checked_roles, permissions)
    check_staff_offer(inviter, checked_roles, granted)
    return await _invite(
        viewer,
        inviter,
        checked,
        models.MemberKind.STAFF,
        links,
        now,
        roles=checked_roles,
        granted_permissions=granted,
    )


def _refuse_unless_pending(row: models.Invitation, now: datetime) -> None:
    status = effective_status(row, now)
    if status != models.InvitationStatus.PENDING:
        raise DomainError(
            ErrorCode.NOT_PENDING, f"This invitation is {status.lower()}, not pending.", ["id"]
        )


async def resend(
    viewer: Viewer, actor: models.Member, row: models.Invitation, links: Links
) -> models.Invitation:
    """Send a pending invitation again with a new link and a renewed expiry, in the invitee's
    mail language. Raises NOT_PENDING, or RATE_LIMITED within the resend interval."""
    now = datetime.now(UTC)
    _refuse_unless_pending(row, now)
    interval = links.resend_interval
    rate_limited = DomainError(
        ErrorCode.RATE_LIMITED,
        f"This invitation was sent less than {int(interval.total_seconds() // 60)} minutes ago. "
        "Give the invitee a moment before sending it again.",
        ["id"],
    )
    if row.last_sent_at > now - interval:
        raise rate_limited
    healthspace = await models.Healthspace.get(id=row.healthspace_id)
    token = new_token()
    row.token_hash = hash_token(token)
    row.expires_at = max(row.expires_at, now + timedelta(days=healthspace.invitation_lifetime_days))
    row.next_reminder_at = next_due_at(healthspace, now, row.reminders_sent, row.expires_at)
    row.last_sent_at = now
    account = await models.Account.get_or_none(email=row.email)
    async with in_transaction():
        # Conditional on the last sending, so a reminder or a second resend racing this one
        # leaves exactly one new link in force.
        updated = await models.Invitation.filter(
            id=row.id,
            status=models.InvitationStatus.PENDING,
            last_sent_at__lte=now - interval,
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
                language=mail_language(row, account.language if account else None),
                links=links,
            )
        )
        await record_event(
            viewer,
            "INVITATION_RESENT",
            healthspace_id=healthspace.id,
            actor=actor,
            subject_id=row.id,
            details={"email": row.email},
        )
    return row


async def withdraw(
    viewer: Viewer, actor: models.Member, row: models.Invitation
) -> models.Invitation:
    """Withdraw a pending invitation: its link stops working at once. Raises NOT_PENDING."""
    now = datetime.now(UTC)
    _refuse_unless_pending(row, now)
    async with in_transaction():
        if not await leave_pending(row.id, models.InvitationStatus.WITHDRAWN, now):
            raise DomainError(
                ErrorCode.NOT_PENDING, "This invitation is no longer pending.", ["id"]
            )
        await record_event(
            viewer,
            "INVITATION_WITHDRAWN",
            healthspace_id=row.healthspace_id,
            actor=actor,
            subject_id=row.id,
            details={"email": row.email},
        )
    return await models.Invitation.get(id=row.id)
