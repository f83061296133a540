"""Object-level visibility: who may see a Healthspace, a member, another row of a Healthspace or
a client's record. Used by every resolver and guard that returns or acts on one, so each rule
lives here once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import models
from permissions.roles import is_clinician
from permissions.viewer import Viewer


async def can_see_healthspace(viewer: Viewer, healthspace: models.Healthspace) -> bool:
    """Members see their Healthspace; any signed-in account sees one that lets clients find it."""
    if not viewer.is_authenticated:
        return False
    return healthspace.findable or await viewer.member_of(healthspace.id) is not None


def sees_member(mine: models.Member | None, member: models.Member, connected_staff: bool) -> bool:
    """The rule of `member(id:)`, given the viewer's membership of the member's Healthspace and
    whether `member` is a staff member with a current connection to the viewer (as client):
    staff see every member of their Healthspace; anyone sees their own membership; a client sees
    the staff members they are connected to; nobody else sees anything."""
    if mine is None or mine.healthspace_id != member.healthspace_id:
        return False
    if mine.id == member.id or mine.kind == models.MemberKind.STAFF:
        return True
    return member.kind == models.MemberKind.STAFF and connected_staff


async def can_see_member(viewer: Viewer, member: models.Member) -> bool:
    """`sees_member` for one member (one query at most; lists use the batched loader)."""
    mine = await viewer.member_of(member.healthspace_id)
    if mine is None:
        return False
    connected = (
        mine.kind == models.MemberKind.CLIENT
        and member.kind == models.MemberKind.STAFF
        and await models.current_connection(mine.id, member.id).exists()
    )
    return sees_member(mine, member, connected)


async def can_see_object(viewer: Viewer, mine: models.Member, target: Any) -> bool:
    """Whether the viewer, active member `mine` of the target's Healthspace, may see `target`
    (a row an argument names). Members follow `can_see_member`; any other row of a Healthspace
    (invitation, join request, roster batch, ...) is seen by its staff, and by a client only
    when it is theirs (their own membership, their own join request). A guard answers NOT_FOUND
    for what the viewer may not see, exactly as for a missing row (issue 7, item 4)."""
    if isinstance(target, models.Member):
        return await can_see_member(viewer, target)
    if mine.kind == models.MemberKind.STAFF:
        return True
    account = viewer.account
    owner_account = getattr(target, "account_id", None)
    return account is not None and owner_account == account.id


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
        return self.client.healthspace_id

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
            and api_token.healthspace_id == client.healthspace_id
        ):
            return RecordAccess(client, RecordRole.INTEGRATION, api_token=api_token)
        return None
    mine = await viewer.member_of(client.healthspace_id)
    if mine is None:
        return None
    if mine.id == client.id:
        return RecordAccess(client, RecordRole.CLIENT, mine)
    if is_clinician(mine) and await models.current_connection(client.id, mine.id).exists():
        return RecordAccess(client, RecordRole.STAFF, mine)
    return None
