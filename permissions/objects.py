"""Object-level visibility: who may see a Healthspace, a member or a client's record. Used by
every resolver that returns one, so the rule lives here once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

import models
from permissions.roles import Role
from permissions.viewer import Viewer


async def can_see_healthspace(viewer: Viewer, healthspace: models.Healthspace) -> bool:
    """Members see their Healthspace; any signed-in account sees one that lets clients find it."""
    if not viewer.is_authenticated:
        return False
    return healthspace.findable or await viewer.member_of(healthspace.id) is not None


async def can_see_member(viewer: Viewer, member: models.Member) -> bool:
    """Staff see every member of their Healthspace; anyone sees their own membership; a client
    sees the staff members they are connected to."""
    mine = await viewer.member_of(member.healthspace_id)  # type: ignore[attr-defined]
    if mine is None:
        return False
    if mine.id == member.id or mine.kind == models.MemberKind.STAFF:
        return True
    return member.kind == models.MemberKind.STAFF and await models.Connection.exists(
        client_id=mine.id, staff_id=member.id, current_key__not_isnull=True
    )


class RecordRole(StrEnum):
    """As whom a record is open: the client themself, connected staff, or an integration."""

    CLIENT = "CLIENT"
    STAFF = "STAFF"
    INTEGRATION = "INTEGRATION"


@dataclass(frozen=True)
class RecordAccess:
    """An open record: the client (with account), who opened it and as whom. Only
    `record_access` makes one, so holding one means the decision was taken this request."""

    client: models.Member
    role: RecordRole
    member: models.Member | None = None  # the viewer's membership; None for an integration
    api_token: models.ApiToken | None = None

    @property
    def healthspace_id(self) -> uuid.UUID:
        return self.client.healthspace_id  # type: ignore[attr-defined,no-any-return]

    def may_read(self, section: models.RecordSection) -> bool:
        """Staff read every section; the client all but the notes; an integration none."""
        if self.role == RecordRole.STAFF:
            return True
        return self.role == RecordRole.CLIENT and section != models.RecordSection.NOTES


async def record_access(
    viewer: Viewer,
    client_id: uuid.UUID | None,
    *,
    api_token: models.ApiToken | None = None,
) -> RecordAccess | None:
    """THE decision who may open a client's record (DESIGN §2; issue 11 "Access, in one place").

    Open to: the client themself; a staff member with the CLINICIAN role and a current
    connection to the client; an integration's API token of the client's Healthspace with the
    LOG_VIDEO_CALLS scope, not revoked. Client and staff member must both be ACTIVE. Everything
    is read from the database on each call, so ending a connection, deactivating either member
    or removing the role closes the record at the very next request. Any other viewer, and an id
    that does not exist or is not a client, gets None: the same answer, never a hint.
    """
    if client_id is None:
        return None
    client = await models.Member.get_or_none(
        id=client_id, kind=models.MemberKind.CLIENT, status=models.MemberStatus.ACTIVE
    ).select_related("account")
    if client is None:
        return None
    if api_token is not None:
        if (
            api_token.revoked_at is None
            and api_token.scope == models.ApiTokenScope.LOG_VIDEO_CALLS
            and api_token.healthspace_id == client.healthspace_id  # type: ignore[attr-defined]
        ):
            return RecordAccess(client, RecordRole.INTEGRATION, api_token=api_token)
        return None
    mine = await viewer.member_of(client.healthspace_id)  # type: ignore[attr-defined]
    if mine is None:
        return None
    if mine.id == client.id:
        return RecordAccess(client, RecordRole.CLIENT, mine)
    if (
        mine.kind == models.MemberKind.STAFF
        and Role.CLINICIAN.value in mine.roles
        and await models.Connection.exists(current_key=f"{client.id}:{mine.id}")
    ):
        return RecordAccess(client, RecordRole.STAFF, mine)
    return None
