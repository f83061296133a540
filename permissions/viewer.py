"""Who is asking: the signed-in account (if any) and its active memberships, read once per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import models
from permissions.roles import Permission, permissions_of


@dataclass
class Viewer:
    account: models.Account | None = None
    session: models.Session | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    _memberships: dict[uuid.UUID, models.Member | None] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.account is not None

    async def member_of(self, healthspace_id: uuid.UUID) -> models.Member | None:
        """The viewer's ACTIVE membership of that Healthspace. Read from the database on each
        request, so a deactivation takes effect at the member's very next request."""
        if self.account is None:
            return None
        if healthspace_id not in self._memberships:
            self._memberships[healthspace_id] = await models.Member.get_or_none(
                account_id=self.account.id,
                healthspace_id=healthspace_id,
                status=models.MemberStatus.ACTIVE,
            )
        return self._memberships[healthspace_id]

    async def permissions_in(self, healthspace_id: uuid.UUID) -> frozenset[Permission]:
        member = await self.member_of(healthspace_id)
        return member_permissions(member)

    async def is_staff_of(self, healthspace_id: uuid.UUID) -> bool:
        member = await self.member_of(healthspace_id)
        return member is not None and member.kind == models.MemberKind.STAFF

    def forget_memberships(self) -> None:
        """Drop what was read, after a mutation changed the viewer's own memberships."""
        self._memberships.clear()


def member_permissions(member: models.Member | None) -> frozenset[Permission]:
    if member is None or member.kind != models.MemberKind.STAFF:
        return frozenset()
    if member.status != models.MemberStatus.ACTIVE:
        return frozenset()
    return permissions_of(member.roles, member.granted_permissions)
