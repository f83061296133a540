"""Inviting clients and staff, the open-invitations list, resend and withdraw, through the API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PUBLIC_URL, People, Person, error_code
from documents import INVITATIONS, INVITE_CLIENT, INVITE_STAFF, RESEND, WITHDRAW
from helpers import client_input, invite_client, latest_token, staff_input

import models
from permissions.roles import Permission, Role
from permissions.tokens import hash_token

PREVIEW = """
query Preview($token: String!) {
  invitation(token: $token) { status maskedEmail }
}
"""


async def actions(healthspace: models.Healthspace) -> list[str]:
    return list(
        await models.AuditEvent.filter(
            healthspace_id=healthspace.id, action__startswith="INVITATION_"
        )
        .order_by("occurred_at")
        .values_list("action", flat=True)
    )


# --- inviting a client -----------------------------------------------------------------------


async def test_an_assistant_invites_a_client_and_the_mail_is_queued(
    assistant: Person, clinician: Person, healthspace: models.Healthspace
) -> None:
    # when an assistant invites a client
    invitation = await invite_client(
        assistant,
        healthspace,
        email="  Anna.Jansen@Example.org ",
        note="Welcome to our practice",
        connectTo=[clinician.id],
        identificationNumber="P-1234",
        dateOfBirth="1990-04-01",
    )

    # then the invitation is pending with its details and reminder dates
    assert invitation["kind"] == "CLIENT"
    assert invitation["email"] == "anna.jansen@example.org"
    assert invitation["status"] == "PENDING"
    assert invitation["remindersSent"] == 0
    assert invitation["identificationNumber"] == "P-1234"
    assert invitation["dateOfBirth"] == "1990-04-01"
    assert invitation["invitedBy"] == {"id": assistant.id, "firstName": "Assa"}
    assert invitation["connectTo"] == [{"id": clinician.id}]
    assert invitation["healthspace"]["name"] == "Praktijk De Linde"
    sent = datetime.fromisoformat(invitation["lastSentAt"])
    assert datetime.fromisoformat(invitation["nextReminderAt"]) == sent + timedelta(days=3)
    assert datetime.fromisoformat(invitation["expiresAt"]) == sent + timedelta(days=30)

    # and the mail is queued with a link whose token is the invitation's
    [mail] = await models.OutboxMessage.filter(to_address="anna.jansen@example.org")
    assert mail.template == "invitation"
    assert "Praktijk De Linde" in mail.subject
    assert "Assa Assist" in mail.text_body
    assert "Welcome to our practice" in mail.text_body
    assert f"{PUBLIC_URL}/invitations/accept?token=" in mail.text_body
    row = await models.Invitation.get(id=invitation["id"])
    assert row.token_hash == hash_token(await latest_token("anna.jansen@example.org"))
    assert await actions(healthspace) == ["INVITATION_CREATED"]


async def test_a_clinician_who_invites_is_connected_unless_they_untick_it(
    people: People, healthspace: models.Healthspace
) -> None:
    inviting = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])

    ticked = await invite_client(inviting, healthspace, email="ticked@example.org")
    unticked = await invite_client(inviting, healthspace, email="plain@example.org", connectTo=[])

    assert ticked["connectTo"] == [{"id": inviting.id}]
    assert unticked["connectTo"] == []


async def test_an_assistant_who_invites_connects_nobody_by_default(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    assert (await invite_client(assistant, healthspace))["connectTo"] == []


async def test_connecting_another_clinician_needs_manage_connections(
    people: People, clinician: Person, healthspace: models.Healthspace
) -> None:
    inviting = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])

    result = await inviting.data(
        INVITE_CLIENT, input=client_input(healthspace, connectTo=[inviting.id, clinician.id])
    )

    payload = result["inviteClient"]
    assert payload["invitation"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", ["connectTo"])]
    assert await models.Invitation.all().count() == 0


@pytest.mark.parametrize(
    ("target", "code"),
    [("administrator", "NOT_A_CLINICIAN"), ("outsider", "NOT_FOUND"), ("nonsense", "NOT_FOUND")],
)
async def test_connect_to_names_active_clinicians_of_this_healthspace(
    target: str,
    code: str,
    assistant: Person,
    administrator: Person,
    outsider: Person,
    healthspace: models.Healthspace,
) -> None:
    ids = {"administrator": administrator.id, "outsider": outsider.id, "nonsense": "12"}

    result = await assistant.data(
        INVITE_CLIENT, input=client_input(healthspace, connectTo=[ids[target]])
    )

    assert [e["code"] for e in result["inviteClient"]["errors"]] == [code]


async def test_a_deactivated_clinician_cannot_be_named(
    assistant: Person, clinician: Person, healthspace: models.Healthspace
) -> None:
    await models.Member.filter(id=clinician.id).update(status=models.MemberStatus.DEACTIVATED)

    result = await assistant.data(
        INVITE_CLIENT, input=client_input(healthspace, connectTo=[clinician.id])
    )

    assert [e["code"] for e in result["inviteClient"]["errors"]] == ["MEMBER_DEACTIVATED"]


@pytest.mark.parametrize(
    ("person", "client_code", "staff_code"),
    [
        ("anonymous", "UNAUTHENTICATED", "UNAUTHENTICATED"),
        ("client", "FORBIDDEN", "FORBIDDEN"),
        ("clinician", "FORBIDDEN", "FORBIDDEN"),
        ("outsider", "NOT_FOUND", "NOT_FOUND"),
        ("assistant", None, None),
        ("administrator", None, None),
    ],
    indirect=["person"],
)
async def test_who_may_invite(
    person: Person,
    client_code: str | None,
    staff_code: str | None,
    healthspace: models.Healthspace,
) -> None:
    as_client = await person(INVITE_CLIENT, input=client_input(healthspace))
    as_staff = await person(INVITE_STAFF, input=staff_input(healthspace))

    assert error_code(as_client) == client_code
    assert error_code(as_staff) == staff_code
    expected = (client_code is None) + (staff_code is None)
    assert await models.Invitation.all().count() == expected


async def test_a_clinician_granted_invite_clients_may_invite_clients_only(
    people: People, healthspace: models.Healthspace
) -> None:
    inviting = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])

    assert error_code(await inviting(INVITE_CLIENT, input=client_input(healthspace))) is None
    assert error_code(await inviting(INVITE_STAFF, input=staff_input(healthspace))) == "FORBIDDEN"


async def test_inviting_into_another_healthspace_is_not_found(
    administrator: Person, other_healthspace: models.Healthspace
) -> None:
    result = await administrator(INVITE_CLIENT, input=client_input(other_healthspace))

    assert error_code(result) == "NOT_FOUND"
    assert await models.Invitation.all().count() == 0


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"email": "anna jansen@example.org"}, "INVALID_EMAIL", "email"),
        ({"email": "anna@@example.org"}, "INVALID_EMAIL", "email"),
        ({"email": "anna@jansen@example.org"}, "INVALID_EMAIL", "email"),
        ({"email": ""}, "INVALID_EMAIL", "email"),
        ({"note": "x" * 1001}, "TOO_LONG", "note"),
        ({"firstName": "  "}, "REQUIRED", "firstName"),
        ({"lastName": "J" * 101}, "TOO_LONG", "lastName"),
        ({"identificationNumber": "9" * 51}, "TOO_LONG", "identificationNumber"),
        ({"dateOfBirth": "2999-01-01"}, "INVALID", "dateOfBirth"),
    ],
)
async def test_bad_client_input_is_refused_and_nothing_is_written(
    changes: dict[str, Any],
    code: str,
    field: str,
    assistant: Person,
    healthspace: models.Healthspace,
) -> None:
    result = await assistant.data(INVITE_CLIENT, input=client_input(healthspace, **changes))

    payload = result["inviteClient"]
    assert payload["invitation"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, [field])]
    assert await models.Invitation.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0
    assert await actions(healthspace) == []


async def test_a_note_of_exactly_1000_characters_is_fine(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    invitation = await invite_client(assistant, healthspace, note="x" * 1000)

    assert len(invitation["note"]) == 1000


# --- inviting staff --------------------------------------------------------------------------


async def test_an_administrator_invites_staff_with_roles_and_granted_permissions(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    result = await administrator.data(
        INVITE_STAFF,
        input=staff_input(
            healthspace,
            roles=["CLINICIAN", "LIBRARY_MANAGER"],
            permissions=["INVITE_CLIENTS", "MANAGE_OWN_CONNECTIONS"],
        ),
    )

    invitation = result["inviteStaff"]["invitation"]
    assert invitation["kind"] == "STAFF"
    assert invitation["roles"] == ["CLINICIAN", "LIBRARY_MANAGER"]
    assert invitation["grantedPermissions"] == ["INVITE_CLIENTS", "MANAGE_OWN_CONNECTIONS"]
    assert await models.OutboxMessage.filter(to_address="sam.staff@example.org").count() == 1


@pytest.mark.parametrize(
    ("person", "changes", "code", "field"),
    [
        ("administrator", {"roles": []}, "INVALID_ROLE", "roles"),
        (
            "administrator",
            {"roles": ["ASSISTANT"], "permissions": ["INVITE_CLIENTS"]},
            "INVALID_PERMISSION",
            "permissions",
        ),
        (
            "administrator",
            {"roles": ["CLINICIAN"], "permissions": ["VIEW_AUDIT_LOG"]},
            "INVALID_PERMISSION",
            "permissions",
        ),
        ("assistant", {"roles": ["ADMINISTRATOR"]}, "FORBIDDEN", "roles"),
    ],
    indirect=["person"],
)
async def test_staff_roles_and_permissions_must_fit(
    person: Person,
    changes: dict[str, Any],
    code: str,
    field: str,
    healthspace: models.Healthspace,
) -> None:
    result = await person.data(INVITE_STAFF, input=staff_input(healthspace, **changes))

    assert [(e["code"], e["field"]) for e in result["inviteStaff"]["errors"]] == [(code, [field])]
    assert await models.Invitation.all().count() == 0


async def test_an_assistant_may_invite_non_administrator_staff(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    result = await assistant.data(INVITE_STAFF, input=staff_input(healthspace, roles=["ASSISTANT"]))

    assert result["inviteStaff"]["invitation"]["roles"] == ["ASSISTANT"]


# --- one pending invitation per person ---------------------------------------------------------


async def test_a_member_is_not_invited_again(
    assistant: Person, client: Person, clinician: Person, healthspace: models.Healthspace
) -> None:
    as_client = await assistant.data(
        INVITE_CLIENT, input=client_input(healthspace, email=client.email)
    )
    as_staff = await assistant.data(
        INVITE_STAFF, input=staff_input(healthspace, email=clinician.email.upper())
    )

    assert [e["code"] for e in as_client["inviteClient"]["errors"]] == ["ALREADY_MEMBER"]
    assert [e["code"] for e in as_staff["inviteStaff"]["errors"]] == ["ALREADY_MEMBER"]


async def test_a_member_of_another_healthspace_can_be_invited(
    assistant: Person, outsider: Person, healthspace: models.Healthspace
) -> None:
    invitation = await invite_client(assistant, healthspace, email=outsider.email)

    assert invitation["email"] == outsider.email


async def test_a_pending_invitation_says_already_invited_whatever_the_case_or_kind(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace)

    again = await assistant.data(
        INVITE_CLIENT, input=client_input(healthspace, email="ANNA.Jansen@example.ORG")
    )
    as_staff = await assistant.data(
        INVITE_STAFF,
        input=staff_input(healthspace, email="anna.jansen@example.org", roles=["ASSISTANT"]),
    )

    assert [e["code"] for e in again["inviteClient"]["errors"]] == ["ALREADY_INVITED"]
    assert [e["code"] for e in as_staff["inviteStaff"]["errors"]] == ["ALREADY_INVITED"]
    assert await models.Invitation.all().count() == 1
    assert await models.OutboxMessage.all().count() == 1


async def test_parallel_invitations_of_one_address_make_one(
    assistant: Person, administrator: Person, healthspace: models.Healthspace
) -> None:
    results = await asyncio.gather(
        *(
            person.data(INVITE_CLIENT, input=client_input(healthspace))
            for person in [assistant, administrator] * 3
        )
    )

    outcomes = sorted(
        tuple(e["code"] for e in result["inviteClient"]["errors"]) for result in results
    )
    assert outcomes == [()] + [("ALREADY_INVITED",)] * 5
    assert await models.Invitation.all().count() == 1
    assert await models.OutboxMessage.all().count() == 1


async def test_the_same_person_can_be_invited_by_two_healthspaces(
    assistant: Person, outsider: Person, healthspace: models.Healthspace, other_healthspace
) -> None:
    await invite_client(assistant, healthspace)
    await invite_client(outsider, other_healthspace)

    assert await models.Invitation.filter(email="anna.jansen@example.org").count() == 2


async def test_a_withdrawn_invitation_never_blocks_a_new_one(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    first = await invite_client(assistant, healthspace)
    await assistant.data(WITHDRAW, id=first["id"])

    second = await invite_client(assistant, healthspace)

    assert second["id"] != first["id"]
    assert second["status"] == "PENDING"


async def test_an_expired_invitation_never_blocks_a_new_one_even_before_the_sweep(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    first = await invite_client(assistant, healthspace)
    await models.Invitation.filter(id=first["id"]).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )

    second = await invite_client(assistant, healthspace)

    old = await models.Invitation.get(id=first["id"])
    assert second["status"] == "PENDING"
    assert (old.status, old.pending_key) == (models.InvitationStatus.EXPIRED, None)
    assert await actions(healthspace) == [
        "INVITATION_CREATED",
        "INVITATION_EXPIRED",
        "INVITATION_CREATED",
    ]


# --- the open-invitations list ------------------------------------------------------------------


async def test_open_invitations_show_dates_reminders_and_inviter(
    assistant: Person, administrator: Person, healthspace: models.Healthspace
) -> None:
    # given three pending invitations and a withdrawn one
    for number in range(3):
        await invite_client(assistant, healthspace, email=f"client{number}@example.org")
    withdrawn = await invite_client(assistant, healthspace, email="gone@example.org")
    await assistant.data(WITHDRAW, id=withdrawn["id"])

    # when the administrator lists pending, all, and a first page
    pending = (await administrator.data(INVITATIONS, id=str(healthspace.id), status="PENDING"))[
        "healthspace"
    ]["invitations"]
    everything = (await administrator.data(INVITATIONS, id=str(healthspace.id)))["healthspace"][
        "invitations"
    ]
    page = (await administrator.data(INVITATIONS, id=str(healthspace.id), first=2))["healthspace"][
        "invitations"
    ]

    # then each list has the right invitations with their dates and inviter
    assert pending["totalCount"] == 3
    assert {node["email"] for node in pending["nodes"]} == {
        f"client{n}@example.org" for n in range(3)
    }
    node = pending["nodes"][0]
    assert node["invitedBy"] == {"firstName": "Assa", "lastName": "Assist"}
    assert node["remindersSent"] == 0
    assert node["nextReminderAt"] and node["expiresAt"] and node["lastSentAt"] and node["createdAt"]
    assert everything["totalCount"] == 4
    assert everything["nodes"][0]["email"] == "gone@example.org"  # newest first
    assert everything["nodes"][0]["status"] == "WITHDRAWN"
    assert everything["nodes"][0]["nextReminderAt"] is None
    assert page["pageInfo"]["hasNextPage"] is True and len(page["nodes"]) == 2


async def test_a_pending_invitation_past_its_expiry_is_listed_as_expired(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    invitation = await invite_client(assistant, healthspace)
    await models.Invitation.filter(id=invitation["id"]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    pending = await assistant.data(INVITATIONS, id=str(healthspace.id), status="PENDING")
    expired = await assistant.data(INVITATIONS, id=str(healthspace.id), status="EXPIRED")

    assert pending["healthspace"]["invitations"]["totalCount"] == 0
    [node] = expired["healthspace"]["invitations"]["nodes"]
    assert (node["status"], node["nextReminderAt"]) == ("EXPIRED", None)


async def test_who_sees_which_invitations(
    people: People,
    administrator: Person,
    clinician: Person,
    client: Person,
    healthspace: models.Healthspace,
) -> None:
    await invite_client(administrator, healthspace)
    await administrator.data(INVITE_STAFF, input=staff_input(healthspace))
    inviting = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])

    def kinds(result: dict[str, Any]) -> list[str]:
        return sorted(node["kind"] for node in result["healthspace"]["invitations"]["nodes"])

    assert kinds(await administrator.data(INVITATIONS, id=str(healthspace.id))) == [
        "CLIENT",
        "STAFF",
    ]
    assert kinds(await inviting.data(INVITATIONS, id=str(healthspace.id))) == ["CLIENT"]
    assert error_code(await clinician(INVITATIONS, id=str(healthspace.id))) == "FORBIDDEN"
    assert error_code(await client(INVITATIONS, id=str(healthspace.id))) == "FORBIDDEN"


async def test_listing_invitations_takes_the_same_queries_for_3_or_30(
    assistant: Person, clinician: Person, healthspace: models.Healthspace, sql_queries
) -> None:
    query = """
    query ($id: ID!) { healthspace(id: $id) { invitations(first: 100) {
      nodes { email invitedBy { firstName } connectTo { id } healthspace { name } } } } }
    """
    # when 3 and then 30 invitations are listed
    counts = []
    for total in (3, 30):
        while await models.Invitation.all().count() < total:
            number = await models.Invitation.all().count()
            await invite_client(
                assistant, healthspace, email=f"c{number}@example.org", connectTo=[clinician.id]
            )
        with sql_queries() as counter:
            result = await assistant.data(query, id=str(healthspace.id))
        assert len(result["healthspace"]["invitations"]["nodes"]) == total
        counts.append(counter.count)

    # then both take the same number of queries
    assert counts[0] == counts[1]


# --- resend and withdraw ----------------------------------------------------------------------


async def test_resend_is_rate_limited_and_rotates_the_link(
    assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    # given an invitation just sent
    invitation = await invite_client(assistant, healthspace)
    old_token = await latest_token("anna.jansen@example.org")

    # when it is resent at once, then it is refused
    too_soon = await assistant.data(RESEND, id=invitation["id"])
    assert [e["code"] for e in too_soon["resendInvitation"]["errors"]] == ["RATE_LIMITED"]
    assert await models.OutboxMessage.all().count() == 1

    # when it is resent ten minutes later
    # Ten minutes later (the default interval is five).
    await models.Invitation.filter(id=invitation["id"]).update(
        last_sent_at=datetime.now(UTC) - timedelta(minutes=10)
    )
    resent = (await assistant.data(RESEND, id=invitation["id"]))["resendInvitation"]

    # then a new link is mailed and the old one no longer works
    assert resent["errors"] == []
    new_token = await latest_token("anna.jansen@example.org")
    assert new_token != old_token
    assert await models.OutboxMessage.filter(to_address="anna.jansen@example.org").count() == 2
    assert (await anonymous.data(PREVIEW, token=old_token))["invitation"] is None
    assert (await anonymous.data(PREVIEW, token=new_token))["invitation"]["status"] == "PENDING"
    assert await actions(healthspace) == ["INVITATION_CREATED", "INVITATION_RESENT"]


async def test_resend_renews_the_expiry_and_restarts_the_reminder_wait(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    invitation = await invite_client(assistant, healthspace)
    long_ago = datetime.now(UTC) - timedelta(days=20)
    await models.Invitation.filter(id=invitation["id"]).update(
        last_sent_at=long_ago, expires_at=long_ago + timedelta(days=30), reminders_sent=1
    )

    await assistant.data(RESEND, id=invitation["id"])

    row = await models.Invitation.get(id=invitation["id"])
    assert row.expires_at == row.last_sent_at + timedelta(days=30)
    assert row.next_reminder_at == row.last_sent_at + timedelta(days=4)  # day 7 minus day 3
    assert row.reminders_sent == 1


async def test_withdraw_makes_the_link_invalid_at_once(
    assistant: Person, anonymous: Person, healthspace: models.Healthspace
) -> None:
    # given an invitation and its token
    invitation = await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")

    # when it is withdrawn, withdrawn again and resent
    withdrawn = (await assistant.data(WITHDRAW, id=invitation["id"]))["withdrawInvitation"]
    again = (await assistant.data(WITHDRAW, id=invitation["id"]))["withdrawInvitation"]
    await models.Invitation.filter(id=invitation["id"]).update(
        last_sent_at=datetime.now(UTC) - timedelta(hours=1)
    )
    resend = (await assistant.data(RESEND, id=invitation["id"]))["resendInvitation"]

    # then only the first withdrawal counts and the link shows it withdrawn
    assert withdrawn["invitation"]["status"] == "WITHDRAWN"
    assert [e["code"] for e in again["errors"]] == ["NOT_PENDING"]
    assert [e["code"] for e in resend["errors"]] == ["NOT_PENDING"]
    assert (await anonymous.data(PREVIEW, token=token))["invitation"]["status"] == "WITHDRAWN"
    row = await models.Invitation.get(id=invitation["id"])
    assert (row.pending_key, row.next_reminder_at) == (None, None)
    assert await actions(healthspace) == ["INVITATION_CREATED", "INVITATION_WITHDRAWN"]


async def test_who_may_resend_or_withdraw(
    people: People,
    administrator: Person,
    clinician: Person,
    outsider: Person,
    healthspace: models.Healthspace,
) -> None:
    client_invitation = await invite_client(administrator, healthspace)
    staff_invitation = (await administrator.data(INVITE_STAFF, input=staff_input(healthspace)))[
        "inviteStaff"
    ]["invitation"]
    inviting = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])

    assert error_code(await clinician(WITHDRAW, id=client_invitation["id"])) == "FORBIDDEN"
    assert error_code(await outsider(WITHDRAW, id=client_invitation["id"])) == "NOT_FOUND"
    assert error_code(await inviting(WITHDRAW, id=staff_invitation["id"])) == "FORBIDDEN"
    assert error_code(await inviting(RESEND, id=staff_invitation["id"])) == "FORBIDDEN"
    assert error_code(await inviting(WITHDRAW, id="not-an-id")) == "NOT_FOUND"
    assert await models.Invitation.filter(status=models.InvitationStatus.PENDING).count() == 2

    assert error_code(await inviting(WITHDRAW, id=client_invitation["id"])) is None
