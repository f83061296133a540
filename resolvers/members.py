"""Members: reading one, roles and granted permissions, deactivation, leaving a Healthspace.
Guard, one call into `domain.members`, the payload."""

from __future__ import annotations

import strawberry

import models
from domain import members
from permissions.guards import (
    HasPermission,
    IsAuthenticated,
    IsMember,
    acting_member,
    found,
    guard,
)
from permissions.roles import Permission, Role
from permissions.scopes import healthspace_argument, object_of, parse_id
from resolvers.mutations import returns_errors
from schema.members import Member, MemberPayload, UpdateMemberInput
from schema.types import Info

member_scope = object_of(models.Member, "member_id")


def _acting(info: Info) -> tuple[models.Member, models.Member]:
    """The acting member and the member the guard found and checked."""
    return acting_member(info), found(info).target


def _payload(member: models.Member) -> MemberPayload:
    return MemberPayload(member=Member.from_row(member))


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="A member, when the viewer may see them; null otherwise.",
    )
    async def member(self, info: Info, id: strawberry.ID) -> Member | None:
        row = await members.find_visible(info.context.viewer, parse_id(id))
        return Member.from_row(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Set a staff member's roles.",
    )
    @returns_errors(MemberPayload)
    async def update_member_roles(
        self, info: Info, member_id: strawberry.ID, roles: list[Role]
    ) -> MemberPayload:
        actor, target = _acting(info)
        new_roles = [role.value for role in roles]
        return _payload(await members.update_roles(info.context.viewer, actor, target, new_roles))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Grant a clinician extra permissions (INVITE_CLIENTS, MANAGE_OWN_CONNECTIONS).",
    )
    @returns_errors(MemberPayload)
    async def grant_permissions(
        self, info: Info, member_id: strawberry.ID, permissions: list[Permission]
    ) -> MemberPayload:
        actor, target = _acting(info)
        add = [p.value for p in permissions]
        return _payload(await members.change_grants(info.context.viewer, actor, target, add=add))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Take granted permissions back.",
    )
    @returns_errors(MemberPayload)
    async def revoke_permissions(
        self, info: Info, member_id: strawberry.ID, permissions: list[Permission]
    ) -> MemberPayload:
        actor, target = _acting(info)
        remove = [p.value for p in permissions]
        return _payload(
            await members.change_grants(info.context.viewer, actor, target, remove=remove)
        )

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="End a member's access at their very next request; their history stays.",
    )
    @returns_errors(MemberPayload)
    async def deactivate_member(self, info: Info, member_id: strawberry.ID) -> MemberPayload:
        actor, target = _acting(info)
        return _payload(await members.deactivate(info.context.viewer, actor, target))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Give a deactivated member their access back.",
    )
    @returns_errors(MemberPayload)
    async def reactivate_member(self, info: Info, member_id: strawberry.ID) -> MemberPayload:
        actor, target = _acting(info)
        return _payload(await members.reactivate(info.context.viewer, actor, target))

    @strawberry.mutation(
        extensions=[
            guard(
                HasPermission(
                    Permission.MANAGE_MEMBERS, Permission.INVITE_CLIENTS, scope=member_scope
                )
            )
        ],
        description="Change a client's identification number.",
    )
    @returns_errors(MemberPayload)
    async def update_member(self, info: Info, input: UpdateMemberInput) -> MemberPayload:
        actor, target = _acting(info)
        return _payload(
            await members.update_identification_number(
                info.context.viewer, actor, target, input.identification_number
            )
        )

    @strawberry.mutation(
        extensions=[guard(IsMember(healthspace_argument()))],
        description="End my own membership of a Healthspace.",
    )
    @returns_errors(MemberPayload)
    async def leave_healthspace(self, info: Info, healthspace_id: strawberry.ID) -> MemberPayload:
        return _payload(await members.leave(info.context.viewer, acting_member(info)))
