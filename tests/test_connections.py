"""Connections through the API: adding, ending (history kept), setting a whole list, the rules
every connection meets, the mail the client gets and the audit trail."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from conftest import People, Person
from helpers import deliver, payload
from smtp_sink import SmtpSink

import models
from permissions.roles import Role

CONNECTION_FIELDS = """
    id createdAt endedAt
    client { id } staff { id } createdBy { id } endedBy { id }
    healthspace { id }
"""

ADD_CONNECTION = f"""
mutation AddConnection($clientId: ID!, $staffId: ID!) {{
  addConnection(clientId: $clientId, staffId: $staffId) {{
    connection {{ {CONNECTION_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

REMOVE_CONNECTION = f"""
mutation RemoveConnection($clientId: ID!, $staffId: ID!) {{
  removeConnection(clientId: $clientId, staffId: $staffId) {{
    connection {{ {CONNECTION_FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""

SET_CONNECTIONS = """
mutation SetConnections($memberId: ID!, $memberIds: [ID!]!) {
  setConnections(memberId: $memberId, memberIds: $memberIds) {
    member { id }
    connections { client { id } staff { id } }
    added { client { id } staff { id } }
    ended { client { id } staff { id } endedBy { id } }
    errors { field code message }
  }
}
"""

MEMBER_CONNECTIONS = """
query MemberConnections($id: ID!) {
  member(id: $id) {
    connections { client { id } staff { id } }
  }
}
"""


async def current_pairs() -> set[tuple[str, str]]:
    rows = await models.Connection.filter(current_key__not_isnull=True).values_list(
        "client_id", "staff_id"
    )
    return {(str(client), str(staff)) for client, staff in rows}


async def audit_actions() -> list[str]:
    return list(
        await models.AuditEvent.all().order_by("occurred_at").values_list("action", flat=True)
    )


# --- adding ------------------------------------------------------------------------------------


async def test_an_assistant_connects_a_client_and_a_clinician(
    assistant: Person, client: Person, clinician: Person, smtp_sink: SmtpSink
) -> None:
    # when an assistant connects a client and a clinician
    result = payload(
        await assistant(ADD_CONNECTION, clientId=client.id, staffId=clinician.id), "addConnection"
    )

    # then the connection is listed on both sides, audited, and the client is mailed
    assert result["errors"] == []
    connection = result["connection"]
    assert connection["client"] == {"id": client.id}
    assert connection["staff"] == {"id": clinician.id}
    assert connection["createdBy"] == {"id": assistant.id}
    assert connection["endedAt"] is None and connection["endedBy"] is None
    assert await current_pairs() == {(client.id, clinician.id)}
    # Both sides list it.
    for person in (client, clinician):
        seen = await assistant.data(MEMBER_CONNECTIONS, id=person.id)
        assert seen["member"]["connections"] == [
            {"client": {"id": client.id}, "staff": {"id": clinician.id}}
        ]
    event = await models.AuditEvent.get(action="CONNECTION_ADDED")
    assert str(event.actor_member_id) == assistant.id
    assert str(event.client_member_id) == client.id
    assert str(event.subject_id) == connection["id"]
    assert event.details == {"staff_member_id": clinician.id}

    [mail] = await deliver(smtp_sink)
    assert mail.recipients == (client.email,)
    assert mail.subject == "Clara Clinic of Praktijk De Linde is now connected with you"
    assert "Hello Chris," in mail.text
    assert "open your record in Praktijk De Linde" in mail.text
    assert "Clara Clinic" in mail.html


async def test_the_client_is_mailed_in_their_own_language(
    assistant: Person, client: Person, clinician: Person, smtp_sink: SmtpSink
) -> None:
    await models.Account.filter(id=client.account.id).update(language="nl")  # type: ignore[union-attr]

    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)

    [mail] = await deliver(smtp_sink)
    assert mail.subject == "Clara Clinic van Praktijk De Linde is nu met je verbonden"
    assert "Hallo Chris," in mail.text


async def test_connecting_twice_is_already_connected(
    assistant: Person, client: Person, clinician: Person
) -> None:
    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)

    result = payload(
        await assistant(ADD_CONNECTION, clientId=client.id, staffId=clinician.id), "addConnection"
    )

    assert result["connection"] is None
    assert [error["code"] for error in result["errors"]] == ["ALREADY_CONNECTED"]
    assert await models.Connection.all().count() == 1
    assert await models.OutboxMessage.all().count() == 1


async def test_two_simultaneous_connects_of_one_pair_make_one_connection(
    assistant: Person, administrator: Person, client: Person, clinician: Person
) -> None:
    results = await asyncio.gather(
        assistant(ADD_CONNECTION, clientId=client.id, staffId=clinician.id),
        administrator(ADD_CONNECTION, clientId=client.id, staffId=clinician.id),
    )

    outcomes = sorted(
        [error["code"] for error in payload(result, "addConnection")["errors"]] or ["OK"]
        for result in results
    )
    assert outcomes == [["ALREADY_CONNECTED"], ["OK"]]
    assert await models.Connection.all().count() == 1
    assert await models.OutboxMessage.all().count() == 1


# --- the rules every connection meets ----------------------------------------------------------


async def deactivate(person: Person) -> None:
    await models.Member.filter(id=person.id).update(status=models.MemberStatus.DEACTIVATED)


@pytest.mark.parametrize(
    ("case", "code", "field"),
    [
        ("staff member without the clinician role", "NOT_A_CLINICIAN", ["staffId"]),
        ("a client to a client", "NOT_A_CLINICIAN", ["staffId"]),
        ("the sides swapped", "NOT_A_CLIENT", ["clientId"]),
        ("deactivated client", "MEMBER_DEACTIVATED", ["clientId"]),
        ("deactivated clinician", "MEMBER_DEACTIVATED", ["staffId"]),
        ("clinician of another Healthspace", "NOT_FOUND", ["staffId"]),
        ("unknown clinician", "NOT_FOUND", ["staffId"]),
    ],
)
async def test_bad_connections_are_refused_with_a_clear_code_and_change_nothing(
    people: People,
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    administrator: Person,
    client: Person,
    clinician: Person,
    assistant: Person,
    case: str,
    code: str,
    field: list[str],
) -> None:
    # given the bad case
    client_id, staff_id = client.id, clinician.id
    if case == "staff member without the clinician role":
        staff_id = assistant.id
    elif case == "a client to a client":
        staff_id = (await people.client(healthspace)).id
    elif case == "the sides swapped":
        client_id, staff_id = clinician.id, (await people.staff(healthspace, Role.CLINICIAN)).id
    elif case == "deactivated client":
        await deactivate(client)
    elif case == "deactivated clinician":
        await deactivate(clinician)
    elif case == "clinician of another Healthspace":
        staff_id = (await people.staff(other_healthspace, Role.CLINICIAN)).id
    elif case == "unknown clinician":
        staff_id = "00000000-0000-4000-8000-000000000000"
    audit_before = await models.AuditEvent.all().count()

    # when the administrator tries to connect
    result = payload(
        await administrator(ADD_CONNECTION, clientId=client_id, staffId=staff_id), "addConnection"
    )

    # then the clear code is returned and nothing is written, mailed or audited
    assert result["connection"] is None
    [error] = result["errors"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert await models.Connection.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0
    assert await models.AuditEvent.all().count() == audit_before


async def test_a_clinician_with_own_connections_connects_and_disconnects_only_themselves(
    own_clinician: Person, colleague: Person, client: Person, smtp_sink: SmtpSink
) -> None:
    # when the clinician connects themselves
    added = payload(
        await own_clinician(ADD_CONNECTION, clientId=client.id, staffId=own_clinician.id),
        "addConnection",
    )
    assert added["errors"] == []
    assert added["connection"]["createdBy"] == {"id": own_clinician.id}

    # and tries to connect a colleague
    refused = await own_clinician(ADD_CONNECTION, clientId=client.id, staffId=colleague.id)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["errors"][0]["message"] == "You may only connect or disconnect yourself."
    assert await current_pairs() == {(client.id, own_clinician.id)}

    # and disconnects themselves
    removed = payload(
        await own_clinician(REMOVE_CONNECTION, clientId=client.id, staffId=own_clinician.id),
        "removeConnection",
    )
    assert removed["errors"] == []
    assert await current_pairs() == set()
    # The relay may deliver in parallel, so the order of arrival is not asserted.
    # then both changes are mailed
    assert sorted(mail.subject for mail in await deliver(smtp_sink)) == [
        "Olga Own of Praktijk De Linde is no longer connected with you",
        "Olga Own of Praktijk De Linde is now connected with you",
    ]


# --- ending --------------------------------------------------------------------------------------


async def test_removing_a_connection_keeps_it_as_history(
    assistant: Person, administrator: Person, client: Person, clinician: Person, smtp_sink: SmtpSink
) -> None:
    # given a connection made by the assistant
    created = payload(
        await assistant(ADD_CONNECTION, clientId=client.id, staffId=clinician.id), "addConnection"
    )["connection"]

    # when the administrator removes it
    ended = payload(
        await administrator(REMOVE_CONNECTION, clientId=client.id, staffId=clinician.id),
        "removeConnection",
    )

    # then it is ended (kept as history), audited, gone from the list, and both sides are mailed
    assert ended["errors"] == []
    connection = ended["connection"]
    assert connection["id"] == created["id"]
    assert connection["createdBy"] == {"id": assistant.id}
    assert connection["endedBy"] == {"id": administrator.id}
    assert connection["endedAt"] is not None
    row = await models.Connection.get(id=created["id"])
    assert row.ended_at is not None and row.current_key is None
    assert str(row.ended_by_id) == administrator.id
    assert (await administrator.data(MEMBER_CONNECTIONS, id=client.id))["member"] == {
        "connections": []
    }
    event = await models.AuditEvent.get(action="CONNECTION_ENDED")
    assert str(event.actor_member_id) == administrator.id
    assert str(event.client_member_id) == client.id
    assert str(event.subject_id) == created["id"]

    mails = {mail.subject: mail for mail in await deliver(smtp_sink)}
    assert sorted(mails) == [
        "Clara Clinic of Praktijk De Linde is no longer connected with you",
        "Clara Clinic of Praktijk De Linde is now connected with you",
    ]
    ending = mails["Clara Clinic of Praktijk De Linde is no longer connected with you"]
    assert "can no longer open your record" in ending.text


async def test_removing_what_is_not_connected_says_so(
    assistant: Person, client: Person, clinician: Person
) -> None:
    result = payload(
        await assistant(REMOVE_CONNECTION, clientId=client.id, staffId=clinician.id),
        "removeConnection",
    )

    assert result["connection"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_CONNECTED", ["staffId"])]
    assert await models.OutboxMessage.all().count() == 0


async def test_a_pair_can_be_connected_again_after_an_ending(
    assistant: Person, client: Person, clinician: Person
) -> None:
    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)
    await assistant.data(REMOVE_CONNECTION, clientId=client.id, staffId=clinician.id)

    again = payload(
        await assistant(ADD_CONNECTION, clientId=client.id, staffId=clinician.id), "addConnection"
    )

    assert again["errors"] == []
    assert await models.Connection.all().count() == 2  # the ended one stays as history
    assert await current_pairs() == {(client.id, clinician.id)}


async def test_a_deactivated_clients_connection_can_be_ended_without_mailing_them(
    assistant: Person, client: Person, clinician: Person
) -> None:
    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)
    await deactivate(client)

    result = payload(
        await assistant(REMOVE_CONNECTION, clientId=client.id, staffId=clinician.id),
        "removeConnection",
    )

    assert result["errors"] == []
    assert await current_pairs() == set()
    assert await models.OutboxMessage.filter(template="connection_ended").count() == 0


# --- setting a whole list ---------------------------------------------------------------------


async def test_setting_a_clients_clinicians_applies_the_difference_in_one_change(
    people: People,
    healthspace: models.Healthspace,
    assistant: Person,
    client: Person,
    clinician: Person,
    colleague: Person,
    smtp_sink: SmtpSink,
) -> None:
    # given a client connected to the clinician, that mail already sent
    third = await people.staff(healthspace, Role.CLINICIAN, first_name="Tess", last_name="Third")
    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)
    await deliver(smtp_sink)
    smtp_sink.clear()

    # when the assistant sets the client's clinicians to the colleague and a third
    result = payload(
        await assistant(SET_CONNECTIONS, memberId=client.id, memberIds=[colleague.id, third.id]),
        "setConnections",
    )

    # then the difference is applied, audited, and told in one mail
    assert result["errors"] == []
    assert result["member"] == {"id": client.id}
    assert {c["staff"]["id"] for c in result["connections"]} == {colleague.id, third.id}
    assert {c["staff"]["id"] for c in result["added"]} == {colleague.id, third.id}
    assert result["ended"] == [
        {
            "client": {"id": client.id},
            "staff": {"id": clinician.id},
            "endedBy": {"id": assistant.id},
        }
    ]
    assert await current_pairs() == {(client.id, colleague.id), (client.id, third.id)}
    assert (await audit_actions())[-3:].count("CONNECTION_ADDED") == 2
    assert "CONNECTION_ENDED" in await audit_actions()
    # One mail for the whole change, naming everyone.
    [mail] = await deliver(smtp_sink)
    assert mail.recipients == (client.email,)
    assert mail.subject == "Your connections in Praktijk De Linde changed"
    connected, _, ended = mail.text.partition("No longer connected with you:")
    assert "- Cor Colleague" in connected and "- Tess Third" in connected
    assert "- Clara Clinic" in ended


async def test_a_clinician_sets_their_own_client_list(
    people: People,
    healthspace: models.Healthspace,
    own_clinician: Person,
    client: Person,
    smtp_sink: SmtpSink,
) -> None:
    # given a second client
    second = await people.client(healthspace, first_name="Sam", last_name="Second")

    # when the clinician sets their own clients to both
    result = payload(
        await own_clinician(
            SET_CONNECTIONS, memberId=own_clinician.id, memberIds=[client.id, second.id]
        ),
        "setConnections",
    )

    # then both are connected and mailed
    assert result["errors"] == []
    assert await current_pairs() == {(client.id, own_clinician.id), (second.id, own_clinician.id)}
    mails = await deliver(smtp_sink)
    assert sorted(mail.recipients[0] for mail in mails) == sorted([client.email, second.email])
    assert {mail.subject for mail in mails} == {
        "Olga Own of Praktijk De Linde is now connected with you"
    }

    # and an empty list ends both
    cleared = payload(
        await own_clinician(SET_CONNECTIONS, memberId=own_clinician.id, memberIds=[]),
        "setConnections",
    )
    assert cleared["errors"] == [] and cleared["connections"] == []
    assert len(cleared["ended"]) == 2
    assert await current_pairs() == set()


async def test_setting_the_same_list_again_changes_and_mails_nothing(
    assistant: Person, client: Person, clinician: Person
) -> None:
    await assistant.data(SET_CONNECTIONS, memberId=client.id, memberIds=[clinician.id])
    mails, events = await models.OutboxMessage.all().count(), await models.AuditEvent.all().count()

    result = payload(
        await assistant(
            SET_CONNECTIONS, memberId=client.id, memberIds=[clinician.id, clinician.id]
        ),
        "setConnections",
    )

    assert result["errors"] == [] and result["added"] == [] and result["ended"] == []
    assert len(result["connections"]) == 1
    assert await models.OutboxMessage.all().count() == mails == 1
    assert await models.AuditEvent.all().count() == events


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ("deactivated clinician", "MEMBER_DEACTIVATED"),
        ("assistant", "NOT_A_CLINICIAN"),
        ("another client", "NOT_A_CLINICIAN"),
        ("clinician of another Healthspace", "NOT_FOUND"),
        ("not an id", "NOT_FOUND"),
    ],
)
async def test_one_bad_entry_refuses_the_whole_list(
    people: People,
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    assistant: Person,
    client: Person,
    clinician: Person,
    colleague: Person,
    entry: str,
    code: str,
) -> None:
    # given a client with a clinician, and the bad entry of this case
    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)
    before = (await current_pairs(), await models.OutboxMessage.all().count())
    if entry == "deactivated clinician":
        bad = (await people.staff(healthspace, Role.CLINICIAN)).id
        await models.Member.filter(id=bad).update(status=models.MemberStatus.DEACTIVATED)
    elif entry == "assistant":
        bad = assistant.id
    elif entry == "another client":
        bad = (await people.client(healthspace)).id
    elif entry == "clinician of another Healthspace":
        bad = (await people.staff(other_healthspace, Role.CLINICIAN)).id
    else:
        bad = "nonsense"

    # The list drops the current clinician and adds a good one before the bad one.
    # when the assistant sets a list with a good entry before the bad one
    result = payload(
        await assistant(SET_CONNECTIONS, memberId=client.id, memberIds=[colleague.id, bad]),
        "setConnections",
    )

    # then the whole list is refused at the bad entry and nothing changed
    assert result["connections"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, ["memberIds", "1"])]
    assert (await current_pairs(), await models.OutboxMessage.all().count()) == before


async def test_setting_connections_of_a_non_clinician_staff_member_points_at_them(
    assistant: Person, administrator: Person, client: Person
) -> None:
    result = payload(
        await administrator(SET_CONNECTIONS, memberId=assistant.id, memberIds=[client.id]),
        "setConnections",
    )

    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("NOT_A_CLINICIAN", ["memberId"])
    ]
    assert await current_pairs() == set()


async def test_a_huge_list_is_refused(assistant: Person, client: Person) -> None:
    result = payload(
        await assistant(SET_CONNECTIONS, memberId=client.id, memberIds=["x"] * 1001),
        "setConnections",
    )

    assert [(e["code"], e["field"]) for e in result["errors"]] == [("TOO_LONG", ["memberIds"])]


# --- who sees connections -------------------------------------------------------------------------

CLIENT_VIEW = """
query ClientView($id: ID!) {
  healthspace(id: $id) {
    viewerMember {
      connections { staff { id firstName connectedToViewer } }
    }
  }
}
"""


async def test_a_client_sees_the_clinicians_they_are_connected_to(
    healthspace: models.Healthspace, assistant: Person, client: Person, clinician: Person
) -> None:
    await assistant.data(ADD_CONNECTION, clientId=client.id, staffId=clinician.id)

    seen = await client.data(CLIENT_VIEW, id=str(healthspace.id))

    assert seen["healthspace"]["viewerMember"]["connections"] == [
        {"staff": {"id": clinician.id, "firstName": "Clara", "connectedToViewer": True}}
    ]


CLIENT_LOOKS_AT_CLINICIANS = """
query($id: ID!) {
  healthspace(id: $id) {
    viewerMember {
      connections {
        staff { lastName dateOfBirth connections { client { id lastName email } } }
      }
    }
  }
}
"""


async def test_a_client_never_sees_their_clinicians_other_clients(
    people: People,
    assistant: Person,
    clinician: Person,
    client: Person,
    healthspace: models.Healthspace,
) -> None:
    # given a clinician with a date of birth, connected to the client and another client
    other_client = await people.client(healthspace, last_name="Private")
    for person in (client, other_client):
        await assistant.data(ADD_CONNECTION, clientId=person.id, staffId=clinician.id)
    assert clinician.account is not None
    clinician.account.date_of_birth = dt.date(1980, 1, 2)
    await clinician.account.save()

    # when the client looks at their clinicians
    seen = await client.data(CLIENT_LOOKS_AT_CLINICIANS, id=str(healthspace.id))

    # then they see neither the date of birth nor the other client, which staff do see
    [link] = seen["healthspace"]["viewerMember"]["connections"]
    assert link["staff"]["lastName"] == "Clinic"
    assert link["staff"]["dateOfBirth"] is None
    assert link["staff"]["connections"] == [
        {"client": {"id": client.id, "lastName": "Client", "email": client.email}}
    ]
    as_staff = await assistant.data(
        "query($id: ID!) { member(id: $id) { dateOfBirth connections { client { id } } } }",
        id=clinician.id,
    )
    assert as_staff["member"]["dateOfBirth"] == "1980-01-02"
    assert {c["client"]["id"] for c in as_staff["member"]["connections"]} == {
        client.id,
        other_client.id,
    }
