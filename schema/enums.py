"""The domain's enums as GraphQL enums: each class is registered in place, so the GraphQL enum
and the class the domain and the models use are one object (as `domain.errors.ErrorCode` in
`schema.errors`). Import the classes from their home (`models`, `permissions.roles`); the
`schema` package imports this module first, so they are registered before any type uses them."""

from __future__ import annotations

import strawberry

from models import (
    ApiTokenScope,
    AssignmentStatus,
    AuditOutcome,
    InvitationStatus,
    JoinRequestStatus,
    MemberKind,
    MemberStatus,
    RecordSection,
)
from permissions.roles import Permission, Role

strawberry.enum(Role, name="Role")
strawberry.enum(Permission, name="Permission")
strawberry.enum(MemberKind, name="MemberKind")
strawberry.enum(MemberStatus, name="MemberStatus")
strawberry.enum(InvitationStatus, name="InvitationStatus")
strawberry.enum(JoinRequestStatus, name="JoinRequestStatus")
strawberry.enum(AuditOutcome, name="AuditOutcome")
strawberry.enum(AssignmentStatus, description="PLANNED -> IN_PROGRESS -> SUBMITTED -> REVIEWED.")
strawberry.enum(RecordSection)
strawberry.enum(ApiTokenScope)
