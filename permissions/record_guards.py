"""The guard that names "this client's record": it finds the client a field is about, asks the
one access decision (`permissions.objects.record_access`) and hands the open record over to the
resolver (`found(info).target`, a `RecordAccess`, or None when the record is closed to the
viewer). A closed record is written to the access log as RECORD_DENIED; the resolver answers
it exactly like a record that does not exist (null, or NOT_FOUND in a payload)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

import models
from models.columns import column_values
from permissions.audit import record_event
from permissions.errors import Unauthenticated
from permissions.guards import Found, hand_over
from permissions.objects import record_access
from permissions.scopes import parse_id
from permissions.sessions import bearer_token
from permissions.tokens import hash_token

# Reads a field's parent object and arguments and returns the id of the client member whose
# record it opens, or None when they name nothing usable.
RecordScope = Callable[[Any, dict[str, Any]], Awaitable[uuid.UUID | None]]


def client_argument(name: str = "client_id") -> RecordScope:
    """The client whose member id is the argument (or input field) `name`."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> uuid.UUID | None:
        value = kwargs[name] if name in kwargs else getattr(kwargs.get("input"), name, None)
        return parse_id(value)

    return scope


def client_of_assignment(name: str = "id") -> RecordScope:
    """The client whose record holds the assignment named by the argument `name`."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> uuid.UUID | None:
        assignment_id = parse_id(kwargs.get(name))
        if assignment_id is None:
            return None
        rows = await column_values(
            models.Assignment.filter(id=assignment_id), "client_id", uuid.UUID
        )
        return rows[0] if rows else None

    return scope


def this_member() -> RecordScope:
    """For fields of the Member type: the member itself."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> uuid.UUID | None:
        return parse_id(source.id)

    return scope


async def api_token_of(info: Info) -> models.ApiToken | None:
    """The live Healthspace API token in the request's Authorization header, if any."""
    request = info.context.request
    token = bearer_token(request.headers.get("authorization"))
    if not token:
        return None
    return await models.ApiToken.get_or_none(token_hash=hash_token(token), revoked_at=None)


class OpensClientRecord(BasePermission):
    """This client's record, open to the viewer or not. Anonymous callers are refused with
    UNAUTHENTICATED (and audited) unless `integrations` lets a Healthspace API token in."""

    def __init__(
        self,
        scope: RecordScope,
        section: models.RecordSection | None = None,
        *,
        integrations: bool = False,
    ) -> None:
        self.scope = scope
        self.section = section
        self.integrations = integrations

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        token = (
            await api_token_of(info) if self.integrations and not viewer.is_authenticated else None
        )
        client_id = await self.scope(source, kwargs)
        if not viewer.is_authenticated and token is None:
            await self._refused(info, client_id, None)
            raise Unauthenticated()
        access = await record_access(viewer, client_id, api_token=token)
        if access is None:
            await self._refused(info, client_id, token)
        hand_over(info, Found(member=access.member if access else None, target=access))
        return True

    async def _refused(
        self, info: Info, client_id: uuid.UUID | None, token: models.ApiToken | None
    ) -> None:
        viewer = info.context.viewer
        rows = (
            await models.Member.filter(id=client_id).values("healthspace_id", "kind")
            if client_id
            else []
        )
        healthspace_id = rows[0]["healthspace_id"] if rows else None
        actor = await viewer.member_of(healthspace_id) if healthspace_id else None
        details: dict[str, Any] = {"field": f"{info.path.typename}.{info.field_name}"}
        if client_id is not None and not rows:
            details["unknown_client_id"] = str(client_id)
        if token is not None:
            details["api_token_id"] = str(token.id)
        await record_event(
            viewer,
            "RECORD_DENIED",
            healthspace_id=healthspace_id,
            actor=actor,
            client_member_id=client_id if rows and rows[0]["kind"] == "CLIENT" else None,
            section=self.section.value if self.section else None,
            outcome=models.AuditOutcome.DENIED,
            details=details,
        )


def record_guard(permission: OpensClientRecord) -> PermissionExtension:
    """The field extension running `permission` before the resolver."""
    return PermissionExtension(permissions=[permission], use_directives=False)
