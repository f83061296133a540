"""Roles and the permissions they bring (DESIGN.md §2)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum

import models


class Role(StrEnum):
    ADMINISTRATOR = "ADMINISTRATOR"
    ASSISTANT = "ASSISTANT"
    CLINICIAN = "CLINICIAN"
    LIBRARY_MANAGER = "LIBRARY_MANAGER"


class Permission(StrEnum):
    MANAGE_HEALTHSPACE = "MANAGE_HEALTHSPACE"
    MANAGE_MEMBERS = "MANAGE_MEMBERS"
    INVITE_STAFF = "INVITE_STAFF"
    INVITE_CLIENTS = "INVITE_CLIENTS"
    MANAGE_CONNECTIONS = "MANAGE_CONNECTIONS"
    MANAGE_OWN_CONNECTIONS = "MANAGE_OWN_CONNECTIONS"
    REVIEW_JOIN_REQUESTS = "REVIEW_JOIN_REQUESTS"
    MANAGE_LIBRARY = "MANAGE_LIBRARY"
    VIEW_AUDIT_LOG = "VIEW_AUDIT_LOG"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            Permission.MANAGE_HEALTHSPACE,
            Permission.MANAGE_MEMBERS,
            Permission.INVITE_STAFF,
            Permission.INVITE_CLIENTS,
            Permission.MANAGE_CONNECTIONS,
            Permission.REVIEW_JOIN_REQUESTS,
            Permission.MANAGE_LIBRARY,
            Permission.VIEW_AUDIT_LOG,
        }
    ),
    Role.ASSISTANT: frozenset(
        {
            Permission.INVITE_STAFF,
            Permission.INVITE_CLIENTS,
            Permission.MANAGE_CONNECTIONS,
            Permission.REVIEW_JOIN_REQUESTS,
        }
    ),
    Role.CLINICIAN: frozenset(),
    Role.LIBRARY_MANAGER: frozenset({Permission.MANAGE_LIBRARY}),
}

# Permissions that may be granted one by one, and the role that must hold them.
GRANTABLE: dict[Permission, Role] = {
    Permission.INVITE_CLIENTS: Role.CLINICIAN,
    Permission.MANAGE_OWN_CONNECTIONS: Role.CLINICIAN,
}


# The permission that handles invitations of each kind of member (MemberKind values).
INVITE_PERMISSION: dict[str, Permission] = {
    "CLIENT": Permission.INVITE_CLIENTS,
    "STAFF": Permission.INVITE_STAFF,
}


def invitation_kinds(permissions: Collection[Permission]) -> list[str]:
    """The kinds of invitation (MemberKind values) a holder of `permissions` may see and handle."""
    return [kind for kind, needed in INVITE_PERMISSION.items() if needed in permissions]


def permissions_of(roles: Iterable[str], granted: Iterable[str]) -> frozenset[Permission]:
    """All permissions of a staff member with these roles and separately granted permissions."""
    role_set = {Role(role) for role in roles}
    result: set[Permission] = set()
    for role in role_set:
        result |= ROLE_PERMISSIONS[role]
    for name in granted:
        permission = Permission(name)
        if GRANTABLE.get(permission) in role_set:
            result.add(permission)
    return frozenset(result)


def is_clinician(member: models.Member) -> bool:
    """A staff member holding the CLINICIAN role (whatever their status): the one home of
    "a clinician" (DESIGN.md §2)."""
    return member.kind == models.MemberKind.STAFF and Role.CLINICIAN.value in member.roles


def is_active_clinician(member: models.Member) -> bool:
    """An active staff member with the CLINICIAN role: who can be connected to a client."""
    return is_clinician(member) and member.status == models.MemberStatus.ACTIVE
