"""Pages of a list: `first` (at most 100) and `after`, answered with nodes, pageInfo, totalCount."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from permissions.errors import BadUserInput

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# The largest offset a cursor may carry: a GraphQL Int, far beyond any list here, and small
# enough that offset + 1 + `first` stays inside the 64-bit integers SQL OFFSET takes.
MAX_CURSOR_OFFSET = 2**31 - 1

T = TypeVar("T")


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class Page(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    total_count: int


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset of the row a cursor of `encode_cursor` points at.

    Raises BadUserInput for anything else: not base64 of `offset:<digits>` exactly as this API
    writes it, or an offset beyond MAX_CURSOR_OFFSET."""
    refused = BadUserInput("The `after` cursor is not one this API gave out.")
    # The longest cursor encode_cursor writes; checked first, so no huge text is decoded.
    if len(cursor) > len(encode_cursor(MAX_CURSOR_OFFSET)):
        raise refused
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeError) as error:
        raise refused from error
    if kind != "offset" or not (value.isascii() and value.isdigit()):
        raise refused
    offset = int(value)
    if offset > MAX_CURSOR_OFFSET or encode_cursor(offset) != cursor:
        raise refused
    return offset


def page_window(first: int | None, after: str | None) -> tuple[int, int]:
    """(offset, limit) for the page asked for; bad sizes are refused with BAD_USER_INPUT."""
    limit = DEFAULT_PAGE_SIZE if first is None else first
    if limit < 0 or limit > MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    offset = decode_cursor(after) + 1 if after else 0
    return offset, limit


def make_page(nodes: Sequence[T], offset: int, total: int) -> Page[T]:
    end = offset + len(nodes) - 1
    return Page(
        nodes=list(nodes),
        page_info=PageInfo(
            end_cursor=encode_cursor(end) if nodes else None,
            has_next_page=end + 1 < total,
        ),
        total_count=total,
    )


async def paginate(
    queryset: QuerySet[Any],
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    prepare: Callable[[Sequence[Any]], Awaitable[None]] | None = None,
) -> Page[T]:
    """One page of `queryset` (already ordered), each row converted by `to_node`; `prepare`,
    when given, sees the page's rows first (e.g. `schema.members.prepare_member_nodes`)."""
    return await page_of(
        lambda offset, limit: queryset.offset(offset).limit(limit),
        queryset.count,
        first,
        after,
        to_node,
        prepare,
    )


async def page_of(
    read_rows: Callable[[int, int], Awaitable[Sequence[Any]]],
    count: Callable[[], Awaitable[int]],
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    prepare: Callable[[Sequence[Any]], Awaitable[None]] | None = None,
) -> Page[T]:
    """`paginate` for a list read by `read_rows(offset, limit)` (the ordered rows) and
    `count()` (how many in all), e.g. a prepared read (models/prepared.py)."""
    offset, limit = page_window(first, after)
    total = await count()
    rows = await read_rows(offset, limit) if limit else []
    if prepare is not None:
        await prepare(rows)
    return make_page([to_node(row) for row in rows], offset, total)


def empty_page() -> Page[Any]:
    return Page(nodes=[], page_info=PageInfo(end_cursor=None, has_next_page=False), total_count=0)
