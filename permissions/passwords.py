"""Password rules and argon2id hashing, run off the event loop."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 10
MAX_LENGTH = 200
PASSWORD_RULE = (
    f"Use at least {MIN_LENGTH} characters, with at least one letter and one digit or symbol."
)


def password_problem(password: str) -> str | None:
    """Why a new password is too weak, or None when it is acceptable."""
    if len(password) < MIN_LENGTH or len(password) > MAX_LENGTH:
        return PASSWORD_RULE
    if not any(char.isalpha() for char in password):
        return PASSWORD_RULE
    if all(char.isalpha() for char in password):
        return PASSWORD_RULE
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so a missing account cannot be told apart.
        await asyncio.to_thread(_verify_dummy, password)
        return False
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("carespace-dummy-password-1")


def _verify_dummy(password: str) -> None:
    try:
        _hasher.verify(_dummy_hash(), password)
    except VerificationError:
        pass
