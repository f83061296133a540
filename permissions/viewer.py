"""Who is asking: the signed-in account (if any) and its active memberships, read once per request."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import models
from permissions.roles import Permission, permissions_of


@dataclass
class Viewer:
    account: models.Account | None = None
    session: models.Session | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    _loading: asyncio.Future[dict[uuid.UUID, models.Member]] | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.account is not None

    async def member_of(self, healthspace_id: uuid.UUID) -> models.Member | None:
        """The viewer's ACTIVE membership of that Healthspace. Read from the database on each
        request, so a deactivation takes effect at the member's very next request."""
        if self.account is None:
            return None
        if self._loading is None:
            # One query for all of them, shared by fields resolving at once: an account has few
            # memberships, and a list of Healthspaces then costs no statement per Healthspace
            # (issue 9, item 5).
            self._loading = asyncio.ensure_future(self._read_memberships(self.account.id))
        memberships = await asyncio.shield(self._loading)
        return memberships.get(healthspace_id)

    async def _read_memberships(self, account_id: uuid.UUID) -> dict[uuid.UUID, models.Member]:
        rows = await models.Member.filter(account_id=account_id, status=models.MemberStatus.ACTIVE)
        return {row.healthspace_id: row for row in rows}

    async def permissions_in(self, healthspace_id: uuid.UUID) -> frozenset[Permission]:
        member = await self.member_of(healthspace_id)
        return member_permissions(member)

    async def is_staff_of(self, healthspace_id: uuid.UUID) -> bool:
        member = await self.member_of(healthspace_id)
        return member is not None and member.kind == models.MemberKind.STAFF

    def forget_memberships(self) -> None:
        """Drop what was read, after a mutation changed the viewer's own memberships."""
        self._loading = None


def member_permissions(member: models.Member | None) -> frozenset[Permission]:
    if member is None or member.kind != models.MemberKind.STAFF:
        return frozenset()
    if member.status != models.MemberStatus.ACTIVE:
        return frozenset()
    return permissions_of(member.roles, member.granted_permissions)
