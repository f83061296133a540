"""The domain's enums as GraphQL enums."""

from __future__ import annotations

import strawberry

import models
from permissions.roles import Permission as PermissionEnum
from permissions.roles import Role as RoleEnum

Role = strawberry.enum(RoleEnum, name="Role")
Permission = strawberry.enum(PermissionEnum, name="Permission")
MemberKind = strawberry.enum(models.MemberKind, name="MemberKind")
MemberStatus = strawberry.enum(models.MemberStatus, name="MemberStatus")
InvitationStatus = strawberry.enum(models.InvitationStatus, name="InvitationStatus")
JoinRequestStatus = strawberry.enum(models.JoinRequestStatus, name="JoinRequestStatus")
AuditOutcome = strawberry.enum(models.AuditOutcome, name="AuditOutcome")
AssignmentStatus = strawberry.enum(
    models.AssignmentStatus, description="PLANNED -> IN_PROGRESS -> SUBMITTED -> REVIEWED."
)
RecordSection = strawberry.enum(models.RecordSection)
ApiTokenScope = strawberry.enum(models.ApiTokenScope)
