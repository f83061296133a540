"""What the command line sets up outside any request: the demo Healthspace, a new Healthspace
with its first administrator invited, and the Healthspace and inviter a roster file names. The
command line (resolvers/commands.py) prints; the rules and reads live here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.invitations import (
    Links,
    invitation_message,
    language_when_invited,
    mail_language,
    new_invitation,
)
from domain.members import add_member
from domain.people import SYSTEM_INVITER
from domain.validation import MAX_NAME_LENGTH, normalized_email, require_text
from mailer import outbox
from permissions.audit import record_event
from permissions.roles import Permission, Role

DEMO_HEALTHSPACE = "Demo Practice"
DEMO_PEOPLE: list[tuple[str, str, str, models.MemberKind, list[Role]]] = [
    (
        "administrator@example.com",
        "Ada",
        "Administrator",
        models.MemberKind.STAFF,
        [Role.ADMINISTRATOR],
    ),
    ("assistant@example.com", "Assa", "Assistant", models.MemberKind.STAFF, [Role.ASSISTANT]),
    ("clinician@example.com", "Clara", "Clinician", models.MemberKind.STAFF, [Role.CLINICIAN]),
    # Clients the README's examples find: `search: "jansen"` and the like.
    ("client1@example.com", "Chris", "Jansen", models.MemberKind.CLIENT, []),
    ("client2@example.com", "Casey", "de Vries", models.MemberKind.CLIENT, []),
]


@dataclass(frozen=True)
class DemoSeed:
    """The demo Healthspace and the sign-ins (emails) whose password was set this time."""

    healthspace: models.Healthspace
    password_set: list[str]


async def seed_demo(password_hash: str, *, reset_passwords: bool) -> DemoSeed:
    """Create (or refresh) the demo Healthspace, its five members (`DEMO_PEOPLE`) and the
    clinician's connections to both clients. New accounts get `password_hash`; existing ones
    too when `reset_passwords`. Safe to run again."""
    password_set: list[str] = []
    async with in_transaction():
        healthspace = await models.Healthspace.get_or_none(name=DEMO_HEALTHSPACE)
        if healthspace is None:
            healthspace = await models.Healthspace.create(
                name=DEMO_HEALTHSPACE,
                description="A practice to try Carespace with.",
                welcome_text="Welcome to the demo practice.",
                address="Keizersgracht 1, Amsterdam",
                opening_hours="Mon-Fri 09:00-17:00",
                findable=True,
            )
        members: dict[str, models.Member] = {}
        for email, first, last, kind, roles in DEMO_PEOPLE:
            account, new = await models.Account.get_or_create(
                email=email,
                defaults={"first_name": first, "last_name": last, "email_verified": True},
            )
            if new or reset_passwords:
                account.password_hash = password_hash
                await account.save(update_fields=["password_hash"])
                password_set.append(email)
            member = await models.Member.get_or_none(
                account_id=account.id, healthspace_id=healthspace.id
            )
            if member is None:
                grants = (
                    [Permission.MANAGE_OWN_CONNECTIONS, Permission.INVITE_CLIENTS]
                    if Role.CLINICIAN in roles
                    else []
                )
                member = await add_member(
                    account, healthspace.id, kind, roles=roles, granted_permissions=grants
                )
            members[email] = member
        clinician = members["clinician@example.com"]
        for client_email in ("client1@example.com", "client2@example.com"):
            client = members[client_email]
            await models.Connection.get_or_create(
                current_key=models.connection_key(client.id, clinician.id),
                defaults={
                    "healthspace_id": healthspace.id,
                    "client_id": client.id,
                    "staff_id": clinician.id,
                },
            )
    return DemoSeed(healthspace, password_set)


@dataclass(frozen=True)
class NewHealthspace:
    """A Healthspace made by the command line, the invited administrator's address, the
    invitation's token (for the accept link) and whether that address has an account."""

    healthspace: models.Healthspace
    email: str
    token: str
    has_account: bool


async def create_healthspace(name: str, administrator_email: str, links: Links) -> NewHealthspace:
    """Create a Healthspace named `name` and invite `administrator_email` as its first
    administrator (a staff invitation with the ADMINISTRATOR role, mailed in the invitee's
    language, audited as INVITATION_CREATED by the system). Raises DomainError INVALID_EMAIL
    (field administratorEmail) or the name's problem (field name: REQUIRED, TOO_LONG, ...)."""
    email = normalized_email(administrator_email)
    if email is None:
        raise DomainError(
            ErrorCode.INVALID_EMAIL,
            f"{administrator_email!r} is not a valid email address.",
            ["administratorEmail"],
        )
    name = require_text(name, "name", max_length=MAX_NAME_LENGTH * 2, required=True)
    now = datetime.now(UTC)
    account = await models.Account.get_or_none(email=email)
    async with in_transaction():
        healthspace = await models.Healthspace.create(name=name)
        invitation, token = new_invitation(
            healthspace=healthspace,
            kind=models.MemberKind.STAFF,
            email=email,
            roles=[Role.ADMINISTRATOR],
            invited_by=None,
            language=language_when_invited(account, None),
            now=now,
        )
        await invitation.save()
        await outbox.enqueue(
            invitation_message(
                invitation,
                token,
                healthspace=healthspace,
                inviter_name=SYSTEM_INVITER,
                language=mail_language(invitation, account.language if account else None),
                links=links,
            )
        )
        await record_event(
            None,
            "INVITATION_CREATED",
            healthspace_id=healthspace.id,
            subject_id=invitation.id,
            details={"kind": invitation.kind, "email": email, "via": "command line"},
        )
    return NewHealthspace(healthspace, email, token, account is not None)


async def healthspaces_named(
    healthspace_id: uuid.UUID | None, name: str
) -> list[models.Healthspace]:
    """The Healthspace with id `healthspace_id`, or (without an id) those called exactly `name`;
    at most two, so a caller can tell "none", "one" and "more than one" apart."""
    query = (
        models.Healthspace.filter(id=healthspace_id)
        if healthspace_id
        else models.Healthspace.filter(name=name)
    )
    return list(await query.limit(2))


async def roster_inviter(
    healthspace: models.Healthspace, email: str | None
) -> models.Member | None:
    """Who invites a roster from the command line: the active staff member with address
    `email` (with account), or without one the longest-standing active administrator; None
    when there is no such member."""
    staff = models.Member.filter(
        healthspace_id=healthspace.id,
        kind=models.MemberKind.STAFF,
        status=models.MemberStatus.ACTIVE,
    ).select_related("account")
    if email is not None:
        member: models.Member | None = await staff.filter(
            account__email=normalized_email(email) or email
        ).first()
        return member
    for candidate in await staff.order_by("created_at", "id"):
        if Role.ADMINISTRATOR.value in candidate.roles:
            return candidate
    return None
