"""Pages whose parts are read only when a query selects them: `members(first: 1) { totalCount }`
reads the count (through a batching loader) and never the rows, so a list of Healthspaces costs
the same number of statements for 5 as for 50."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Generic, TypeVar

from schema.pagination import Page, PageInfo, encode_cursor, page_window

T = TypeVar("T")


class Deferred(Generic[T]):
    """An awaitable that starts its work the first time it is awaited, and only once. GraphQL
    awaits a field's value, so a field never selected never runs its query."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._future: asyncio.Future[T] | None = None

    def __await__(self) -> Generator[Any, None, T]:
        if self._future is None:
            self._future = asyncio.ensure_future(self._make())
        return self._future.__await__()


def deferred_page(
    read_rows: Callable[[int, int], Awaitable[Sequence[Any]]],
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    count: Callable[[], Awaitable[int]],
    prepare: Callable[[Sequence[Any]], Awaitable[None]] | None = None,
) -> Page[T]:
    """A page of a list whose rows (`read_rows(offset, limit)`, ordered) and total (`count`,
    e.g. a loader) are read only when selected. A bad `first` or `after` is refused at once
    (BAD_USER_INPUT). `prepare`, when given, sees the rows before they become nodes."""
    offset, limit = page_window(first, after)

    async def read_page() -> Sequence[Any]:
        return list(await read_rows(offset, limit)) if limit else []

    rows: Deferred[Sequence[Any]] = Deferred(read_page)
    total: Deferred[int] = Deferred(count)

    async def nodes() -> list[T]:
        found = await rows
        if prepare is not None:
            await prepare(found)
        return [to_node(row) for row in found]

    async def page_info() -> PageInfo:
        found = await rows
        end = offset + len(found) - 1
        return PageInfo(
            end_cursor=encode_cursor(end) if found else None,
            has_next_page=end + 1 < await total,
        )

    return Page(
        nodes=Deferred(nodes),  # type: ignore[arg-type]
        page_info=Deferred(page_info),  # type: ignore[arg-type]
        total_count=total,  # type: ignore[arg-type]
    )
