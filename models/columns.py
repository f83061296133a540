"""One column of a query's rows, typed.

Tortoise types `await query.values_list(name, flat=True)` as a list of tuples although it returns
the bare values; `column_values` says what the values are, so callers need no cast or ignore."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from tortoise.queryset import QuerySet

T = TypeVar("T")


async def column_values(query: QuerySet[Any], name: str, kind: type[T]) -> list[T]:
    """The value of column `name` (a field name, or a `relation__field` path) of each row of
    `query`, in the query's order: `await query.values_list(name, flat=True)`. `kind` is the
    Python type of the values (`uuid.UUID`, `str`, ...), for the type checker only."""
    return cast(list[T], await query.values_list(name, flat=True))
