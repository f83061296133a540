"""Rate limits counted in the database, so they hold across server processes and cannot be
got around with aliases (each call counts, wherever it comes from) (issue 12, item 3).

`throttle(limit, *values)` is the one call at each site: it counts one attempt under every
value (an account's address, a client's IP address, an invitation) and raises RATE_LIMITED with
the seconds to wait when any of them is over its limit for the sliding window. Refused attempts
are not counted, so a lock-out ends at most one window after the last counted attempt;
`forgive` clears a value's count (a successful sign-in or a password reset), so the owner of an
account is never locked out by someone else's guesses for longer than it takes to reset the
password."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import models
from domain.errors import DomainError, ErrorCode, Problem


@dataclass(frozen=True)
class Limit:
    """At most `count` attempts per value within `window`; `name` keeps limits apart."""

    name: str
    count: int
    window: timedelta


# Failed sign-ins, per account (its address) and per client IP address.
SIGN_IN_PER_ACCOUNT = Limit("sign-in/account", 10, timedelta(minutes=15))
SIGN_IN_PER_IP = Limit("sign-in/ip", 100, timedelta(minutes=15))
# Wrong passwords given with an invitation link (per invitation token and per IP).
INVITATION_PASSWORD_PER_TOKEN = Limit("accept-invitation/token", 10, timedelta(minutes=15))
INVITATION_PASSWORD_PER_IP = Limit("accept-invitation/ip", 50, timedelta(minutes=15))
# Mails one can make us send to an address (and from one IP address), per hour.
RESET_MAILS_PER_ADDRESS = Limit("reset-mail/address", 3, timedelta(hours=1))
RESET_MAILS_PER_IP = Limit("reset-mail/ip", 20, timedelta(hours=1))
VERIFICATION_MAILS_PER_ADDRESS = Limit("verification-mail/address", 3, timedelta(hours=1))
# Sign-ups per client IP address and per address signed up with (each sends a mail), per hour.
SIGN_UPS_PER_IP = Limit("sign-up/ip", 10, timedelta(hours=1))
SIGN_UPS_PER_ADDRESS = Limit("sign-up/address", 5, timedelta(hours=1))


def _key(limit: Limit, value: str) -> str:
    return hashlib.sha256(f"{limit.name}:{value.lower()}".encode()).hexdigest()


async def throttle(*counted: tuple[Limit, str | None]) -> None:
    """Count one attempt for each `(limit, value)` pair (a None value, e.g. an unknown IP, is
    skipped) and raise `DomainError(RATE_LIMITED)` when any pair is then over its limit; the
    message says how long to wait and the problem carries `retry_after` (whole seconds).
    An attempt refused here is not counted."""
    now = datetime.now(UTC)
    added: list[int] = []
    wait = 0.0
    for limit, value in counted:
        if value is None:
            continue
        key = _key(limit, value)
        hit = await models.RateLimitHit.create(key=key, at=now)
        added.append(hit.id)
        # Only attempts counted before this one: of parallel attempts the first ones pass.
        recent = models.RateLimitHit.filter(key=key, at__gt=now - limit.window, id__lte=hit.id)
        if await recent.count() > limit.count:
            oldest = await recent.order_by("at").first()
            until = (oldest.at if oldest else now) + limit.window
            wait = max(wait, (until - now).total_seconds())
    if wait > 0:
        await models.RateLimitHit.filter(id__in=added).delete()
        seconds = max(1, math.ceil(wait))
        raise DomainError.of(
            [
                _rate_limited(
                    f"Too many attempts. Try again in {math.ceil(seconds / 60)} minute(s).",
                    seconds,
                )
            ]
        )


def _rate_limited(message: str, seconds: int) -> Problem:
    return Problem(field=None, code=ErrorCode.RATE_LIMITED, message=message, retry_after=seconds)


async def forgive(*counted: tuple[Limit, str | None]) -> None:
    """Forget the attempts counted for each `(limit, value)` pair."""
    keys = [_key(limit, value) for limit, value in counted if value is not None]
    if keys:
        await models.RateLimitHit.filter(key__in=keys).delete()


async def sweep(now: datetime | None = None, longest: timedelta = timedelta(hours=1)) -> int:
    """Delete hits older than the longest window; returns how many were deleted."""
    cutoff = (now or datetime.now(UTC)) - longest
    return await models.RateLimitHit.filter(at__lte=cutoff).delete()
