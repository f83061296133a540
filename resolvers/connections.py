"""Connections between a client member and a staff member with the CLINICIAN role."""

from __future__ import annotations

import models
from permissions.roles import Role
from permissions.viewer import Viewer
from resolvers.audit import record_event
from schema.errors import ErrorCode, Rejected


def check_connectable(client: models.Member, staff: models.Member) -> None:
    """The rules every new connection meets, whoever makes it."""
    if client.healthspace_id != staff.healthspace_id:  # type: ignore[attr-defined]
        raise Rejected(
            ErrorCode.NOT_FOUND, "Both members must belong to the same Healthspace.", ["staffId"]
        )
    if client.kind != models.MemberKind.CLIENT:
        raise Rejected(
            ErrorCode.NOT_A_CLIENT,
            "Connections link a client to a clinician; this member is not a client.",
            ["clientId"],
        )
    if staff.kind != models.MemberKind.STAFF or Role.CLINICIAN.value not in staff.roles:
        raise Rejected(
            ErrorCode.NOT_A_CLINICIAN,
            "Only staff members with the clinician role can be connected to a client.",
            ["staffId"],
        )
    for member, field in ((client, "clientId"), (staff, "staffId")):
        if member.status != models.MemberStatus.ACTIVE:
            raise Rejected(
                ErrorCode.MEMBER_DEACTIVATED, "Deactivated members cannot be connected.", [field]
            )


async def connect(
    viewer: Viewer | None,
    client: models.Member,
    staff: models.Member,
    *,
    created_by: models.Member | None,
) -> models.Connection:
    """Create a current connection (call inside a transaction). Twice is ALREADY_CONNECTED: the
    unique `current_key` keeps that true under concurrent requests too."""
    check_connectable(client, staff)
    key = f"{client.id}:{staff.id}"
    if await models.Connection.exists(current_key=key):
        raise Rejected(
            ErrorCode.ALREADY_CONNECTED, "These members are connected already.", ["staffId"]
        )
    connection = await models.Connection.create(
        healthspace_id=client.healthspace_id,  # type: ignore[attr-defined]
        client=client,
        staff=staff,
        created_by=created_by,
        current_key=key,
    )
    await record_event(
        viewer,
        "CONNECTION_ADDED",
        healthspace_id=client.healthspace_id,  # type: ignore[attr-defined]
        actor=created_by,
        client_member_id=client.id,
        subject_id=connection.id,
        details={"staff_member_id": str(staff.id)},
    )
    return connection
