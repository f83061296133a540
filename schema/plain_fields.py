"""Fields answered by a plain read of the object a type wraps: its model row or its account.

A type such as Member wraps its model object (`row`) instead of copying the row's values into
its own attributes when it is made: a page of 100 members asks for a few of each member's
columns, and the others are then never read, so never converted (models/rows.py leaves them as
the driver returned them). A plain field has no arguments and no guard; its value is
`getter(source)`, which `schema.execution.PlainLeafExecution` reads without graphql-core's
field machinery (and graphql-core reads through the resolver below, with the same value).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry

# The attribute of a plain field's resolver function that holds its getter.
GETTER = "plain_getter"

Getter = Callable[[Any], Any]


def plain_field(getter: Getter, *, description: str | None = None) -> Any:
    """A Strawberry field (its GraphQL type is the class annotation) whose value is
    `getter(source)`: a value, None, or an awaitable of it. `getter` may be called twice for
    one answer (the short path, then graphql-core's when the value is None or awaitable), so
    it only reads, and an awaitable it returns starts nothing before it is awaited (a
    coroutine, which the short path closes, or an object such as `schema.people.AccountOf`'s)."""

    def resolve(self: Any) -> Any:
        return getter(self)

    setattr(resolve, GETTER, getter)
    resolve.__annotations__.pop("return")  # the field's type is the class annotation
    return strawberry.field(resolver=resolve, description=description)


def row_field(
    attribute: str,
    *,
    convert: Callable[[Any], Any] | None = None,
    description: str | None = None,
) -> Any:
    """A `plain_field` answering the wrapped row's `attribute` (the type's `row`), passed
    through `convert` (e.g. `str` for an id) unless it is None."""
    read = attrgetter(f"row.{attribute}")
    if convert is None:
        return plain_field(read, description=description)

    def converted(source: Any) -> Any:
        value = read(source)
        return None if value is None else convert(value)

    return plain_field(converted, description=description)


def getter_of(resolver: object) -> Getter | None:
    """The getter of a `plain_field`'s resolver function; None for anything else."""
    getter: Getter | None = getattr(resolver, GETTER, None)
    return getter
