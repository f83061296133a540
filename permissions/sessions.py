"""Finding the session behind a bearer token or cookie."""

from __future__ import annotations

from datetime import UTC, datetime

import models
from models.prepared import Prepared
from permissions.tokens import hash_token

# Read on every request with a token: prepared once (models/prepared.py). token_hash is unique.
_UNREVOKED = Prepared(
    lambda token_hash: (
        models.Session.filter(token_hash=token_hash, revoked_at=None)
        .select_related("account")
        .limit(1)
    )
)


async def session_for_token(token: str | None) -> models.Session | None:
    """The live session of this token (account fetched with it), or None."""
    if not token:
        return None
    found = await _UNREVOKED.rows(hash_token(token))
    session = found[0] if found else None
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
