"""Members: joining a Healthspace (a new or returning membership), roles and granted permissions,
and the rule that a Healthspace keeps an active administrator."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import models
from domain.connections import end_disallowed_connections
from domain.errors import DomainError, ErrorCode
from domain.invitation_status import close_for_new_member
from permissions.roles import GRANTABLE, Permission, Role


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
        existing.kind = kind
        existing.roles = roles
        existing.granted_permissions = granted
        existing.status = models.MemberStatus.ACTIVE
        existing.deactivated_at = None
        existing.identification_number = identification_number or existing.identification_number
        await existing.save()
        # Coming back as another kind, or without the clinician role, ends what no longer fits:
        # a former clinician rejoining as a client must not see their old clients.
        await end_disallowed_connections(None, existing, ended_by=None)
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
    healthspace_id = member.healthspace_id  # type: ignore[attr-defined]
    # Locking the Healthspace row serialises administrators stepping down: without it two of
    # them doing so at once would each count the other and leave none (PostgreSQL).
    await models.Healthspace.select_for_update().get(id=healthspace_id)
    if not await administrators_left(healthspace_id, member.id):
        raise DomainError(
            ErrorCode.LAST_ADMINISTRATOR,
            "A Healthspace needs at least one active administrator.",
            [field],
        )
