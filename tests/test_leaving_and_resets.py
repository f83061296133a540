"""Leaving a Healthspace and coming back, password reset links, and sign-up naming every
problem at once (issue 7 items 7 and 8, issue 9)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import PASSWORD, People, Person
from documents import RESET_PASSWORD, SIGN_UP
from helpers import (
    accept,
    email_token,
    invite_client,
    latest_token,
    link_token,
    mail_to,
    sign_up_input,
)

import models

ADD_CONNECTION = """
mutation($clientId: ID!, $staffId: ID!) {
  addConnection(clientId: $clientId, staffId: $staffId) { connection { id } errors { code } }
}
"""
LEAVE = """
mutation($healthspaceId: ID!) {
  leaveHealthspace(healthspaceId: $healthspaceId) { member { status } errors { code } }
}
"""
MY_CLIENTS = """
query($id: ID!) { healthspace(id: $id) { myClients { nodes { id } } } }
"""
MY_CONNECTIONS = """
query { viewer { memberships { connections { createdAt staff { id } } } } }
"""
REQUEST_RESET = """
mutation($email: String!) { requestPasswordReset(email: $email) { ok errors { code } } }
"""


async def test_leaving_ends_connections_and_coming_back_brings_none_back(
    healthspace: models.Healthspace, administrator: Person, clinician: Person, people: People
) -> None:
    # Given a client connected to a clinician
    client = await people.client(healthspace, email="leaver@example.org")
    await administrator.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)

    # When the client leaves
    left = await client.data(LEAVE, healthspaceId=str(healthspace.id))

    # Then the connection ended (kept as history) and the client was mailed about it
    assert left["leaveHealthspace"]["member"]["status"] == "DEACTIVATED"
    [row] = await models.Connection.filter(client_id=client.id)
    assert (row.current_key, row.ended_at is not None) == (None, True)
    assert [m.template for m in await mail_to("leaver@example.org")][-1] == "connection_ended"
    seen = await clinician.data(MY_CLIENTS, id=str(healthspace.id))
    assert seen["healthspace"]["myClients"]["nodes"] == []

    # When they are invited again without connections and accept
    await invite_client(administrator, healthspace, email="leaver@example.org", connectTo=[])
    accepted = await accept(client, await latest_token("leaver@example.org"))

    # Then nothing of the old connection returns
    assert accepted["errors"] == []
    assert accepted["member"]["connections"] == []
    seen = await clinician.data(MY_CLIENTS, id=str(healthspace.id))
    assert seen["healthspace"]["myClients"]["nodes"] == []
    assert await models.Connection.filter(current_key__not_isnull=True).count() == 0


async def reset_links(anonymous: Person, email: str, count: int) -> list[str]:
    for _ in range(count):
        await anonymous.data(REQUEST_RESET, email=email)
    return [link_token(m.text_body, "/reset-password") for m in await mail_to(email)]


async def test_a_new_reset_link_voids_the_earlier_ones(anonymous: Person, client: Person) -> None:
    older, newer = await reset_links(anonymous, client.email, 2)

    refused = await anonymous.data(RESET_PASSWORD, token=older, password="another-horse-77")
    used = await anonymous.data(RESET_PASSWORD, token=newer, password="another-horse-77")

    assert [e["code"] for e in refused["resetPassword"]["errors"]] == ["INVALID_TOKEN"]
    assert used["resetPassword"]["errors"] == []


async def test_a_completed_reset_voids_every_other_reset_link(
    anonymous: Person, client: Person
) -> None:
    # Given two links of which the older is used first (a link made before the voiding rule,
    # or by a concurrent request, is still handled by the reset itself)
    [first] = await reset_links(anonymous, client.email, 1)
    account = client.account
    assert account is not None
    other = await email_token(
        account, models.TokenPurpose.RESET_PASSWORD, expires_in=timedelta(days=1)
    )

    done = await anonymous.data(RESET_PASSWORD, token=other, password="another-horse-77")
    again = await anonymous.data(RESET_PASSWORD, token=first, password="yet-another-88")

    assert done["resetPassword"]["errors"] == []
    assert [e["code"] for e in again["resetPassword"]["errors"]] == ["INVALID_TOKEN"]


async def test_sign_up_names_every_problem_at_once(anonymous: Person) -> None:
    result = await anonymous.data(
        SIGN_UP, input=sign_up_input(email="not-an-address", password="short", lastName="")
    )

    errors: list[dict[str, Any]] = result["signUp"]["errors"]
    assert sorted((e["field"][-1], e["code"]) for e in errors) == [
        ("email", "INVALID_EMAIL"),
        ("lastName", "REQUIRED"),
        ("password", "WEAK_PASSWORD"),
    ]
    assert result["signUp"]["account"] is None
    assert await models.Account.all().count() == 0
    assert PASSWORD  # the suite's password stays the strong example


UPDATE_ACCOUNT = """
mutation($input: UpdateAccountInput!) {
  updateAccount(input: $input) { account { firstName } errors { field code } }
}
"""


async def test_update_account_names_every_problem_and_changes_nothing(client: Person) -> None:
    result = await client.data(
        UPDATE_ACCOUNT, input={"firstName": " ", "lastName": "x" * 101, "dateOfBirth": "2999-01-01"}
    )

    errors = result["updateAccount"]["errors"]
    assert sorted((e["field"][-1], e["code"]) for e in errors) == [
        ("dateOfBirth", "INVALID"),
        ("firstName", "REQUIRED"),
        ("lastName", "TOO_LONG"),
    ]
    account = await models.Account.get(id=client.account.id)  # type: ignore[union-attr]
    assert (account.first_name, account.last_name) == (
        client.account.first_name,  # type: ignore[union-attr]
        client.account.last_name,  # type: ignore[union-attr]
    )
