"""`memberLookup`: "I can't find my patient" (seed 000) - is this address a member, invited, or
unknown here, and what should the staff member do next."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import People, Person

import models
from permissions.roles import Permission, Role

MEMBER_LOOKUP = """
query Lookup($healthspaceId: ID!, $email: String!) {
  memberLookup(healthspaceId: $healthspaceId, email: $email) {
    email status advice message
    member { id kind status }
    invitation { id status lastSentAt remindersSent nextReminderAt expiresAt }
  }
}
"""

SENT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


async def invite(
    healthspace: models.Healthspace,
    email: str,
    *,
    status: models.InvitationStatus = models.InvitationStatus.PENDING,
    sent: datetime = SENT,
    expires_at: datetime | None = None,
    kind: models.MemberKind = models.MemberKind.CLIENT,
) -> models.Invitation:
    invitation = await models.Invitation.create(
        healthspace=healthspace,
        kind=kind.value,
        email=email,
        token_hash=uuid.uuid4().hex,
        last_sent_at=sent + timedelta(days=3),
        reminders_sent=1,
        next_reminder_at=sent + timedelta(days=7),
        expires_at=expires_at or datetime.now(UTC) + timedelta(days=20),
        status=status,
        pending_key=f"{healthspace.id}:{email}"
        if status == models.InvitationStatus.PENDING
        else None,
    )
    await models.Invitation.filter(id=invitation.id).update(created_at=sent)
    return await models.Invitation.get(id=invitation.id)


async def lookup(person: Person, healthspace: models.Healthspace, email: str) -> dict[str, Any]:
    return (await person.data(MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email=email))[
        "memberLookup"
    ]


async def test_an_unknown_address_is_to_be_invited(
    healthspace: models.Healthspace, assistant: Person
) -> None:
    result = await lookup(assistant, healthspace, "nobody@example.org")

    assert result["email"] == "nobody@example.org"
    assert (result["status"], result["advice"]) == ("UNKNOWN", "INVITE")
    assert result["member"] is None and result["invitation"] is None
    assert "check the address" in result["message"]


async def test_a_pending_invitation_tells_when_it_was_sent_and_what_comes_next(
    healthspace: models.Healthspace, assistant: Person
) -> None:
    # given an invitation sent once and reminded once
    invitation = await invite(healthspace, "anna@example.org")

    # when the address is looked up, in another case and with spaces
    result = await lookup(assistant, healthspace, "  Anna@Example.ORG ")

    # then the invitation is found with when it was sent and what comes next
    assert result["email"] == "anna@example.org"
    assert (result["status"], result["advice"]) == ("INVITED", "WAIT_OR_RESEND")
    assert result["member"] is None
    found = result["invitation"]
    assert found["id"] == str(invitation.id)
    assert found["status"] == "PENDING"
    assert found["remindersSent"] == 1
    assert found["lastSentAt"].startswith("2026-11-05")
    assert found["nextReminderAt"].startswith("2026-11-09")
    assert found["expiresAt"] == invitation.expires_at.isoformat()
    assert result["message"].startswith(
        "Invited on 2026-11-02 (last sent 2026-11-05; 1 reminder sent, the next on 2026-11-09)"
    )
    assert "withdraw it and invite the right address" in result["message"]


@pytest.mark.parametrize("ended", ["withdrawn", "expired", "past its expiry"])
async def test_an_invitation_that_ended_is_to_be_sent_again(
    healthspace: models.Healthspace, assistant: Person, ended: str
) -> None:
    # given an invitation that ended in this way
    if ended == "withdrawn":
        await invite(healthspace, "anna@example.org", status=models.InvitationStatus.WITHDRAWN)
    elif ended == "expired":
        await invite(healthspace, "anna@example.org", status=models.InvitationStatus.EXPIRED)
    else:  # still PENDING in the table: the sweep has not been by yet
        await invite(
            healthspace, "anna@example.org", expires_at=datetime.now(UTC) - timedelta(hours=1)
        )

    # when the address is looked up
    result = await lookup(assistant, healthspace, "anna@example.org")

    # then it is to be sent again
    assert (result["status"], result["advice"]) == ("INVITATION_ENDED", "INVITE")
    assert result["invitation"]["status"] == ("WITHDRAWN" if ended == "withdrawn" else "EXPIRED")
    assert result["message"] == (
        f"The invitation sent on 2026-11-02 was {'withdrawn' if ended == 'withdrawn' else 'expired'}."
        " Send a new one."
    )


async def test_the_pending_invitation_wins_over_older_ones(
    healthspace: models.Healthspace, assistant: Person
) -> None:
    await invite(healthspace, "anna@example.org", status=models.InvitationStatus.EXPIRED)
    pending = await invite(healthspace, "anna@example.org", sent=SENT - timedelta(days=1))

    result = await lookup(assistant, healthspace, "anna@example.org")

    assert result["status"] == "INVITED"
    assert result["invitation"]["id"] == str(pending.id)


async def test_a_client_not_connected_to_me_is_to_be_connected(
    healthspace: models.Healthspace, assistant: Person, client: Person
) -> None:
    result = await lookup(assistant, healthspace, client.email)

    assert (result["status"], result["advice"]) == ("ACTIVE_MEMBER", "CONNECT")
    assert result["member"] == {"id": client.id, "kind": "CLIENT", "status": "ACTIVE"}
    assert "Connect with them" in result["message"]


async def test_a_client_already_connected_to_me_needs_nothing(
    people: People, healthspace: models.Healthspace, client: Person
) -> None:
    me = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])
    await models.Connection.create(
        healthspace=healthspace,
        client_id=client.id,
        staff_id=me.id,
        current_key=f"{client.id}:{me.id}",
    )

    result = await lookup(me, healthspace, client.email)

    assert (result["status"], result["advice"]) == ("ACTIVE_MEMBER", "NOTHING_TO_DO")
    assert "My clients" in result["message"]


async def test_a_deactivated_member_is_to_be_reactivated(
    healthspace: models.Healthspace, assistant: Person, client: Person
) -> None:
    await models.Member.filter(id=client.id).update(status=models.MemberStatus.DEACTIVATED)

    result = await lookup(assistant, healthspace, client.email)

    assert (result["status"], result["advice"]) == ("DEACTIVATED_MEMBER", "REACTIVATE")
    assert result["member"] == {"id": client.id, "kind": "CLIENT", "status": "DEACTIVATED"}


async def test_a_staff_member_is_a_member(
    healthspace: models.Healthspace, assistant: Person, clinician: Person
) -> None:
    result = await lookup(assistant, healthspace, clinician.email)

    assert (result["status"], result["advice"]) == ("ACTIVE_MEMBER", "NOTHING_TO_DO")
    assert result["member"]["kind"] == "STAFF"


async def test_what_is_elsewhere_stays_unknown(
    people: People,
    healthspace: models.Healthspace,
    other_healthspace: models.Healthspace,
    assistant: Person,
) -> None:
    elsewhere = await people.client(other_healthspace)
    await invite(other_healthspace, "invited-elsewhere@example.org")
    account_only = await people.account()

    for email in (elsewhere.email, "invited-elsewhere@example.org", account_only.email):
        result = await lookup(assistant, healthspace, email)
        assert (result["status"], result["member"], result["invitation"]) == (
            "UNKNOWN",
            None,
            None,
        )


async def test_staff_invitations_are_left_to_those_who_invite_staff(
    people: People, healthspace: models.Healthspace, administrator: Person
) -> None:
    await invite(healthspace, "newcolleague@example.org", kind=models.MemberKind.STAFF)
    inviting_clinician = await people.staff(
        healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS]
    )

    assert (await lookup(administrator, healthspace, "newcolleague@example.org"))[
        "status"
    ] == "INVITED"
    assert (await lookup(inviting_clinician, healthspace, "newcolleague@example.org"))[
        "status"
    ] == "UNKNOWN"


@pytest.mark.parametrize("email", ["not an address", "two@@example.org", ""])
async def test_a_malformed_address_is_bad_input(
    healthspace: models.Healthspace, assistant: Person, email: str
) -> None:
    result = await assistant(MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email=email)

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- who may look up ------------------------------------------------------------------------------


@pytest.fixture
async def inviting_clinician(people: People, healthspace: models.Healthspace) -> Person:
    return await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("client", "FORBIDDEN"),
        ("clinician", "FORBIDDEN"),
        ("own_clinician", "FORBIDDEN"),
        ("inviting_clinician", "OK"),
        ("assistant", "OK"),
        ("administrator", "OK"),
        ("outsider", "NOT_FOUND"),
    ],
    indirect=["person"],
)
async def test_member_lookup_needs_invite_clients(
    healthspace: models.Healthspace, person: Person, expected: str
) -> None:
    result = await person(MEMBER_LOOKUP, healthspaceId=str(healthspace.id), email="a@example.org")

    if expected == "OK":
        assert result["data"]["memberLookup"]["status"] == "UNKNOWN"
    else:
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == expected
