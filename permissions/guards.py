"""Permission classes declared on every root field. All access rules start here.

Each raises its own coded error: UNAUTHENTICATED when nobody is signed in, NOT_FOUND for a
Healthspace or object that does not exist, that the viewer is not a member of, or that the viewer
may not see (all the same answer, so it never hints at what exists, inside one's own Healthspace
as across), FORBIDDEN for a member who may see the object but not do this. Both refusals of a
member are written to the audit log. Every guard hands over what it found (`found(info)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

import models
from permissions.audit import record_event
from permissions.errors import Forbidden, NotFound, Unauthenticated
from permissions.objects import can_see_healthspace, can_see_object
from permissions.roles import INVITE_PERMISSION, Permission
from permissions.scopes import Scope, object_of, parse_id
from permissions.viewer import Viewer, member_permissions


@dataclass(frozen=True)
class Found:
    """What a guard looked up for one field: the acting member and, for object scopes, the
    object it checked. The resolver reads it with `found(info)` instead of reading it again."""

    member: models.Member | None = None
    target: Any = None


def _path_key(info: Info) -> str:
    return ".".join(str(key) for key in info.path.as_list())


def hand_over(info: Info, found_: Found) -> None:
    """Keep what a guard found for this field (this path of this request)."""
    info.context.guarded[_path_key(info)] = found_


def found(info: Info) -> Found:
    """What the guards of this field found; an empty `Found` when they looked nothing up."""
    result: Found = info.context.guarded.get(_path_key(info), Found())
    return result


def acting_member(info: Info) -> models.Member:
    """The acting member that a membership guard (IsMember, IsStaff, HasPermission,
    MayChangeConnections, MayHandleInvitation) found and handed over for this field. Raises
    RuntimeError on a field whose guards hand over no member: a wiring mistake, not user input."""
    member = found(info).member
    if member is None:
        raise RuntimeError(f"{info.field_name}: its guard hands over no acting member")
    return member


async def _audit_refusal(info: Info, member: models.Member, **details: str) -> None:
    await record_event(
        info.context.viewer,
        "ACCESS_DENIED",
        healthspace_id=member.healthspace_id,
        actor=member,
        outcome=models.AuditOutcome.DENIED,
        details={"field": f"{info.path.typename}.{info.field_name}", **details},
    )


async def _refuse(info: Info, member: models.Member, message: str | None = None) -> NoReturn:
    """FORBIDDEN, with an audit line: a member trying what their roles do not allow."""
    await _audit_refusal(info, member)
    raise Forbidden(message)


async def _unseen(info: Info, member: models.Member) -> NoReturn:
    """NOT_FOUND, with an audit line: a member naming an object of their Healthspace that they
    may not see. The answer is the one a missing object gets."""
    await _audit_refusal(info, member, reason="not visible")
    raise NotFound()


def _signed_in(info: Info) -> Viewer:
    viewer: Viewer = info.context.viewer
    if not viewer.is_authenticated:
        raise Unauthenticated()
    return viewer


class Public(BasePermission):
    """Open to anyone, signed in or not. Declared so that every root field names its rule."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class IsAuthenticated(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        _signed_in(info)
        return True


class _InHealthspace(BasePermission):
    """The viewer's active membership of the Healthspace that `scope` finds in the arguments and,
    when the scope names an object, that object, checked visible before any permission."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def membership(self, source: Any, info: Info, kwargs: dict[str, Any]) -> models.Member:
        viewer = _signed_in(info)
        scoped = await self.scope(source, kwargs)
        member = await viewer.member_of(scoped.healthspace_id) if scoped else None
        if scoped is None or member is None:
            raise NotFound()
        if scoped.target is not None and not await can_see_object(viewer, member, scoped.target):
            await _unseen(info, member)
        hand_over(info, Found(member=member, target=scoped.target))
        return member


class IsMember(_InHealthspace):
    """An active member, client or staff."""

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await self.membership(source, info, kwargs)
        return True


class IsStaff(_InHealthspace):
    """An active staff member, whatever their roles."""

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        member = await self.membership(source, info, kwargs)
        if member.kind != models.MemberKind.STAFF:
            await _refuse(info, member)
        return True


class HasPermission(_InHealthspace):
    """Staff holding any of `permissions`."""

    def __init__(self, *permissions: Permission, scope: Scope) -> None:
        super().__init__(scope)
        self.permissions = frozenset(permissions)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        member = await self.membership(source, info, kwargs)
        if not self.permissions & member_permissions(member):
            await _refuse(info, member)
        return True


class MayChangeConnections(_InHealthspace):
    """MANAGE_CONNECTIONS changes anyone's connections; MANAGE_OWN_CONNECTIONS only the viewer's
    own, i.e. when the argument `own` names the viewer's membership; nobody else any."""

    def __init__(self, scope: Scope, own: str) -> None:
        super().__init__(scope)
        self.own = own

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        member = await self.membership(source, info, kwargs)
        allowed = member_permissions(member)
        if Permission.MANAGE_CONNECTIONS in allowed:
            return True
        if Permission.MANAGE_OWN_CONNECTIONS not in allowed:
            await _refuse(
                info,
                member,
                "You may not change these connections. Ask an assistant or administrator.",
            )
        if parse_id(kwargs.get(self.own)) != member.id:
            await _refuse(info, member, "You may only connect or disconnect yourself.")
        return True


class MayHandleInvitation(_InHealthspace):
    """Staff who may invite the kind of member that the invitation named by the argument `id`
    is for: INVITE_CLIENTS for a client invitation, INVITE_STAFF for a staff one."""

    def __init__(self) -> None:
        super().__init__(object_of(models.Invitation))

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        member = await self.membership(source, info, kwargs)
        invitation: models.Invitation = found(info).target
        if INVITE_PERMISSION[invitation.kind] not in member_permissions(member):
            await _refuse(info, member)
        return True


class CanFindHealthspace(BasePermission):
    """A signed-in account that may see the Healthspace: a member, or anyone when it lets
    clients find it."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _signed_in(info)
        scoped = await self.scope(source, kwargs)
        row = await models.Healthspace.get_or_none(id=scoped.healthspace_id) if scoped else None
        if row is None or not await can_see_healthspace(viewer, row):
            raise NotFound()
        hand_over(info, Found(member=await viewer.member_of(row.id), target=row))
        return True


class IsRequester(BasePermission):
    """The account that made the join request named by the argument `id`; for anyone else the
    request does not exist."""

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        account = _signed_in(info).account
        request_id = parse_id(kwargs.get("id"))
        row = (
            await models.JoinRequest.get_or_none(id=request_id, account_id=account.id)
            if request_id and account
            else None
        )
        if row is None:
            raise NotFound()
        hand_over(info, Found(target=row))
        return True


def guard(*permissions: BasePermission) -> PermissionExtension:
    """The field extension that runs these permission classes before the resolver:
    `@strawberry.field(extensions=[guard(IsAuthenticated())])`."""
    return PermissionExtension(permissions=list(permissions), use_directives=False)
