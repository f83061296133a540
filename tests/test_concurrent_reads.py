"""Reads running beside each other and beside a transaction, on one database client: each gets
its own rows, and none sees another task's uncommitted rows (on SQLite, whose one connection
runs every statement, a SELECT skips the client's lock only while nothing holds it:
models/sqlite.py)."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import suppress

import pytest
from tortoise.transactions import in_transaction

import models
from models.prepared import Prepared

_BY_NAME = Prepared(lambda name: models.Healthspace.filter(name=name).order_by("id"))


class _RolledBack(Exception):
    pass


async def test_a_read_never_sees_another_tasks_uncommitted_rows(db: str) -> None:
    name = f"Uncommitted {uuid.uuid4().hex[:6]}"
    written = asyncio.Event()

    async def write_then_roll_back() -> None:
        with suppress(_RolledBack):
            async with in_transaction():
                await models.Healthspace.create(name=name)
                written.set()
                await asyncio.sleep(0.05)
                raise _RolledBack

    async def read() -> tuple[int, int, int]:
        await written.wait()
        return (
            len(await _BY_NAME.rows(name)),
            await models.Healthspace.filter(name=name).count(),
            len(await models.Healthspace.filter(name=name).values("id")),
        )

    _, seen = await asyncio.gather(write_then_roll_back(), read())
    assert seen == (0, 0, 0)
    assert await models.Healthspace.filter(name=name).count() == 0


async def test_on_sqlite_a_read_waits_for_a_transaction_then_sees_its_rows(db: str) -> None:
    if not db.startswith("sqlite"):
        pytest.skip("PostgreSQL reads on another connection, without waiting for the commit")
    name = f"Committed {uuid.uuid4().hex[:6]}"
    written = asyncio.Event()

    async def write() -> None:
        async with in_transaction():
            await models.Healthspace.create(name=name)
            written.set()
            await asyncio.sleep(0.02)

    async def read() -> int:
        await written.wait()
        return len(await _BY_NAME.rows(name))

    _, seen = await asyncio.gather(write(), read())
    assert seen == 1  # it waited for the transaction, then read the committed row


async def test_reads_side_by_side_each_get_their_own_rows(db: str) -> None:
    names = [f"Side {number} {uuid.uuid4().hex[:6]}" for number in range(12)]
    made = {name: (await models.Healthspace.create(name=name)).id for name in names}

    async def read(name: str) -> list[uuid.UUID]:
        return [row.id for row in await _BY_NAME.rows(name)]

    async def count(name: str) -> int:
        return await models.Healthspace.filter(name=name).count()

    found = await asyncio.gather(*(read(name) for name in names * 3))
    counted = await asyncio.gather(*(count(name) for name in names))
    assert found == [[made[name]] for name in names * 3]
    assert counted == [1] * len(names)
