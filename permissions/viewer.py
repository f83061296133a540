"""Who is asking: the signed-in account (if any) and its active memberships, read once per request."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from enum import Enum

import models
from models.prepared import Prepared
from permissions.roles import Permission, permissions_of


class Unknown(Enum):
    """Not read yet in this request (see `Viewer.member_of_now`)."""

    UNKNOWN = "UNKNOWN"


UNKNOWN = Unknown.UNKNOWN

# The viewer's active memberships, each with its Healthspace: read once per request with a
# viewer, prepared once (models/prepared.py).
_ACTIVE_MEMBERSHIPS = Prepared(
    lambda account_id: models.Member.filter(
        account_id=account_id, status=models.MemberStatus.ACTIVE
    ).select_related("healthspace")
)


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
            self._loading = asyncio.ensure_future(self._read_memberships(self.account))
        memberships = await asyncio.shield(self._loading)
        return memberships.get(healthspace_id)

    def member_of_now(self, healthspace_id: uuid.UUID) -> models.Member | Unknown | None:
        """`member_of` without waiting: the membership (or None) when this request has already
        read the viewer's memberships, else `UNKNOWN` (the caller then awaits `member_of`). Lets
        a field of every node of a list decide without becoming an asyncio task."""
        if self.account is None:
            return None
        loading = self._loading
        if loading is None or not loading.done() or loading.cancelled():
            return UNKNOWN
        if loading.exception() is not None:
            return UNKNOWN  # awaiting member_of raises it where it belongs
        return loading.result().get(healthspace_id)

    async def active_memberships(self) -> list[models.Member]:
        """The viewer's ACTIVE memberships, oldest first, each with its Healthspace fetched: the
        rows `member_of` reads (one statement per request for both)."""
        if self.account is None:
            return []
        await self.member_of(uuid.UUID(int=0))
        assert self._loading is not None
        return sorted(self._loading.result().values(), key=lambda row: (row.created_at, row.id))

    @staticmethod
    async def _read_memberships(account: models.Account) -> dict[uuid.UUID, models.Member]:
        rows = await _ACTIVE_MEMBERSHIPS.rows(account.id)
        for row in rows:  # the viewer's own account, as if fetched with each membership
            object.__setattr__(row, "_account", account)
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
