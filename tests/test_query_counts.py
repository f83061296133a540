"""Nested fields read through per-request data loaders: the number of SQL statements a list
costs does not grow with its length."""

from __future__ import annotations

import uuid

from conftest import People, Person, QueryCounter, data_of

import models
from domain.members import add_member

MEMBERS_WITH_NESTED_FIELDS = """
query Members($id: ID!) {
  healthspace(id: $id) {
    members(kind: CLIENT, first: 100) {
      nodes {
        firstName lastName email
        healthspace { name }
        connections { staff { lastName } }
      }
      totalCount
    }
  }
}
"""


async def add_connected_clients(
    people: People, healthspace: models.Healthspace, clinician: Person, count: int
) -> None:
    for _ in range(count):
        client = await people.client(healthspace)
        await models.Connection.create(
            healthspace=healthspace,
            client_id=client.id,
            staff_id=clinician.id,
            current_key=f"{client.id}:{clinician.id}",
        )


async def statements_for_list(
    administrator: Person, healthspace: models.Healthspace, sql_queries: type[QueryCounter]
) -> tuple[int, list[str]]:
    with sql_queries() as counter:
        result = await administrator(MEMBERS_WITH_NESTED_FIELDS, id=str(healthspace.id))
    members = data_of(result)["healthspace"]["members"]
    assert all(node["healthspace"] == {"name": healthspace.name} for node in members["nodes"])
    assert all(
        node["connections"] == [{"staff": {"lastName": "Clinic"}}] for node in members["nodes"]
    )
    return len(members["nodes"]), counter.statements


async def test_listing_5_or_50_members_costs_the_same_number_of_queries(
    people: People,
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    sql_queries: type[QueryCounter],
) -> None:
    await add_connected_clients(people, healthspace, clinician, 5)
    five, statements_for_five = await statements_for_list(administrator, healthspace, sql_queries)
    await add_connected_clients(people, healthspace, clinician, 45)
    fifty, statements_for_fifty = await statements_for_list(administrator, healthspace, sql_queries)

    assert (five, fifty) == (5, 50)
    assert len(statements_for_five) == len(statements_for_fifty), "\n".join(statements_for_fifty)
    # session, healthspace, viewer's membership, count, page, and one batch each for the
    # members' healthspace, their connections and the connections' staff members
    assert len(statements_for_fifty) <= 8, "\n".join(statements_for_fifty)


async def test_the_counter_sees_statements(
    healthspace: models.Healthspace, sql_queries: type[QueryCounter]
) -> None:
    with sql_queries() as counter:
        await models.Healthspace.filter(id=healthspace.id).count()

    assert counter.count == 1


HEALTHSPACES_WITH_VIEWER_MEMBER = """
query { healthspaces(first: 100) { totalCount nodes { viewerMember { id } } } }
"""


async def statements_for_healthspaces(
    viewer: Person, count: int, sql_queries: type[QueryCounter]
) -> int:
    with sql_queries() as counter:
        result = data_of(await viewer(HEALTHSPACES_WITH_VIEWER_MEMBER))
    nodes = result["healthspaces"]["nodes"]
    assert len(nodes) == count
    assert all(node["viewerMember"] is not None for node in nodes)
    return len(counter.statements)


async def test_viewer_member_of_5_or_50_healthspaces_costs_the_same_number_of_queries(
    people: People, sql_queries: type[QueryCounter]
) -> None:
    # Given an account that is a member of 5, then of 50 Healthspaces
    account = await people.account()
    viewer = await people.signed_in(account)

    async def join(count: int) -> None:
        for _ in range(count):
            space = await models.Healthspace.create(name=f"Practice {uuid.uuid4().hex[:6]}")
            await add_member(account, space.id, models.MemberKind.CLIENT)

    await join(5)
    five = await statements_for_healthspaces(viewer, 5, sql_queries)
    await join(45)
    fifty = await statements_for_healthspaces(viewer, 50, sql_queries)

    # Then both cost the same: the viewer's memberships are read once, not per Healthspace
    assert five == fifty


HEALTHSPACES_WITH_MEMBER_COUNT = """
query { healthspaces(first: 100) { nodes { members(first: 1) { totalCount } } } }
"""


async def test_member_counts_of_5_or_50_healthspaces_cost_the_same_number_of_queries(
    people: People, sql_queries: type[QueryCounter]
) -> None:
    # Given a staff account in 5, then in 50 Healthspaces, each with itself and one client
    account = await people.account()
    viewer = await people.signed_in(account)

    async def join(count: int) -> None:
        for _ in range(count):
            space = await models.Healthspace.create(name=f"Practice {uuid.uuid4().hex[:6]}")
            await add_member(account, space.id, models.MemberKind.STAFF, roles=["ASSISTANT"])
            await people.client(space)

    async def statements(count: int) -> int:
        with sql_queries() as counter:
            result = data_of(await viewer(HEALTHSPACES_WITH_MEMBER_COUNT))
        nodes = result["healthspaces"]["nodes"]
        assert [node["members"]["totalCount"] for node in nodes] == [2] * count
        return len(counter.statements)

    await join(5)
    five = await statements(5)
    await join(45)
    fifty = await statements(50)

    # Then both cost the same: one batched count, no statement per Healthspace
    assert five == fifty


CLIENTS_AND_THEIR_CONNECTIONS = """
query Members($id: ID!) {
  healthspace(id: $id) {
    members(kind: CLIENT, first: 100) { nodes { id connections { id %s } } }
  }
}
"""


async def test_a_connection_back_to_a_node_of_the_page_costs_no_statement(
    people: People,
    healthspace: models.Healthspace,
    administrator: Person,
    clinician: Person,
    sql_queries: type[QueryCounter],
) -> None:
    await add_connected_clients(people, healthspace, clinician, 5)
    counts = {}
    for nested in ("", "client { id }", "staff { id }"):
        with sql_queries() as counter:
            result = await administrator(
                CLIENTS_AND_THEIR_CONNECTIONS % nested, id=str(healthspace.id)
            )
        nodes = data_of(result)["healthspace"]["members"]["nodes"]
        assert len(nodes) == 5
        if nested.startswith("client"):
            assert all(node["connections"][0]["client"] == {"id": node["id"]} for node in nodes)
        counts[nested] = counter.count
    # each connection's client is the page's own node: nothing more to read
    assert counts["client { id }"] == counts[""]
    # the staff members are read in one statement for the whole page
    assert counts["staff { id }"] == counts[""] + 1
