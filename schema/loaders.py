"""Per-request data loaders: one query per batch, results in key order. The reads themselves
are domain functions; a loader only batches the keys of one request."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from functools import cache
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

import models
from domain.connections import connected_keys, current_connections_on_side, own_side
from domain.member_lists import MemberFilter, count_members
from models.prepared import Prepared

M = TypeVar("M", bound=Model)
K = TypeVar("K")
V = TypeVar("V")


class NotReady(Enum):
    """A loader has no finished value for a key yet (see `ready`)."""

    NOT_READY = "NOT_READY"


NOT_READY = NotReady.NOT_READY


def ready(loader: DataLoader[K, V], key: K) -> V | NotReady:
    """The value `loader` already holds for `key` in this request (primed, or loaded by an
    earlier batch), without waiting; `NOT_READY` when it must still be awaited. Fields of every
    node of a list use it to answer synchronously, so that the nodes do not each become an
    asyncio task; a failed load is NOT_READY (awaiting it raises where it belongs)."""
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception():
        return NOT_READY
    return future.result()


# (Healthspace id, what the members list asks for): one `totalCount` of `Healthspace.members`.
MemberCountKey = tuple[uuid.UUID, MemberFilter]


@cache
def _rows_by_id(model: type[M], related: tuple[str, ...]) -> Prepared[M]:
    """The prepared read of `model` rows by id, `related` fetched with them: one per model for
    the process, so that every request's loaders run the SQL prepared once."""
    return Prepared(lambda ids: model.filter(id__in=ids).select_related(*related))


def _by_id(model: type[M], *related: str) -> Callable[[list[uuid.UUID]], Awaitable[list[M | None]]]:
    read = _rows_by_id(model, related)

    async def load(ids: list[uuid.UUID]) -> list[M | None]:
        found = {row.pk: row for row in await read.rows(ids)}
        return [found.get(row_id) for row_id in ids]

    return load


def existing(row: M | None) -> M:
    """`row` as loaded by the id a foreign key holds: the database keeps every row a foreign
    key names (on_delete RESTRICT), so a missing one is a bug. Raises LookupError then."""
    if row is None:
        raise LookupError("A row named by a foreign key is missing.")
    return row


# (member id, member kind): the member's current connections on their own side.
MemberSideKey = tuple[uuid.UUID, models.MemberKind]


def side_key(member: models.Member) -> MemberSideKey:
    """The member's key of `Loaders.current_connections`: their connections on the side of
    their kind now (`domain.connections.own_side`)."""
    return (member.id, member.kind)


_CURRENT_CONNECTIONS = Prepared(current_connections_on_side)


async def _current_connections(keys: list[MemberSideKey]) -> list[list[models.Connection]]:
    """One statement per kind among the keys (a page of clients: one)."""
    grouped: dict[MemberSideKey, list[models.Connection]] = defaultdict(list)
    for kind in {kind for _, kind in keys}:
        ids = [member_id for member_id, of_kind in keys if of_kind == kind]
        side = own_side(kind)
        for row in await _CURRENT_CONNECTIONS.rows(kind, ids):
            grouped[(getattr(row, side), kind)].append(row)
    return [grouped.get(key, []) for key in keys]


async def _connected_pairs(keys: list[str]) -> list[bool]:
    """Whether each `models.connection_key` pair is connected now."""
    current = await connected_keys(keys)
    return [key in current for key in keys]


async def _member_counts(keys: list[MemberCountKey]) -> list[int]:
    """One count statement per distinct filter, for every Healthspace asking with it."""
    by_filter: dict[MemberFilter, list[uuid.UUID]] = defaultdict(list)
    for healthspace_id, wanted in keys:
        by_filter[wanted].append(healthspace_id)
    counts: dict[MemberCountKey, int] = {}
    for wanted, healthspace_ids in by_filter.items():
        for healthspace_id, count in zip(
            healthspace_ids, await count_members(healthspace_ids, wanted), strict=True
        ):
            counts[(healthspace_id, wanted)] = count
    return [counts[key] for key in keys]


class Loaders:
    """Built fresh for every request, so nothing cached outlives it."""

    def __init__(self) -> None:
        self.account: DataLoader[uuid.UUID, models.Account | None] = DataLoader(
            _by_id(models.Account)
        )
        self.healthspace: DataLoader[uuid.UUID, models.Healthspace | None] = DataLoader(
            _by_id(models.Healthspace)
        )
        self.member: DataLoader[uuid.UUID, models.Member | None] = DataLoader(
            _by_id(models.Member, "account")
        )
        self.current_connections: DataLoader[MemberSideKey, list[models.Connection]] = DataLoader(
            _current_connections
        )
        self.connected_pair: DataLoader[str, bool] = DataLoader(_connected_pairs)
        self.member_count: DataLoader[MemberCountKey, int] = DataLoader(_member_counts)

    def prime_members(self, members: Sequence[models.Member]) -> None:
        self.member.prime_many({member.id: member for member in members})

    async def read_now(self, loader: DataLoader[K, V], keys: Sequence[K]) -> None:
        """Read the values of `keys` the loader does not hold yet in one batch and prime the
        loader with them, without a future per key: a page reads, before its nodes resolve,
        what their fields will ask the loader for (`schema.members.prepare_member_nodes`)."""
        missing = list(dict.fromkeys(key for key in keys if loader.cache_map.get(key) is None))
        if missing:
            values = await loader.load_fn(missing)
            # A key whose value is an exception stays unread: loading it raises where it belongs.
            loader.prime_many(
                {
                    key: value
                    for key, value in zip(missing, values, strict=True)
                    if not isinstance(value, BaseException)
                }
            )
