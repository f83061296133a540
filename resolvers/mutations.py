"""The one way mutations turn a broken domain rule into a payload with `errors`."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from domain.errors import DomainError
from schema.errors import user_errors

P = ParamSpec("P")
Payload = TypeVar("Payload")


def returns_errors(
    payload: Callable[..., Payload],
) -> Callable[[Callable[P, Awaitable[Payload]]], Callable[P, Awaitable[Payload]]]:
    """Wrap a mutation so a `DomainError` raised anywhere inside becomes `payload(errors=...)`
    with every object field left null."""

    def decorate(resolver: Callable[P, Awaitable[Payload]]) -> Callable[P, Awaitable[Payload]]:
        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Payload:
            try:
                return await resolver(*args, **kwargs)
            except DomainError as rejected:
                return payload(errors=user_errors(rejected))

        return wrapper

    return decorate
