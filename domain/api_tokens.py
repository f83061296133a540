"""Healthspace API tokens for integrations (e.g. the video-call service logging calls): made and
revoked by an administrator (MANAGE_HEALTHSPACE), shown once, stored as their SHA-256."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.validation import require_text
from permissions.audit import record_event
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer


async def create_api_token(
    viewer: Viewer, actor: models.Member, name: str, scope: models.ApiTokenScope
) -> tuple[models.ApiToken, str]:
    """A new token of the actor's Healthspace with one `scope`; returns the row and the token
    itself (shown this once). Raises DomainError REQUIRED / TOO_LONG for the name."""
    label = require_text(name, "name", max_length=100, required=True)
    token = new_token()
    async with in_transaction():
        row = await models.ApiToken.create(
            healthspace_id=actor.healthspace_id,
            name=label,
            scope=scope,
            token_hash=hash_token(token),
            created_by=actor,
        )
        await record_event(
            viewer,
            "API_TOKEN_CREATED",
            healthspace_id=row.healthspace_id,
            actor=actor,
            subject_id=row.id,
            details={"scope": scope.value, "name": label},
        )
    return row, token


async def revoke_api_token(
    viewer: Viewer, actor: models.Member, token_id: uuid.UUID | None
) -> models.ApiToken:
    """Revoke a token of the actor's Healthspace; it stops working at the next request.
    Raises DomainError NOT_FOUND (another Healthspace's token too), INVALID_STATE when revoked
    already."""
    async with in_transaction():
        row = await models.ApiToken.get_or_none(
            id=token_id,
            healthspace_id=actor.healthspace_id,
        )
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such API token.", ["id"])
        if row.revoked_at is not None:
            raise DomainError(ErrorCode.INVALID_STATE, "This token is revoked already.", ["id"])
        row.revoked_at = datetime.now(UTC)
        await row.save(update_fields=["revoked_at"])
        await record_event(
            viewer,
            "API_TOKEN_REVOKED",
            healthspace_id=row.healthspace_id,
            actor=actor,
            subject_id=row.id,
        )
    return row
