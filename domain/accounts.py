"""Accounts: the rules of passwords and sign-in."""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode
from permissions.passwords import password_problem


def require_password(password: str, field: str = "password") -> str:
    problem = password_problem(password)
    if problem:
        raise DomainError(ErrorCode.WEAK_PASSWORD, problem, [field])
    return password
