"""Finding the session behind a bearer token or cookie."""

from __future__ import annotations

from datetime import UTC, datetime

import models
from permissions.tokens import hash_token


async def session_for_token(token: str | None) -> models.Session | None:
    """The live session of this token (account fetched with it), or None."""
    if not token:
        return None
    session = await models.Session.get_or_none(
        token_hash=hash_token(token), revoked_at=None
    ).select_related("account")
    if session is None or session.expires_at <= datetime.now(UTC):
        return None
    if session.account.deactivated_at is not None:
        return None
    return session


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
