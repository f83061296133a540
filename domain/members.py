"""Members: joining a Healthspace (a new or returning membership), roles and granted permissions,
and the rule that a Healthspace keeps an active administrator."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

import models
from domain.connections import end_connections, end_disallowed_connections
from domain.errors import DomainError, ErrorCode
from domain.invitation_status import close_for_new_member
from domain.validation import require_text
from permissions.audit import record_event
from permissions.objects import can_see_member
from permissions.roles import GRANTABLE, Permission, Role
from permissions.viewer import Viewer


def new_identification_number() -> str:
    return "CL-" + "".join(secrets.choice("0123456789") for _ in range(8))


def check_roles(kind: models.MemberKind, roles: Iterable[str], field: str = "roles") -> list[str]:
    """Staff hold one or more roles; clients hold none."""
    unique = sorted({Role(role).value for role in roles})
    if kind == models.MemberKind.CLIENT and unique:
        raise DomainError(ErrorCode.INVALID_ROLE, "A client cannot hold a staff role.", [field])
    if kind == models.MemberKind.STAFF and not unique:
        raise DomainError(ErrorCode.INVALID_ROLE, "Give a staff member at least one role.", [field])
    return unique


def check_grants(
    roles: Iterable[str], permissions: Iterable[str], field: str = "permissions"
) -> list[str]:
    """Only the permissions DESIGN.md marks grantable, and only to a holder of the right role."""
    role_set = set(roles)
    granted = sorted({Permission(name).value for name in permissions})
    for name in granted:
        needs = GRANTABLE.get(Permission(name))
        if needs is None:
            raise DomainError(
                ErrorCode.INVALID_PERMISSION,
                f"{name} comes with a role and cannot be granted on its own.",
                [field],
            )
        if needs.value not in role_set:
            raise DomainError(
                ErrorCode.INVALID_PERMISSION,
                f"{name} can only be granted to a {needs.value.lower()}.",
                [field],
            )
    return granted


async def add_member(
    account: models.Account,
    healthspace_id: uuid.UUID,
    kind: models.MemberKind,
    *,
    roles: Iterable[str] = (),
    granted_permissions: Iterable[str] = (),
    identification_number: str | None = None,
) -> models.Member:
    """Make `account` an active member. A deactivated membership comes back with the new kind and
    roles (its history stays); an active one is ALREADY_MEMBER. The person's pending request to
    join and pending invitations there are closed. Call inside a transaction."""
    roles = check_roles(kind, roles)
    granted = check_grants(roles, granted_permissions)
    if kind == models.MemberKind.CLIENT and not identification_number:
        identification_number = new_identification_number()
    # Whoever becomes a member no longer needs their own request to join.
    await models.JoinRequest.filter(
        account_id=account.id,
        healthspace_id=healthspace_id,
        status=models.JoinRequestStatus.PENDING,
    ).update(
        status=models.JoinRequestStatus.CANCELLED, decided_at=datetime.now(UTC), pending_key=None
    )
    existing = await models.Member.select_for_update().get_or_none(
        account_id=account.id, healthspace_id=healthspace_id
    )
    if existing is not None and existing.status == models.MemberStatus.ACTIVE:
        raise DomainError(
            ErrorCode.ALREADY_MEMBER,
            f"{account.email} is already a member of this Healthspace.",
            ["email"],
        )
    # Nor any pending invitation there, whichever path made them a member (issue 7 item 6).
    await close_for_new_member(None, account.email, healthspace_id, account.id)
    if existing is not None:
        # A returning member starts without connections: only what the new invitation or request
        # says comes back, never an old one (ended before reactivating, so nobody is mailed
        # about tidying up a membership that was not in use).
        await end_connections(None, existing, ended_by=None)
        existing.kind = kind
        existing.roles = roles
        existing.granted_permissions = granted
        existing.status = models.MemberStatus.ACTIVE
        existing.deactivated_at = None
        existing.identification_number = identification_number or existing.identification_number
        await existing.save()
        return existing
    return await models.Member.create(
        account=account,
        healthspace_id=healthspace_id,
        kind=kind,
        roles=roles,
        granted_permissions=granted,
        identification_number=identification_number,
    )


async def administrators_left(healthspace_id: uuid.UUID, without: uuid.UUID) -> int:
    roles = (
        await models.Member.filter(
            healthspace_id=healthspace_id,
            status=models.MemberStatus.ACTIVE,
            kind=models.MemberKind.STAFF,
        )
        .exclude(id=without)
        .values_list("roles", flat=True)
    )
    return sum(1 for held in roles if Role.ADMINISTRATOR.value in held)


async def keep_an_administrator(member: models.Member, field: str = "memberId") -> None:
    """Call inside the transaction that takes the role away or ends the membership."""
    if Role.ADMINISTRATOR.value not in member.roles:
        return
    healthspace_id = member.healthspace_id
    # Locking the Healthspace row serialises administrators stepping down: without it two of
    # them doing so at once would each count the other and leave none (PostgreSQL).
    await models.Healthspace.select_for_update().get(id=healthspace_id)
    if not await administrators_left(healthspace_id, member.id):
        raise DomainError(
            ErrorCode.LAST_ADMINISTRATOR,
            "A Healthspace needs at least one active administrator.",
            [field],
        )


async def _locked(member: models.Member) -> models.Member:
    """The member's row again, locked for the transaction the caller has open."""
    return await models.Member.select_for_update().get(id=member.id)


async def update_roles(
    viewer: Viewer, actor: models.Member, target: models.Member, roles: Iterable[str]
) -> models.Member:
    """Set a staff member's roles: granted permissions that no longer fit lapse, and without
    the clinician role their connections end (kept as history). LAST_ADMINISTRATOR when this
    would leave the Healthspace without one; INVALID_ROLE for a client or no role."""
    async with in_transaction():
        member = await _locked(target)
        new_roles = check_roles(member.kind, roles)
        if Role.ADMINISTRATOR.value not in new_roles:
            await keep_an_administrator(member)
        before = list(member.roles)
        member.roles = new_roles
        member.granted_permissions = [
            p for p in member.granted_permissions if GRANTABLE[Permission(p)].value in new_roles
        ]
        await member.save(update_fields=["roles", "granted_permissions"])
        await end_disallowed_connections(viewer, member, ended_by=actor)
        await record_event(
            viewer,
            "MEMBER_ROLES_CHANGED",
            healthspace_id=member.healthspace_id,
            actor=actor,
            subject_id=member.id,
            details={"before": before, "after": new_roles},
        )
    viewer.forget_memberships()
    return member


async def change_grants(
    viewer: Viewer,
    actor: models.Member,
    target: models.Member,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> models.Member:
    """Grant (`add`) or take back (`remove`) permissions one by one (`check_grants`); staff
    only (INVALID_PERMISSION for a client)."""
    async with in_transaction():
        member = await _locked(target)
        if member.kind != models.MemberKind.STAFF:
            raise DomainError(
                ErrorCode.INVALID_PERMISSION,
                "Permissions are granted to staff members only.",
                ["memberId"],
            )
        wanted = (set(member.granted_permissions) | set(add)) - set(remove)
        granted = check_grants(member.roles, wanted)
        before = list(member.granted_permissions)
        member.granted_permissions = granted
        await member.save(update_fields=["granted_permissions"])
        await record_event(
            viewer,
            "MEMBER_PERMISSIONS_CHANGED",
            healthspace_id=member.healthspace_id,
            actor=actor,
            subject_id=member.id,
            details={"before": before, "after": granted},
        )
    viewer.forget_memberships()
    return member


async def deactivate(viewer: Viewer, actor: models.Member, target: models.Member) -> models.Member:
    """End a member's access at their very next request (history stays). MEMBER_DEACTIVATED
    when they are already; LAST_ADMINISTRATOR for the last active administrator."""
    async with in_transaction():
        member = await _locked(target)
        if member.status == models.MemberStatus.DEACTIVATED:
            raise DomainError(
                ErrorCode.MEMBER_DEACTIVATED, "This member is deactivated already.", ["memberId"]
            )
        await keep_an_administrator(member)
        member.status = models.MemberStatus.DEACTIVATED
        member.deactivated_at = datetime.now(UTC)
        await member.save(update_fields=["status", "deactivated_at"])
        await record_event(
            viewer,
            "MEMBER_DEACTIVATED",
            healthspace_id=member.healthspace_id,
            actor=actor,
            subject_id=member.id,
            client_member_id=member.id if member.kind == models.MemberKind.CLIENT else None,
        )
    viewer.forget_memberships()
    return member


async def reactivate(viewer: Viewer, actor: models.Member, target: models.Member) -> models.Member:
    """Give a deactivated member their access back; ALREADY_MEMBER when they are active."""
    async with in_transaction():
        member = await _locked(target)
        if member.status == models.MemberStatus.ACTIVE:
            raise DomainError(
                ErrorCode.ALREADY_MEMBER, "This member is active already.", ["memberId"]
            )
        member.status = models.MemberStatus.ACTIVE
        member.deactivated_at = None
        await member.save(update_fields=["status", "deactivated_at"])
        await record_event(
            viewer,
            "MEMBER_REACTIVATED",
            healthspace_id=member.healthspace_id,
            actor=actor,
            subject_id=member.id,
        )
    return member


async def update_identification_number(
    viewer: Viewer, actor: models.Member, target: models.Member, number: str | None
) -> models.Member:
    """Change a client's identification number (None: no change). NOT_A_CLIENT for staff;
    REQUIRED / TOO_LONG (50) for a bad number."""
    async with in_transaction():
        member = await _locked(target)
        if number is None:
            return member
        if member.kind != models.MemberKind.CLIENT:
            raise DomainError(
                ErrorCode.NOT_A_CLIENT,
                "Only clients carry an identification number.",
                ["identificationNumber"],
            )
        member.identification_number = require_text(
            number, "identificationNumber", max_length=50, required=True
        )
        await member.save(update_fields=["identification_number"])
        await record_event(
            viewer,
            "MEMBER_UPDATED",
            healthspace_id=member.healthspace_id,
            actor=actor,
            subject_id=member.id,
            client_member_id=member.id,
        )
    return member


async def leave(viewer: Viewer, mine: models.Member) -> models.Member:
    """End one's own membership. Every connection ends (kept as history, each client mailed):
    coming back later brings back only what the new invitation or request says (issue 7,
    item 7). LAST_ADMINISTRATOR for the last active administrator."""
    async with in_transaction():
        member = await _locked(mine)
        await keep_an_administrator(member, "healthspaceId")
        await end_connections(viewer, member, ended_by=member)
        member.status = models.MemberStatus.DEACTIVATED
        member.deactivated_at = datetime.now(UTC)
        await member.save(update_fields=["status", "deactivated_at"])
        await record_event(
            viewer,
            "MEMBER_LEFT",
            healthspace_id=member.healthspace_id,
            actor=member,
            subject_id=member.id,
        )
    viewer.forget_memberships()
    return member


async def find_visible(viewer: Viewer, member_id: uuid.UUID | None) -> models.Member | None:
    """The member with this id, with its account, when the viewer may see them
    (`permissions.objects.can_see_member`); None otherwise, as for an unknown id."""
    row = (
        await models.Member.get_or_none(id=member_id).select_related("account")
        if member_id
        else None
    )
    if row is None or not await can_see_member(viewer, row):
        return None
    return row
