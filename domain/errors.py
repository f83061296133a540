"""The one error a domain rule raises: one or more (field, code, message) problems.

Mutations return the problems as the payload's `errors`; the command line prints them. Raising
`DomainError` inside `in_transaction()` also rolls back everything written so far."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Machine-readable reason of an expected failure (GraphQL enum `ErrorCode`)."""

    INVALID = "INVALID"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
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
    INVITER_NO_LONGER_ALLOWED = "INVITER_NO_LONGER_ALLOWED"
    INVALID_STATE = "INVALID_STATE"
    IN_THE_FUTURE = "IN_THE_FUTURE"


@dataclass(frozen=True)
class Problem:
    """One broken rule: the input path it concerns (`["input", "email"]`, or None for the
    whole call), its code and a message a person can read."""

    field: tuple[str, ...] | None
    code: ErrorCode
    message: str
    # RATE_LIMITED: whole seconds until a new attempt can succeed (domain/rate_limits.py).
    retry_after: int | None = None


class DomainError(Exception):
    """Raised by a rule with one problem (`DomainError(code, message, field)`) or, through
    `DomainError.of(problems)`, several at once (e.g. a bad email and a weak password)."""

    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = [
            Problem(field=tuple(field) if field else None, code=code, message=message)
        ]

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> DomainError:
        """One error carrying every problem of `problems` (which must not be empty)."""
        collected = list(problems)
        if not collected:
            raise ValueError("DomainError.of needs at least one problem")
        error = cls(collected[0].code, collected[0].message, collected[0].field)
        error.problems = collected
        return error
