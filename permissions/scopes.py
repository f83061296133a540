"""Where a field's permission applies: the Healthspace named by, or owning, an argument."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.models import Model

# Reads a field's parent object and arguments and returns the Healthspace they act in, or None
# when they name nothing that exists.
Scope = Callable[[Any, dict[str, Any]], Awaitable[uuid.UUID | None]]


def parse_id(value: object) -> uuid.UUID | None:
    """A UUID from an ID argument; None for anything malformed."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _argument(kwargs: dict[str, Any], name: str) -> object:
    if name in kwargs:
        return kwargs[name]
    payload = kwargs.get("input")
    return getattr(payload, name, None)


def healthspace_argument(name: str = "healthspace_id") -> Scope:
    """The Healthspace whose id is the argument (or input field) `name`."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> uuid.UUID | None:
        return parse_id(_argument(kwargs, name))

    return scope


def healthspace_of(model: type[Model], name: str = "id") -> Scope:
    """The Healthspace owning the row of `model` whose id is the argument `name`."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> uuid.UUID | None:
        row_id = parse_id(_argument(kwargs, name))
        if row_id is None:
            return None
        rows = await model.filter(id=row_id).values_list("healthspace_id", flat=True)
        return rows[0] if rows else None

    return scope


def parent_healthspace() -> Scope:
    """For fields of a Healthspace type: the Healthspace itself."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> uuid.UUID | None:
        return parse_id(source.id)

    return scope
