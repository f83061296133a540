"""Checks of user input shared by every domain; each failure is a `DomainError` with a field."""

from __future__ import annotations

import datetime as dt
import re

from domain.errors import DomainError, ErrorCode

MAX_NOTE_LENGTH = 1000
MAX_NAME_LENGTH = 100

# Deliberately strict: one @, no whitespace, a dotted domain of letters, digits and hyphens.
_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$"
)


def normalized_email(value: str) -> str | None:
    """The address lower-cased and trimmed, or None when it is not a usable address."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        return None
    local = email.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return email


def shown(value: str, length: int = 40) -> str:
    """At most `length` characters of `value` (stripped) for an error message, "…" marking a cut:
    messages never echo a long input back (issue 12, item 2)."""
    text = value.strip()
    return text if len(text) <= length else text[:length] + "…"


def require_email(value: str, field: str = "email") -> str:
    email = normalized_email(value)
    if email is None:
        raise DomainError(
            ErrorCode.INVALID_EMAIL, f"{shown(value)!r} is not a valid email address.", [field]
        )
    return email


def require_text(value: str | None, field: str, *, max_length: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required.", [field])
    if len(text) > max_length:
        raise DomainError(
            ErrorCode.TOO_LONG, f"{field} may be at most {max_length} characters.", [field]
        )
    return text


def checked_date_of_birth(value: dt.date | None, today: dt.date) -> dt.date | None:
    if value is not None and (value > today or value.year < 1900):
        raise DomainError(
            ErrorCode.INVALID, "This is not a possible date of birth.", ["dateOfBirth"]
        )
    return value
