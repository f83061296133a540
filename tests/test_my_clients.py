"""My clients (`Healthspace.myClients`), its search and task filter, the "Manage connections"
list (`members(kind: CLIENT)` with `connectedToViewer`), and their query counts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from conftest import People, Person, QueryCounter

import models
from permissions.roles import Permission, Role
from schema.task_sources import register_task_source, unregister_task_source

MY_CLIENTS = """
query MyClients($id: ID!, $search: String, $withTasks: Boolean, $first: Int, $after: String) {
  healthspace(id: $id) {
    myClients(search: $search, withTasks: $withTasks, first: $first, after: $after) {
      nodes {
        id firstName lastName dateOfBirth identificationNumber connectedToViewer
        connections { staff { id lastName } }
      }
      pageInfo { endCursor hasNextPage }
      totalCount
    }
  }
}
"""

MANAGE_CONNECTIONS_LIST = """
query ManageConnections($id: ID!, $first: Int) {
  healthspace(id: $id) {
    members(kind: CLIENT, first: $first) {
      nodes {
        id firstName lastName identificationNumber connectedToViewer
        connections { id staff { id firstName } }
      }
      totalCount
    }
  }
}
"""

ADD_CONNECTION = """
mutation Add($clientId: ID!, $staffId: ID!) {
  addConnection(clientId: $clientId, staffId: $staffId) { errors { code } }
}
"""


async def add_clients(
    healthspace: models.Healthspace,
    count: int,
    *,
    connect_to: Sequence[Person] = (),
    start: int = 0,
) -> list[models.Member]:
    """`count` clients in bulk (Surname000, Surname001, ...), connected to `connect_to`."""
    accounts = [
        models.Account(
            id=uuid.uuid4(),
            email=f"client{start + n}-{uuid.uuid4().hex[:6]}@example.org",
            first_name=f"Client{start + n}",
            last_name=f"Surname{start + n:03d}",
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=start + n),
            email_verified=True,
        )
        for n in range(count)
    ]
    await models.Account.bulk_create(accounts)
    members = [
        models.Member(
            id=uuid.uuid4(),
            account_id=account.id,
            healthspace_id=healthspace.id,
            kind=models.MemberKind.CLIENT,
            identification_number=f"CL-{start + n:08d}",
        )
        for n, account in enumerate(accounts)
    ]
    await models.Member.bulk_create(members)
    await models.Connection.bulk_create(
        [
            models.Connection(
                healthspace_id=healthspace.id,
                client_id=member.id,
                staff_id=staff.member.id,  # type: ignore[union-attr]
                current_key=f"{member.id}:{staff.id}",
            )
            for member in members
            for staff in connect_to
        ]
    )
    return members


def nodes(result: dict[str, Any], field: str = "myClients") -> list[dict[str, Any]]:
    return result["healthspace"][field]["nodes"]


def names(result: dict[str, Any], field: str = "myClients") -> list[str]:
    return [node["lastName"] for node in nodes(result, field)]


# --- the list ------------------------------------------------------------------------------------


async def test_my_clients_are_the_active_clients_i_am_connected_to(
    healthspace: models.Healthspace, clinician: Person, colleague: Person
) -> None:
    # given three clients of mine (one deactivated, one whose connection ended), a colleague's
    # two, and one shared
    mine = await add_clients(healthspace, 3, connect_to=[clinician])
    await add_clients(healthspace, 2, connect_to=[colleague], start=10)
    shared = (await add_clients(healthspace, 1, connect_to=[clinician, colleague], start=20))[0]
    await models.Member.filter(id=mine[1].id).update(status=models.MemberStatus.DEACTIVATED)
    await models.Connection.filter(client_id=mine[2].id).update(
        current_key=None, ended_at=dt.datetime.now(dt.UTC)
    )

    # when I list my clients
    result = await clinician.data(MY_CLIENTS, id=str(healthspace.id))

    # then only the active, connected ones show, with their details
    assert names(result) == ["Surname000", "Surname020"]
    assert result["healthspace"]["myClients"]["totalCount"] == 2
    first, second = nodes(result)
    assert first["connectedToViewer"] is True
    assert first["identificationNumber"] == "CL-00000000"
    assert first["dateOfBirth"] == "1980-01-01"
    assert first["connections"] == [{"staff": {"id": clinician.id, "lastName": "Clinic"}}]
    assert second["id"] == str(shared.id)
    assert {c["staff"]["id"] for c in second["connections"]} == {clinician.id, colleague.id}


async def test_my_clients_pages_through(healthspace: models.Healthspace, clinician: Person) -> None:
    await add_clients(healthspace, 5, connect_to=[clinician])

    page = (await clinician.data(MY_CLIENTS, id=str(healthspace.id), first=2))["healthspace"][
        "myClients"
    ]
    rest = (
        await clinician.data(
            MY_CLIENTS, id=str(healthspace.id), first=10, after=page["pageInfo"]["endCursor"]
        )
    )["healthspace"]["myClients"]

    assert [n["lastName"] for n in page["nodes"]] == ["Surname000", "Surname001"]
    assert page["pageInfo"]["hasNextPage"] is True and page["totalCount"] == 5
    assert [n["lastName"] for n in rest["nodes"]] == ["Surname002", "Surname003", "Surname004"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_staff_who_are_not_clinicians_have_no_clients(
    healthspace: models.Healthspace, assistant: Person, clinician: Person
) -> None:
    await add_clients(healthspace, 2, connect_to=[clinician])

    result = await assistant.data(MY_CLIENTS, id=str(healthspace.id))

    assert result["healthspace"]["myClients"]["totalCount"] == 0


async def test_my_clients_is_for_staff(healthspace: models.Healthspace, client: Person) -> None:
    result = await client(MY_CLIENTS, id=str(healthspace.id))

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["data"] == {"healthspace": None}


async def test_another_healthspaces_staff_see_nothing(
    healthspace: models.Healthspace, outsider: Person
) -> None:
    assert await outsider.data(MY_CLIENTS, id=str(healthspace.id)) == {"healthspace": None}


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("surname003", ["Surname003"]),
        ("SURNAME00", ["Surname000", "Surname001", "Surname002", "Surname003", "Surname004"]),
        ("CL-00000002", ["Surname002"]),
        ("00000004", ["Surname004"]),
        ("1980-01-02", ["Surname001"]),  # date of birth, ISO
        ("03-01-1980", ["Surname002"]),  # date of birth, day first
        ("03/01/1980", ["Surname002"]),
        ("Surname00 1980-01-05", ["Surname004"]),  # every word must match
        ("client1", ["Surname001"]),
        ("nobody", []),
        ("   ", ["Surname000", "Surname001", "Surname002", "Surname003", "Surname004"]),
    ],
)
async def test_search_by_surname_date_of_birth_or_identification_number(
    healthspace: models.Healthspace, clinician: Person, search: str, expected: list[str]
) -> None:
    await add_clients(healthspace, 5, connect_to=[clinician])
    await add_clients(healthspace, 3, start=100)  # not mine: never found

    result = await clinician.data(MY_CLIENTS, id=str(healthspace.id), search=search)

    assert names(result) == expected


# --- clients with tasks --------------------------------------------------------------------------


class FakeSource:
    """A task source as the record domain would register one: which clients have something."""

    def __init__(self) -> None:
        self.clients: set[uuid.UUID] = set()
        self.calls: list[tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]] = []

    async def __call__(
        self, healthspace_id: uuid.UUID, staff_member_id: uuid.UUID, client_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        self.calls.append((healthspace_id, staff_member_id, list(client_ids)))
        return self.clients


@pytest.fixture
async def unread_messages() -> AsyncIterator[FakeSource]:
    source = FakeSource()
    register_task_source("TEST_UNREAD_MESSAGE", source)
    yield source
    unregister_task_source("TEST_UNREAD_MESSAGE")


async def test_with_no_task_source_nobody_has_tasks(
    healthspace: models.Healthspace, clinician: Person
) -> None:
    await add_clients(healthspace, 3, connect_to=[clinician])

    result = await clinician.data(MY_CLIENTS, id=str(healthspace.id), withTasks=True)

    assert result["healthspace"]["myClients"]["totalCount"] == 0
    assert (
        len(names(await clinician.data(MY_CLIENTS, id=str(healthspace.id), withTasks=False))) == 3
    )


async def test_with_tasks_shows_the_clients_a_source_names(
    healthspace: models.Healthspace,
    clinician: Person,
    unread_messages: FakeSource,
) -> None:
    clients = await add_clients(healthspace, 4, connect_to=[clinician])
    stranger = (await add_clients(healthspace, 1, start=50))[0]
    unread_messages.clients = {clients[1].id, clients[3].id, stranger.id}

    result = await clinician.data(MY_CLIENTS, id=str(healthspace.id), withTasks=True)

    # A source can narrow the list, never add someone who is not my client.
    assert names(result) == ["Surname001", "Surname003"]
    assert result["healthspace"]["myClients"]["totalCount"] == 2
    [(healthspace_id, staff_id, asked)] = unread_messages.calls
    assert (str(healthspace_id), str(staff_id)) == (str(healthspace.id), clinician.id)
    assert set(asked) == {client.id for client in clients}


async def test_with_tasks_combines_with_search(
    healthspace: models.Healthspace, clinician: Person, unread_messages: FakeSource
) -> None:
    clients = await add_clients(healthspace, 4, connect_to=[clinician])
    unread_messages.clients = {clients[1].id, clients[3].id}

    result = await clinician.data(
        MY_CLIENTS, id=str(healthspace.id), withTasks=True, search="surname003"
    )

    assert names(result) == ["Surname003"]


async def test_several_sources_add_up(
    healthspace: models.Healthspace, clinician: Person, unread_messages: FakeSource
) -> None:
    clients = await add_clients(healthspace, 4, connect_to=[clinician])
    unread_messages.clients = {clients[0].id}
    submitted = FakeSource()
    submitted.clients = {clients[2].id, clients[0].id}
    register_task_source("TEST_SUBMITTED_ASSIGNMENT", submitted)
    try:
        result = await clinician.data(MY_CLIENTS, id=str(healthspace.id), withTasks=True)
    finally:
        unregister_task_source("TEST_SUBMITTED_ASSIGNMENT")

    assert names(result) == ["Surname000", "Surname002"]


def test_a_source_name_is_registered_once(unread_messages: FakeSource) -> None:
    with pytest.raises(ValueError, match="registered already"):
        register_task_source("TEST_UNREAD_MESSAGE", unread_messages)


# --- the "Manage connections" list --------------------------------------------------------------


async def test_the_manage_connections_list_flags_my_connections(
    people: People, healthspace: models.Healthspace, colleague: Person
) -> None:
    # given a clinician with own connections, connected to one of a colleague's three clients
    me = await people.staff(
        healthspace, Role.CLINICIAN, granted=[Permission.MANAGE_OWN_CONNECTIONS]
    )
    clients = await add_clients(healthspace, 3, connect_to=[colleague])
    await me.data(ADD_CONNECTION, clientId=str(clients[1].id), staffId=me.id)

    # when they read the manage-connections list
    result = await me.data(MANAGE_CONNECTIONS_LIST, id=str(healthspace.id))

    # then only that client is flagged as theirs, and the colleague sees their own
    assert [(n["lastName"], n["connectedToViewer"]) for n in nodes(result, "members")] == [
        ("Surname000", False),
        ("Surname001", True),
        ("Surname002", False),
    ]
    # The colleague's connections are not mine.
    colleague_view = await colleague.data(MANAGE_CONNECTIONS_LIST, id=str(healthspace.id))
    assert all(n["connectedToViewer"] for n in nodes(colleague_view, "members"))


# --- query counts ---------------------------------------------------------------------------------


async def count_queries(person: Person, document: str, **variables: Any) -> tuple[int, int]:
    """(SQL statements, rows returned) for one request."""
    with QueryCounter() as counter:
        result = await person.data(document, **variables)
    field = "myClients" if "myClients" in document else "members"
    return counter.count, len(nodes(result, field))


@pytest.mark.parametrize(
    ("document", "kind"), [(MY_CLIENTS, "myClients"), (MANAGE_CONNECTIONS_LIST, "members")]
)
async def test_the_query_count_does_not_grow_with_the_list(
    healthspace: models.Healthspace, clinician: Person, colleague: Person, document: str, kind: str
) -> None:
    await add_clients(healthspace, 5, connect_to=[clinician, colleague])
    small = await count_queries(clinician, document, id=str(healthspace.id), first=100)
    await add_clients(healthspace, 45, connect_to=[clinician, colleague], start=5)
    large = await count_queries(clinician, document, id=str(healthspace.id), first=100)

    assert small[1] == 5 and large[1] == 50
    assert large[0] == small[0], f"{kind}: {small[0]} statements for 5 rows, {large[0]} for 50"
    assert small[0] <= 8
