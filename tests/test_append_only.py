"""Notes and audit events cannot be changed or deleted, not even by a bug: the database itself
refuses (triggers installed by migration 0005, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest
from conftest import Person
from records_api import ADD_NOTE, connected
from tortoise.connection import get_connection
from tortoise.exceptions import BaseORMException

import models
from models.append_only import REFUSAL


@pytest.fixture
async def note(client: Person, clinician: Person) -> models.Note:
    await connected(client, clinician)
    await clinician.data(ADD_NOTE, clientId=client.id, body="Original")
    return await models.Note.get()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE note SET body = 'rewritten'",
        "DELETE FROM note",
        "UPDATE audit_event SET outcome = 'SUCCESS'",
        "DELETE FROM audit_event",
    ],
)
async def test_the_database_refuses_to_change_or_delete_history(
    note: models.Note, statement: str
) -> None:
    audit_lines = await models.AuditEvent.all().count()
    assert audit_lines > 0

    with pytest.raises(BaseORMException, match=REFUSAL):
        await get_connection("default").execute_query(statement)

    assert (await models.Note.get(id=note.id)).body == "Original"
    assert await models.AuditEvent.all().count() == audit_lines


async def test_the_orm_cannot_rewrite_a_note_either(note: models.Note) -> None:
    note.body = "rewritten"
    with pytest.raises(BaseORMException, match=REFUSAL):
        await note.save()
    with pytest.raises(BaseORMException, match=REFUSAL):
        await models.Note.filter(id=note.id).delete()

    assert (await models.Note.get(id=note.id)).body == "Original"


async def test_there_is_no_mutation_to_change_or_delete_a_note() -> None:
    from server import Mutation

    names = [name.lower() for name in Mutation.__annotations__] + [
        field.name.lower() for field in Mutation.__strawberry_definition__.fields
    ]
    assert [name for name in names if "note" in name] == ["add_note"]
