"""models/bulk.py, the bulk writer under the roster, and the audit log's bulk form built on it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from models.bulk import BulkTable, copy_of, insert_rows
from permissions.audit import audit_event, record_events
from permissions.viewer import Viewer


@contextmanager
def writes() -> Iterator[list[str]]:
    """The INSERT and COPY statements sent inside the block."""
    seen: list[str] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().lstrip().upper()
            if message.startswith(("INSERT", "COPY")):
                seen.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Handler(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_insert_rows_writes_what_differs_and_what_is_shared_in_one_statement(
    db: str,
) -> None:
    # given 251 audit rows made from one template
    healthspace_id = uuid.uuid4()
    template = audit_event(None, "SOMETHING", healthspace_id=healthspace_id, details={"a": 1})
    rows = [template] + [
        copy_of(template, id=uuid.uuid4(), subject_id=uuid.uuid4(), details={"n": n})
        for n in range(250)
    ]

    # when they are inserted
    with writes() as statements:
        await insert_rows(get_connection("default"), rows)

    # then one statement wrote them all, each with its own values and the shared ones
    assert len(statements) == 1
    stored = await models.AuditEvent.filter(healthspace_id=healthspace_id).order_by("occurred_at")
    assert len(stored) == 251
    assert {row.id for row in stored} == {row.id for row in rows}
    by_id = {row.id: row for row in stored}
    for row in rows:
        assert by_id[row.id].subject_id == row.subject_id
        assert by_id[row.id].details == row.details
        assert by_id[row.id].action == "SOMETHING"
        assert by_id[row.id].occurred_at is not None


async def test_a_broken_constraint_is_an_integrity_error_and_rolls_back(db: str) -> None:
    event = audit_event(None, "ONCE")
    await insert_rows(get_connection("default"), [event])

    with pytest.raises(IntegrityError):
        async with in_transaction() as connection:
            await insert_rows(connection, [audit_event(None, "TWICE"), copy_of(event)])

    assert await models.AuditEvent.filter(action="TWICE").count() == 0


async def test_a_table_converts_only_the_varying_columns_per_row(db: str) -> None:
    template = audit_event(None, "TEMPLATE", details={"kept": True})
    table = BulkTable(get_connection("default"), template, ("id", "action"))
    ids = [uuid.uuid4(), uuid.uuid4()]

    await table.insert(table.convert([(ids[0], "FIRST"), (ids[1], "SECOND")]))

    stored = await models.AuditEvent.filter(id__in=ids).order_by("action")
    assert [(row.action, row.details) for row in stored] == [
        ("FIRST", {"kept": True}),
        ("SECOND", {"kept": True}),
    ]


async def test_record_events_writes_many_audit_lines_at_once(db: str) -> None:
    viewer = Viewer(ip_address="203.0.113.9")
    events = [audit_event(viewer, "BULK", details={"n": n}) for n in range(3)]

    with writes() as statements:
        await record_events(events)
    await record_events([])

    assert len(statements) == 1
    stored = await models.AuditEvent.filter(action="BULK")
    assert sorted(row.details["n"] for row in stored) == [0, 1, 2]
    assert {row.ip_address for row in stored} == {"203.0.113.9"}


async def test_named_varying_columns_skip_the_comparison(db: str) -> None:
    template = audit_event(None, "NAMED", details={"n": 0})
    rows = [template, copy_of(template, id=uuid.uuid4(), details={"n": 1})]

    await record_events(rows, varying=("id", "details"))

    stored = await models.AuditEvent.filter(action="NAMED")
    assert sorted(row.details["n"] for row in stored) == [0, 1]
