"""Permission classes declared on every root field. All access rules start here."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

import models
from permissions.errors import Forbidden, NotFound, Unauthenticated
from permissions.objects import can_see_healthspace
from permissions.roles import Permission
from permissions.scopes import Scope, parse_id
from permissions.viewer import member_permissions


class Public(BasePermission):
    """Open to anyone, signed in or not. Declared so that every root field names its rule."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class IsAuthenticated(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not info.context.viewer.is_authenticated:
            raise Unauthenticated()
        return True


class IsMember(BasePermission):
    """An active member (client or staff) of the Healthspace the arguments point at."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            raise Unauthenticated()
        healthspace_id = await self.scope(source, kwargs)
        if healthspace_id is None or await viewer.member_of(healthspace_id) is None:
            raise NotFound()
        return True


class HasPermission(BasePermission):
    """Staff holding any of `permissions` in the Healthspace the arguments point at.

    A Healthspace (or object) that does not exist and one the viewer is not a member of give
    the same NOT_FOUND, so the answer never hints at what exists elsewhere.
    """

    def __init__(self, *permissions: Permission, scope: Scope) -> None:
        self.permissions = frozenset(permissions)
        self.scope = scope

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            raise Unauthenticated()
        healthspace_id = await self.scope(source, kwargs)
        if healthspace_id is None or await viewer.member_of(healthspace_id) is None:
            raise NotFound()
        if not self.permissions & await viewer.permissions_in(healthspace_id):
            raise Forbidden()
        return True


class IsStaff(BasePermission):
    """An active staff member, whatever their roles, of the Healthspace the arguments point at."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            raise Unauthenticated()
        healthspace_id = await self.scope(source, kwargs)
        if healthspace_id is None or await viewer.member_of(healthspace_id) is None:
            raise NotFound()
        if not await viewer.is_staff_of(healthspace_id):
            raise Forbidden()
        return True


class MayChangeConnections(BasePermission):
    """MANAGE_CONNECTIONS changes anyone's connections; MANAGE_OWN_CONNECTIONS only the viewer's
    own, i.e. when the argument `own` names the viewer's membership; nobody else any."""

    def __init__(self, scope: Scope, own: str) -> None:
        self.scope = scope
        self.own = own

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            raise Unauthenticated()
        healthspace_id = await self.scope(source, kwargs)
        mine = await viewer.member_of(healthspace_id) if healthspace_id else None
        if mine is None:
            raise NotFound()
        allowed = member_permissions(mine)
        if Permission.MANAGE_CONNECTIONS in allowed:
            return True
        if (
            Permission.MANAGE_OWN_CONNECTIONS in allowed
            and parse_id(kwargs.get(self.own)) == mine.id
        ):
            return True
        raise Forbidden(
            "You may not change these connections. Ask an assistant or administrator."
            if Permission.MANAGE_OWN_CONNECTIONS not in allowed
            else "You may only connect or disconnect yourself."
        )


class CanFindHealthspace(BasePermission):
    """A signed-in account that may see the Healthspace: a member, or anyone when it lets
    clients find it. Any other Healthspace is NOT_FOUND, as if it did not exist."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            raise Unauthenticated()
        healthspace_id = await self.scope(source, kwargs)
        row = await models.Healthspace.get_or_none(id=healthspace_id) if healthspace_id else None
        if row is None or not await can_see_healthspace(viewer, row):
            raise NotFound()
        return True


class IsRequester(BasePermission):
    """The account that made the join request named by the argument `id`; for anyone else the
    request does not exist."""

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer.account is None:
            raise Unauthenticated()
        request_id = parse_id(kwargs.get("id"))
        if request_id is None or not await models.JoinRequest.exists(
            id=request_id, account_id=viewer.account.id
        ):
            raise NotFound()
        return True


def guard(*permissions: BasePermission) -> PermissionExtension:
    """The field extension that runs these permission classes before the resolver:
    `@strawberry.field(extensions=[guard(IsAuthenticated())])`."""
    return PermissionExtension(permissions=list(permissions), use_directives=False)
