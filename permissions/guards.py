"""Permission classes declared on every root field. All access rules start here."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from permissions.errors import Forbidden, NotFound, Unauthenticated
from permissions.roles import Permission
from permissions.scopes import Scope


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


def guard(*permissions: BasePermission) -> PermissionExtension:
    """The field extension that runs these permission classes before the resolver:
    `@strawberry.field(extensions=[guard(IsAuthenticated())])`."""
    return PermissionExtension(permissions=list(permissions), use_directives=False)
