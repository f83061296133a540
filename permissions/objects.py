"""Object-level visibility: who may see a Healthspace or a member. Used by every resolver that
returns one, so the rule lives here once."""

from __future__ import annotations

import models
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
