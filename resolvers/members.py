"""Members: reading one, roles and granted permissions, deactivation, leaving a Healthspace."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import strawberry
from tortoise.transactions import in_transaction

import models
from domain.connections import end_connections, end_disallowed_connections
from domain.errors import DomainError, ErrorCode
from domain.members import check_grants, check_roles, keep_an_administrator
from domain.validation import require_text
from permissions.audit import record_event
from permissions.guards import HasPermission, IsAuthenticated, IsMember, found, guard
from permissions.objects import can_see_member
from permissions.roles import GRANTABLE, Permission, Role
from permissions.scopes import healthspace_argument, healthspace_of, parse_id
from resolvers.mutations import returns_errors
from schema.enums import Permission as PermissionEnum
from schema.enums import Role as RoleEnum
from schema.members import Member, MemberPayload, UpdateMemberInput
from schema.types import Info

member_scope = healthspace_of(models.Member, "member_id")


async def _locked_member(info: Info) -> models.Member:
    """The member the guard found, read again locked for this transaction."""
    target: models.Member = found(info).target
    return await models.Member.select_for_update().get(id=target.id)


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(IsAuthenticated())],
        description="A member, when the viewer may see them; null otherwise.",
    )
    async def member(self, info: Info, id: strawberry.ID) -> Member | None:
        member_id = parse_id(id)
        row = (
            await models.Member.get_or_none(id=member_id).select_related("account")
            if member_id
            else None
        )
        if row is None or not await can_see_member(info.context.viewer, row):
            return None
        return Member.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Set a staff member's roles.",
    )
    @returns_errors(MemberPayload)
    async def update_member_roles(
        self, info: Info, member_id: strawberry.ID, roles: list[RoleEnum]
    ) -> MemberPayload:
        viewer = info.context.viewer
        async with in_transaction():
            member = await _locked_member(info)
            new_roles = check_roles(member.kind, [role.value for role in roles])
            if Role.ADMINISTRATOR.value not in new_roles:
                await keep_an_administrator(member)
            before = list(member.roles)
            member.roles = new_roles
            # Granted permissions that no longer fit the roles lapse.
            member.granted_permissions = [
                p for p in member.granted_permissions if GRANTABLE[Permission(p)].value in new_roles
            ]
            await member.save(update_fields=["roles", "granted_permissions"])
            actor = found(info).member
            # Without the clinician role their connections end (kept as history).
            await end_disallowed_connections(viewer, member, ended_by=actor)
            await record_event(
                viewer,
                "MEMBER_ROLES_CHANGED",
                healthspace_id=member.healthspace_id,
                actor=actor,
                subject_id=member.id,
                details={"before": before, "after": new_roles},
            )  # type: ignore[attr-defined]
        viewer.forget_memberships()
        return MemberPayload(member=Member.from_row(member))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Grant a clinician extra permissions (INVITE_CLIENTS, MANAGE_OWN_CONNECTIONS).",
    )
    @returns_errors(MemberPayload)
    async def grant_permissions(
        self, info: Info, member_id: strawberry.ID, permissions: list[PermissionEnum]
    ) -> MemberPayload:
        return await _change_grants(info, member_id, add=[p.value for p in permissions])

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Take granted permissions back.",
    )
    @returns_errors(MemberPayload)
    async def revoke_permissions(
        self, info: Info, member_id: strawberry.ID, permissions: list[PermissionEnum]
    ) -> MemberPayload:
        return await _change_grants(info, member_id, remove=[p.value for p in permissions])

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="End a member's access at their very next request; their history stays.",
    )
    @returns_errors(MemberPayload)
    async def deactivate_member(self, info: Info, member_id: strawberry.ID) -> MemberPayload:
        viewer = info.context.viewer
        async with in_transaction():
            member = await _locked_member(info)
            if member.status == models.MemberStatus.DEACTIVATED:
                raise DomainError(
                    ErrorCode.MEMBER_DEACTIVATED,
                    "This member is deactivated already.",
                    ["memberId"],
                )
            await keep_an_administrator(member)
            member.status = models.MemberStatus.DEACTIVATED
            member.deactivated_at = datetime.now(UTC)
            await member.save(update_fields=["status", "deactivated_at"])
            await record_event(
                viewer,
                "MEMBER_DEACTIVATED",
                healthspace_id=member.healthspace_id,
                actor=found(info).member,
                subject_id=member.id,
                client_member_id=member.id if member.kind == models.MemberKind.CLIENT else None,
            )  # type: ignore[attr-defined]
        viewer.forget_memberships()
        return MemberPayload(member=Member.from_row(member))

    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.MANAGE_MEMBERS, scope=member_scope))],
        description="Give a deactivated member their access back.",
    )
    @returns_errors(MemberPayload)
    async def reactivate_member(self, info: Info, member_id: strawberry.ID) -> MemberPayload:
        viewer = info.context.viewer
        async with in_transaction():
            member = await _locked_member(info)
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
                actor=found(info).member,
                subject_id=member.id,
            )  # type: ignore[attr-defined]
        return MemberPayload(member=Member.from_row(member))

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
        viewer = info.context.viewer
        async with in_transaction():
            member = await _locked_member(info)
            if input.identification_number is not None:
                if member.kind != models.MemberKind.CLIENT:
                    raise DomainError(
                        ErrorCode.NOT_A_CLIENT,
                        "Only clients carry an identification number.",
                        ["identificationNumber"],
                    )
                member.identification_number = require_text(
                    input.identification_number,
                    "identificationNumber",
                    max_length=50,
                    required=True,
                )
                await member.save(update_fields=["identification_number"])
                await record_event(
                    viewer,
                    "MEMBER_UPDATED",
                    healthspace_id=member.healthspace_id,
                    actor=found(info).member,
                    subject_id=member.id,
                    client_member_id=member.id,
                )  # type: ignore[attr-defined]
        return MemberPayload(member=Member.from_row(member))

    @strawberry.mutation(
        extensions=[guard(IsMember(healthspace_argument()))],
        description="End my own membership of a Healthspace.",
    )
    @returns_errors(MemberPayload)
    async def leave_healthspace(self, info: Info, healthspace_id: strawberry.ID) -> MemberPayload:
        viewer = info.context.viewer
        mine = found(info).member
        assert mine is not None
        async with in_transaction():
            member = await models.Member.select_for_update().get(id=mine.id)
            await keep_an_administrator(member, "healthspaceId")
            # Leaving ends every connection (kept as history, each client mailed): coming back
            # later brings back only what the new invitation or request says.
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
            )  # type: ignore[attr-defined]
        viewer.forget_memberships()
        return MemberPayload(member=Member.from_row(member))


async def _change_grants(
    info: Info, member_id: strawberry.ID, *, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> MemberPayload:
    viewer = info.context.viewer
    async with in_transaction():
        member = await _locked_member(info)
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
            actor=found(info).member,
            subject_id=member.id,
            details={"before": before, "after": granted},
        )  # type: ignore[attr-defined]
    viewer.forget_memberships()
    return MemberPayload(member=Member.from_row(member))
