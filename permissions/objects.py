"""Object-level visibility: who may see a Healthspace, a member or another row of a Healthspace.
Used by every resolver and guard that returns or acts on one, so each rule lives here once."""

from __future__ import annotations

from typing import Any

import models
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
    if mine is None or mine.healthspace_id != member.healthspace_id:  # type: ignore[attr-defined]
        return False
    if mine.id == member.id or mine.kind == models.MemberKind.STAFF:
        return True
    return member.kind == models.MemberKind.STAFF and connected_staff


async def can_see_member(viewer: Viewer, member: models.Member) -> bool:
    """`sees_member` for one member (one query at most; lists use the batched loader)."""
    mine = await viewer.member_of(member.healthspace_id)  # type: ignore[attr-defined]
    if mine is None:
        return False
    connected = (
        mine.kind == models.MemberKind.CLIENT
        and member.kind == models.MemberKind.STAFF
        and await models.Connection.exists(current_key=models.connection_key(mine.id, member.id))
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
