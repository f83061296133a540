"""Expected failures of mutations, returned in each payload's `errors` list."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import strawberry


@strawberry.enum
class ErrorCode(StrEnum):
    INVALID = "INVALID"
    INVALID_EMAIL = "INVALID_EMAIL"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    TOO_LONG = "TOO_LONG"
    REQUIRED = "REQUIRED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_DEACTIVATED = "ACCOUNT_DEACTIVATED"
    INVALID_TOKEN = "INVALID_TOKEN"
    EXPIRED_TOKEN = "EXPIRED_TOKEN"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_ROLE = "INVALID_ROLE"
    INVALID_PERMISSION = "INVALID_PERMISSION"
    LAST_ADMINISTRATOR = "LAST_ADMINISTRATOR"
    MEMBER_DEACTIVATED = "MEMBER_DEACTIVATED"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_INVITED = "ALREADY_INVITED"
    ALREADY_CONNECTED = "ALREADY_CONNECTED"
    NOT_CONNECTED = "NOT_CONNECTED"
    NOT_A_CLINICIAN = "NOT_A_CLINICIAN"
    NOT_A_CLIENT = "NOT_A_CLIENT"
    NOT_PENDING = "NOT_PENDING"
    ALREADY_DECIDED = "ALREADY_DECIDED"
    ALREADY_REQUESTED = "ALREADY_REQUESTED"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    EMAIL_MISMATCH = "EMAIL_MISMATCH"
    RATE_LIMITED = "RATE_LIMITED"
    ROSTER_TOO_LONG = "ROSTER_TOO_LONG"


@strawberry.type
class UserError:
    field: list[str] | None
    code: ErrorCode
    message: str


class Rejected(Exception):
    """Raised by a domain rule; the mutation returns it as `errors` in its payload. Raising it
    inside `in_transaction()` also rolls back everything written so far."""

    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.errors = [UserError(field=list(field) if field else None, code=code, message=message)]
