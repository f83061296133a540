"""Invitations: the rules every path shares (the single invite, the roster, the command line,
acceptance and the reminder sweep): building an invitation and its mail, the invitee's mail
language, the reminder schedule, who may be connected, and what an inviter may give."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tortoise.queryset import QuerySet

import models
from domain.errors import DomainError, ErrorCode
from domain.invitation_status import pending_key, status_filter
from domain.people import display_name
from mailer import messages
from mailer.messages import Message
from permissions.roles import (
    INVITE_PERMISSION,
    Permission,
    Role,
    invitation_kinds,
    is_clinician,
)
from permissions.scopes import parse_id
from permissions.tokens import hash_token, new_token
from permissions.viewer import member_permissions

DEFAULT_LANGUAGE = "en"


class Links(Protocol):
    """What invitation mails need of the deployment's settings (schema.settings.Settings)."""

    @property
    def resend_interval(self) -> timedelta: ...

    def link(self, path: str) -> str: ...


# --- the invitee's mail language (one home: issue 9) ----------------------------------------


def language_when_invited(invitee: models.Account | None, inviter: models.Account | None) -> str:
    """The language kept on a new invitation: the invitee's account's, else the inviter's (a
    Dutch clinician's invitee gets Dutch), else English (the command line)."""
    return kept_language(str(invitee.language) if invitee is not None else None, inviter)


def kept_language(invitee_language: str | None, inviter: models.Account | None) -> str:
    """`language_when_invited` given only the invitee's account language (None: no account),
    for callers that read accounts as rows (the roster)."""
    if invitee_language is not None:
        return invitee_language
    return str(inviter.language) if inviter is not None else DEFAULT_LANGUAGE


def mail_language(invitation: models.Invitation, account_language: str | None) -> str:
    """The language of every mail about `invitation` (the invitation, reminders, resends): the
    invitee's account's language when they have an account (`account_language`), otherwise the
    one kept on the invitation when it was made."""
    return account_language or str(invitation.language) or DEFAULT_LANGUAGE


async def mail_languages(invitations: Iterable[models.Invitation]) -> dict[uuid.UUID, str]:
    """`mail_language` of each invitation, by id, in one query."""
    rows = list(invitations)
    accounts = dict(
        await models.Account.filter(email__in=list({row.email for row in rows})).values_list(
            "email", "language"
        )
    )
    return {row.id: mail_language(row, accounts.get(row.email)) for row in rows}


# --- reading ------------------------------------------------------------------------------


def invitations_query(
    healthspace_id: uuid.UUID,
    allowed: Collection[Permission],
    status: models.InvitationStatus | None,
    kind: models.MemberKind | None,
) -> QuerySet[models.Invitation]:
    """A Healthspace's invitations, newest first: client invitations for holders of
    INVITE_CLIENTS (`allowed`), staff invitations for holders of INVITE_STAFF; optionally of
    one effective status and kind."""
    query = models.Invitation.filter(
        healthspace_id=healthspace_id, kind__in=invitation_kinds(allowed)
    )
    if kind is not None:
        query = query.filter(kind=kind.value)
    if status is not None:
        query = query.filter(status_filter(status, datetime.now(UTC)))
    return query.order_by("-created_at", "-id")


async def invitations_by_id(ids: list[uuid.UUID]) -> list[models.Invitation | None]:
    """The invitations with these ids, in the same order (None where there is none): one query."""
    found = {row.id: row for row in await models.Invitation.filter(id__in=ids)}
    return [found.get(invitation_id) for invitation_id in ids]


# --- reminders and expiry ------------------------------------------------------------------


def reminder_days(healthspace: models.Healthspace) -> list[int]:
    """The Healthspace's reminder days after sending (e.g. [3, 7]), positive and in order."""
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


# --- building an invitation and its mail ---------------------------------------------------


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
    language: str = DEFAULT_LANGUAGE,
    batch: models.RosterBatch | None = None,
    now: datetime,
) -> tuple[models.Invitation, str]:
    """An unsaved pending invitation and its raw token (the only time the token exists in
    clear). `email` must already be normalized; `language` comes from `language_when_invited`.
    No database access.

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
        language=language,
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


def accept_link(links: Links, token: str) -> str:
    """The accept page's address for `token`."""
    return links.link(f"/invitations/accept?token={token}")


def invitation_message(
    invitation: models.Invitation,
    token: str,
    *,
    healthspace: models.Healthspace,
    inviter_name: str,
    language: str,
    links: Links,
) -> Message:
    """The invitation mail: the Healthspace's name, the inviter, the note and the accept link."""
    return messages.invitation(
        to=invitation.email,
        language=language,
        first_name=invitation.first_name,
        healthspace=healthspace.name,
        inviter=inviter_name,
        note=invitation.note,
        link=accept_link(links, token),
        expires_on=invitation.expires_at.date().isoformat(),
    )


async def inviter_names(
    member_ids: Iterable[uuid.UUID | None],
) -> dict[uuid.UUID | None, str]:
    """Inviting members' display names by member id, in one query. Keyed by `uuid.UUID | None`
    so `names.get(row.invited_by_id, fallback)` reads the same for a row without inviter."""
    ids = {member_id for member_id in member_ids if member_id}
    if not ids:
        return {}
    rows = await models.Member.filter(id__in=ids).select_related("account")
    return {row.id: display_name(row.account) for row in rows}


# --- what an inviter may give (issue 7 item 5) ---------------------------------------------


def permissions_needed(
    kind: str,
    roles: Collection[str],
    granted: Collection[str],
    connect_to: Collection[uuid.UUID | str],
    inviter_id: uuid.UUID | None,
) -> frozenset[Permission]:
    """What inviting this way needs: the kind's invite permission; MANAGE_MEMBERS to make an
    administrator or to grant permissions (as updateMemberRoles and grantPermissions need);
    MANAGE_CONNECTIONS to connect clinicians other than the inviter."""
    needed = {INVITE_PERMISSION[kind]}
    if Role.ADMINISTRATOR.value in roles or granted:
        needed.add(Permission.MANAGE_MEMBERS)
    if any(str(member_id) != str(inviter_id) for member_id in connect_to):
        needed.add(Permission.MANAGE_CONNECTIONS)
    return frozenset(needed)


def check_staff_offer(
    inviter: models.Member, roles: Collection[str], granted: Collection[str]
) -> None:
    """FORBIDDEN when the roles or grants of a staff invitation exceed what `inviter` may give:
    an administrator, or granted permissions, need MANAGE_MEMBERS."""
    allowed = member_permissions(inviter)
    if Permission.MANAGE_MEMBERS in allowed:
        return
    if Role.ADMINISTRATOR.value in roles:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only an administrator can invite an administrator.", ["roles"]
        )
    if granted:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Granting permissions needs the permission to manage members.",
            ["permissions"],
        )


async def check_inviter_still_allowed(row: models.Invitation) -> None:
    """On acceptance: the inviter (none for the command line) must still be an active member of
    an open account holding what the invitation needs (`permissions_needed`); otherwise
    INVITER_NO_LONGER_ALLOWED and nothing is accepted."""
    inviter_id = row.invited_by_id
    if inviter_id is None:
        return
    inviter = await models.Member.get_or_none(id=inviter_id).select_related("account")
    needed = permissions_needed(
        row.kind, row.roles, row.granted_permissions, row.connect_to, inviter_id
    )
    if (
        inviter is None
        or inviter.account.deactivated_at is not None
        or not needed <= member_permissions(inviter)
    ):
        raise DomainError(
            ErrorCode.INVITER_NO_LONGER_ALLOWED,
            "The person who invited you can no longer make this invitation. Ask the practice "
            "to invite you again.",
            ["token"],
        )


async def clinicians_to_connect(
    inviter: models.Member, requested: Iterable[str] | None
) -> list[uuid.UUID]:
    """The staff members (ids as given) to connect on acceptance. Left out, an inviting
    clinician connects themselves (the box ticked by default); anyone else needs
    MANAGE_CONNECTIONS. Raises NOT_FOUND, FORBIDDEN, NOT_A_CLINICIAN or MEMBER_DEACTIVATED
    (field connectTo)."""
    if requested is None:
        return [inviter.id] if is_clinician(inviter) else []
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
        Permission.MANAGE_CONNECTIONS not in member_permissions(inviter)
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
            healthspace_id=inviter.healthspace_id,
        )
    }
    for member_id in ids:
        staff = found.get(member_id)
        if staff is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"No staff member {member_id} here.", ["connectTo"]
            )
        if not is_clinician(staff):
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
