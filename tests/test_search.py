"""Search ignores case and accents the same way on SQLite and PostgreSQL, in every list that
searches, through the normalised search columns (issue 7, item 11)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from conftest import People, Person
from tortoise.connection import get_connection

import models
from models.search import search_column, search_key

MEMBERS = """
query($id: ID!, $search: String) {
  healthspace(id: $id) { members(search: $search) { nodes { lastName } } }
}
"""
MY_CLIENTS = """
query($id: ID!, $search: String) {
  healthspace(id: $id) { myClients(search: $search) { nodes { lastName } } }
}
"""
HEALTHSPACES = "query($search: String) { healthspaces(search: $search) { nodes { name } } }"
UPDATE_ACCOUNT = """
mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { errors { code } } }
"""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Çelik", "celik"),
        ("ÇELİK", "celik"),
        ("  Zoë   de  Vries ", "zoe de vries"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),
        ("Øst", "øst"),
    ],
)
def test_the_search_key_drops_case_accents_and_extra_space(text: str, key: str) -> None:
    assert search_key(text) == key


@pytest.fixture
async def celik(people: People, healthspace: models.Healthspace, clinician: Person) -> Person:
    person = await people.client(healthspace, first_name="Ayşe", last_name="Çelik")
    await models.Connection.create(
        healthspace=healthspace,
        client_id=person.id,
        staff_id=clinician.id,
        current_key=f"{person.id}:{clinician.id}",
    )
    return person


def last_names(result: dict[str, Any], field: str) -> list[str]:
    return [node["lastName"] for node in result["healthspace"][field]["nodes"]]


@pytest.mark.parametrize("search", ["Çelik", "çelik", "celik", "CELIK", "ÇELİK", "ayse çel"])
async def test_members_and_my_clients_find_a_name_whatever_its_case_and_accents(
    healthspace: models.Healthspace, clinician: Person, celik: Person, search: str
) -> None:
    members = await clinician.data(MEMBERS, id=str(healthspace.id), search=search.split()[-1])
    mine = await clinician.data(MY_CLIENTS, id=str(healthspace.id), search=search)

    assert last_names(members, "members") == ["Çelik"]
    assert last_names(mine, "myClients") == ["Çelik"]


async def test_a_renamed_account_is_found_by_its_new_name(
    healthspace: models.Healthspace, clinician: Person, celik: Person
) -> None:
    await celik.data(UPDATE_ACCOUNT, input={"lastName": "Öztürk"})

    found = await clinician.data(MY_CLIENTS, id=str(healthspace.id), search="ozturk")
    gone = await clinician.data(MY_CLIENTS, id=str(healthspace.id), search="celik")

    assert (last_names(found, "myClients"), last_names(gone, "myClients")) == (["Öztürk"], [])


@pytest.mark.parametrize("search", ["Gezondheidscentrum Düren", "duren", "DÜREN", "dUrEn"])
async def test_healthspaces_are_found_whatever_the_case_and_accents(
    people: People, search: str
) -> None:
    space = await models.Healthspace.create(name="Gezondheidscentrum Düren", findable=True)
    await models.Healthspace.create(name="Praktijk Dorp", findable=True)
    viewer = await people.signed_in(await people.account())

    result = await viewer.data(HEALTHSPACES, search=search)

    assert [node["name"] for node in result["healthspaces"]["nodes"]] == [space.name]


async def test_the_migration_fills_the_search_column_of_existing_rows(db: str) -> None:
    # Given a row written before the column existed (its search text empty)
    space = await models.Healthspace.create(name="Ärztehaus")
    await models.Healthspace.filter(id=space.id).update(search_text="")

    # When the migration's fill step runs
    migration = importlib.import_module("models.migrations.0003_search_columns")

    class Editor:
        client = get_connection("default")

    await migration.fill_search_columns(None, Editor())

    # Then the row is found as a new one would be
    row = await models.Healthspace.get(id=space.id)
    assert row.search_text == search_column("Ärztehaus") == "arztehaus"
