"""A member's and a join request's names and email are plain fields (issue 10), read from the
account fetched with the row; where it was not fetched, one read of the account answers them
all (`schema.people.AccountOf`), and lists never read an account per node."""

from __future__ import annotations

import inspect

from conftest import People, Person, QueryCounter, data_of

import models
from schema.people import AccountOf


async def test_an_account_not_fetched_is_read_once_for_all_its_fields(
    people: People, healthspace: models.Healthspace, sql_queries: type[QueryCounter]
) -> None:
    person = await people.client(healthspace, first_name="Ada", last_name="Lovelace")
    assert person.member is not None
    row = await models.Member.get(id=person.member.id)  # no account fetched with it
    account = AccountOf(row)
    values = [account.value(name) for name in ("first_name", "last_name", "email")]
    assert all(inspect.isawaitable(value) for value in values)
    with sql_queries() as counter:
        read = [await value for value in values]
    assert read == ["Ada", "Lovelace", person.email]
    assert counter.count == 1, counter.statements


async def test_an_account_fetched_with_the_row_answers_at_once(
    people: People, healthspace: models.Healthspace
) -> None:
    person = await people.client(healthspace, first_name="Ada")
    assert person.member is not None
    row = await models.Member.get(id=person.member.id).select_related("account")
    assert AccountOf(row).value("first_name") == "Ada"


MEMBERSHIPS = "{ viewer { memberships { firstName lastName email healthspace { name } } } }"


async def test_the_viewers_memberships_carry_the_viewers_own_names_without_a_read_each(
    people: People, sql_queries: type[QueryCounter]
) -> None:
    spaces = [await models.Healthspace.create(name=f"Practice {n}") for n in range(5)]
    account = await people.account(first_name="Grace", last_name="Hopper")
    for space in spaces[:2]:
        await models.Member.create(account=account, healthspace=space, kind="CLIENT")
    viewer: Person = await people.signed_in(account)
    with sql_queries() as two:
        first = await viewer.data(MEMBERSHIPS)
    for space in spaces[2:]:
        await models.Member.create(account=account, healthspace=space, kind="CLIENT")
    with sql_queries() as five:
        second = await viewer.data(MEMBERSHIPS)
    names = {(m["firstName"], m["lastName"], m["email"]) for m in second["viewer"]["memberships"]}
    assert names == {("Grace", "Hopper", account.email)}
    assert len(first["viewer"]["memberships"]) == 2
    assert len(second["viewer"]["memberships"]) == 5
    assert two.count == five.count, five.statements


JOIN_REQUESTS = """
query Requests($id: ID!) {
  healthspace(id: $id) { joinRequests(first: 50) { nodes { firstName lastName email } } }
}
"""


async def test_a_list_of_join_requests_reads_no_account_per_request(
    people: People,
    healthspace: models.Healthspace,
    administrator: Person,
    sql_queries: type[QueryCounter],
) -> None:
    async def ask(count: int) -> None:
        for _ in range(count):
            account = await people.account()
            await models.JoinRequest.create(account=account, healthspace=healthspace)

    await ask(2)
    with sql_queries() as few:
        data = data_of(await administrator(JOIN_REQUESTS, id=str(healthspace.id)))
    assert len(data["healthspace"]["joinRequests"]["nodes"]) == 2
    await ask(8)
    with sql_queries() as more:
        data = data_of(await administrator(JOIN_REQUESTS, id=str(healthspace.id)))
    nodes = data["healthspace"]["joinRequests"]["nodes"]
    assert len(nodes) == 10
    assert all(node["firstName"].startswith("First") and "@" in node["email"] for node in nodes)
    assert few.count == more.count, more.statements
