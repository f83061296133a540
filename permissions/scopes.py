"""Where a field's permission applies: the Healthspace named by an argument, or the object an
argument names together with the Healthspace that owns it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import models


@dataclass(frozen=True)
class Scoped:
    """What a scope found: the Healthspace a field acts in and, when the arguments name an
    object (a member, a join request, a client's record...), that object's row."""

    healthspace_id: uuid.UUID
    target: Any = None


# Reads a field's parent object and arguments; returns what they act on, or None when they name
# nothing that exists.
Scope = Callable[[Any, dict[str, Any]], Awaitable[Scoped | None]]


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

    async def scope(source: Any, kwargs: dict[str, Any]) -> Scoped | None:
        healthspace_id = parse_id(_argument(kwargs, name))
        return Scoped(healthspace_id) if healthspace_id else None

    return scope


# The rows an object scope can name; each belongs to one Healthspace (`healthspace_id`).
ObjectRow = (
    models.Member | models.Invitation | models.JoinRequest | models.RosterBatch | models.ApiToken
)


def object_of(model: type[ObjectRow], name: str = "id") -> Scope:
    """The row of `model` whose id is the argument (or input field) `name`, and its Healthspace.
    The guard checks that the viewer may see that row before it checks any permission."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> Scoped | None:
        row_id = parse_id(_argument(kwargs, name))
        row = await model.get_or_none(id=row_id) if row_id else None
        if row is None:
            return None
        return Scoped(row.healthspace_id, row)

    return scope


# The former name: an object scope is what every "Healthspace of this row" scope needs.
healthspace_of = object_of


def parent_healthspace() -> Scope:
    """For fields of a Healthspace type: the Healthspace itself."""

    async def scope(source: Any, kwargs: dict[str, Any]) -> Scoped | None:
        healthspace_id = parse_id(source.id)
        return Scoped(healthspace_id) if healthspace_id else None

    return scope
