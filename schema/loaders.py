"""Per-request data loaders: one query per batch, results in key order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q
from tortoise.models import Model

import models


def _by_id(model: type[Model], *related: str) -> Callable[[list[uuid.UUID]], Awaitable[list[Any]]]:
    async def load(ids: list[uuid.UUID]) -> list[Any]:
        query = model.filter(id__in=ids)
        if related:
            query = query.select_related(*related)
        found = {row.id: row for row in await query}
        return [found.get(row_id) for row_id in ids]

    return load


async def _current_connections(member_ids: list[uuid.UUID]) -> list[list[models.Connection]]:
    rows = await models.Connection.filter(
        Q(client_id__in=member_ids) | Q(staff_id__in=member_ids), current_key__not_isnull=True
    ).order_by("created_at")
    grouped: dict[uuid.UUID, list[models.Connection]] = defaultdict(list)
    for row in rows:
        grouped[row.client_id].append(row)  # type: ignore[attr-defined]
        grouped[row.staff_id].append(row)  # type: ignore[attr-defined]
    return [grouped.get(member_id, []) for member_id in member_ids]


async def _connected_pairs(keys: list[str]) -> list[bool]:
    """Whether each "<client id>:<staff id>" pair is connected now (the current_key column)."""
    current = set(
        await models.Connection.filter(current_key__in=keys).values_list("current_key", flat=True)
    )
    return [key in current for key in keys]


class Loaders:
    """Built fresh for every request, so nothing cached outlives it."""

    def __init__(self) -> None:
        self.account = DataLoader(_by_id(models.Account))
        self.healthspace = DataLoader(_by_id(models.Healthspace))
        self.member = DataLoader(_by_id(models.Member, "account"))
        self.current_connections = DataLoader(_current_connections)
        self.connected_pair = DataLoader(_connected_pairs)

    def prime_members(self, members: Sequence[models.Member]) -> None:
        for member in members:
            self.member.prime(member.id, member)
