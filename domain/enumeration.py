"""Answers that do not tell whether an address has an account (issue 12, item 4)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import models
from mailer import messages, outbox

# requestPasswordReset answers no sooner than this, for a known and an unknown address alike.
RESET_ANSWER_SECONDS = 0.05


@contextlib.asynccontextmanager
async def lasting_at_least(seconds: float) -> AsyncIterator[None]:
    """Make the block take at least `seconds` (monotonic clock), however it ends: the work for
    a known address (a token, a mail) then takes no longer, seen from outside, than none."""
    started = time.monotonic()
    try:
        yield
    finally:
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))


async def address_taken(
    *,
    email: str,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    language: str,
    link: str,
) -> models.Account:
    """signUp with an address that has an account: mail its owner ("someone tried to sign up
    with your address", a sign-in link) and return an unsaved account shaped like a new one,
    so the answer is the one a new address gets. `link` is where the owner can sign in or
    reset the password."""
    owner = await models.Account.get(email=email)
    await outbox.enqueue(
        messages.sign_up_attempt(
            to=owner.email, language=owner.language, first_name=owner.first_name, link=link
        )
    )
    return models.Account(
        id=uuid.uuid4(),
        email=email,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        language=language,
        email_verified=False,
        created_at=datetime.now(UTC),
    )
