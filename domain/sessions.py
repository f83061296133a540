"""Sign-in sessions: opening one for an account and ending one (sign-out). Reading a session
from its token is permissions/sessions.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import models
from permissions.tokens import hash_token, new_token


async def open_session(
    account: models.Account,
    lifetime: timedelta,
    *,
    ip_address: str | None,
    user_agent: str | None,
) -> tuple[models.Session, str]:
    """A new session of `account` valid for `lifetime`, with where it came from. Returns the row
    and its token (only the token's hash is stored: the token is shown this once)."""
    token = new_token()
    session = await models.Session.create(
        account=account,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + lifetime,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return session, token


async def end_session(session_id: uuid.UUID) -> None:
    """Revoke the session `session_id` from now on (its token stops working)."""
    await models.Session.filter(id=session_id).update(revoked_at=datetime.now(UTC))
