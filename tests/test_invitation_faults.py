"""Issue 7, the invitation faults: a pasted address list is several people (item 1), a dead
link shows its status only (item 3), an invitation does not outlive its sender's rights (item 5),
and becoming a member closes pending invitations (item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import People, Person
from documents import ACCEPT_INVITATION as ACCEPT
from documents import APPROVE_JOIN_REQUEST as APPROVE
from documents import INVITATION_PREVIEW as PREVIEW
from documents import INVITE_STAFF, REQUEST_TO_JOIN, WITHDRAW
from helpers import accept, codes, invite_client, latest_token, staff_input

import models
from domain.reminders import sweep
from permissions.roles import Permission, Role
from schema.settings import Settings

INVITE_ROSTER = """
mutation Roster($input: InviteRosterInput!) {
  inviteRoster(input: $input) {
    rows { line email note outcome message }
    errors { field code message }
  }
}
"""

OPEN_INVITATIONS = """
query Open($id: ID!) {
  healthspace(id: $id) { invitations(status: PENDING) { totalCount nodes { email } } }
}
"""

REVOKE = """
mutation Revoke($memberId: ID!, $permissions: [Permission!]!) {
  revokePermissions(memberId: $memberId, permissions: $permissions) { errors { code } }
}
"""

DEACTIVATE = """
mutation Deactivate($memberId: ID!) {
  deactivateMember(memberId: $memberId) { errors { code } }
}
"""


async def roster(person: Person, healthspace: models.Healthspace, text: str) -> dict[str, Any]:
    result = await person.data(
        INVITE_ROSTER, input={"healthspaceId": str(healthspace.id), "roster": text}
    )
    return result["inviteRoster"]


# --- item 1: an address list is several people ---------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Ann Smith <ann@example.com>; Bob Jones <bob@example.com>; carl@example.com",
        "ann@example.com, bob@example.com, carl@example.com",
        '"Smith, Ann" <ann@example.com>, "Jones, Bob" <bob@example.com>;carl@example.com;',
        "ann@example.com\tbob@example.com\tmailto:carl@example.com",
    ],
)
async def test_a_pasted_address_list_invites_each_person_with_their_own_mail(
    administrator: Person, healthspace: models.Healthspace, line: str
) -> None:
    payload = await roster(administrator, healthspace, f"# from Outlook\n{line}\n")

    assert payload["errors"] == []
    assert [(row["line"], row["email"], row["outcome"]) for row in payload["rows"]] == [
        (2, "ann@example.com", "SENT"),
        (2, "bob@example.com", "SENT"),
        (2, "carl@example.com", "SENT"),
    ]
    assert [row["note"] for row in payload["rows"]] == ["", "", ""]
    for email in ("ann@example.com", "bob@example.com", "carl@example.com"):
        [mail] = await models.OutboxMessage.filter(to_address=email)
        others = {"ann@example.com", "bob@example.com", "carl@example.com"} - {email}
        assert not any(other in mail.text_body or other in mail.html_body for other in others)


@pytest.mark.parametrize(
    "line",
    [
        "ann@example.com, please also invite bob@example.com",
        'ann@example.com, "Welcome; write to bob@example.com"',
        "ann@example.com, bob@example.com, see you Monday",
        "Ann <ann@example.com>; Bob <bob@example.com>; Welcome!",
    ],
)
async def test_no_address_ever_goes_into_someone_elses_note(
    administrator: Person, healthspace: models.Healthspace, line: str
) -> None:
    payload = await roster(administrator, healthspace, line)

    assert {row["outcome"] for row in payload["rows"]} == {"INVALID"}
    assert all("own line" in row["message"] for row in payload["rows"])
    assert await models.Invitation.all().count() == 0
    assert await models.OutboxMessage.all().count() == 0


async def test_the_same_person_twice_on_one_line_is_a_duplicate(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    payload = await roster(administrator, healthspace, "ann@example.com; Ann@Example.com")

    assert [row["outcome"] for row in payload["rows"]] == ["SENT", "DUPLICATE"]
    assert await models.Invitation.all().count() == 1


# --- item 3: a dead link shows its status only ---------------------------------------------


async def _dead_link(how: str, assistant: Person, people: People, healthspace: Any) -> str:
    invitation = await invite_client(assistant, healthspace, note="About your knee")
    token = await latest_token("anna.jansen@example.org")
    if how == "WITHDRAWN":
        assert (await assistant.data(WITHDRAW, id=invitation["id"]))["withdrawInvitation"][
            "errors"
        ] == []
    elif how == "EXPIRED":
        past = datetime.now(UTC) - timedelta(minutes=1)
        await models.Invitation.filter(id=invitation["id"]).update(expires_at=past)
    else:
        anonymous = Person(assistant.http, None)
        assert (await accept(anonymous, token, firstName="Anna", lastName="Jansen"))["errors"] == []
    return token


@pytest.mark.parametrize("how", ["WITHDRAWN", "EXPIRED", "ACCEPTED"])
async def test_a_dead_link_shows_its_status_and_nothing_personal(
    how: str, assistant: Person, people: People, healthspace: models.Healthspace
) -> None:
    token = await _dead_link(how, assistant, people, healthspace)

    preview = (await Person(assistant.http, None).data(PREVIEW, token=token))["invitation"]

    assert preview["status"] == how
    assert (preview["firstName"], preview["lastName"], preview["note"]) == ("", "", "")
    assert (preview["maskedEmail"], preview["inviterName"]) == ("", "")
    assert (preview["accountExists"], preview["viewerIsInvitee"]) == (False, False)
    assert preview["healthspace"]["name"] == "Praktijk De Linde"


# --- item 5: an invitation does not outlive its sender's rights ----------------------------


async def test_an_administrator_deactivated_after_inviting_an_administrator(
    people: People, administrator: Person, healthspace: models.Healthspace
) -> None:
    # given an invitation from an administrator who is deactivated afterwards
    inviting = await people.staff(healthspace, Role.ADMINISTRATOR)
    invited = await inviting.data(
        INVITE_STAFF, input=staff_input(healthspace, roles=["ADMINISTRATOR"])
    )
    assert invited["inviteStaff"]["errors"] == []
    token = await latest_token("sam.staff@example.org")
    deactivated = await administrator.data(DEACTIVATE, memberId=inviting.id)
    assert deactivated["deactivateMember"]["errors"] == []

    # when the invitee accepts
    refused = await accept(Person(administrator.http, None), token)

    # then it is refused, nothing is made, and the invitation stays pending
    assert codes(refused) == ["INVITER_NO_LONGER_ALLOWED"]
    assert "invite you again" in refused["errors"][0]["message"]
    assert refused["member"] is None
    assert not await models.Account.exists(email="sam.staff@example.org")
    row = await models.Invitation.get()
    assert row.status == models.InvitationStatus.PENDING  # the practice can still withdraw it


async def test_a_clinician_whose_invite_grant_was_revoked(
    people: People, administrator: Person, healthspace: models.Healthspace
) -> None:
    """Chosen: the acceptance is refused (not accepted without the connection)."""
    inviting = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])
    await invite_client(inviting, healthspace)
    token = await latest_token("anna.jansen@example.org")
    revoked = await administrator.data(REVOKE, memberId=inviting.id, permissions=["INVITE_CLIENTS"])
    assert revoked["revokePermissions"]["errors"] == []

    refused = await accept(Person(administrator.http, None), token)

    assert codes(refused) == ["INVITER_NO_LONGER_ALLOWED"]
    assert not await models.Connection.exists(staff_id=inviting.id)
    assert not await models.Member.exists(account__email="anna.jansen@example.org")


async def test_an_inviter_who_still_may_is_accepted(
    people: People, assistant: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")

    accepted = await accept(Person(assistant.http, None), token)

    assert accepted["errors"] == []


async def test_an_assistant_cannot_hand_out_grants_through_invite_staff(
    assistant: Person, healthspace: models.Healthspace
) -> None:
    result = await assistant.data(
        INVITE_STAFF,
        input=staff_input(healthspace, roles=["CLINICIAN"], permissions=["INVITE_CLIENTS"]),
    )

    errors = result["inviteStaff"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("FORBIDDEN", ["permissions"])]
    assert await models.Invitation.all().count() == 0


async def test_grants_given_before_the_inviter_lost_manage_members_are_refused(
    people: People, administrator: Person, healthspace: models.Healthspace
) -> None:
    inviting = await people.staff(healthspace, Role.ADMINISTRATOR, Role.CLINICIAN)
    invited = await inviting.data(
        INVITE_STAFF,
        input=staff_input(healthspace, roles=["CLINICIAN"], permissions=["INVITE_CLIENTS"]),
    )
    assert invited["inviteStaff"]["errors"] == []
    await models.Member.filter(id=inviting.id).update(roles=["ASSISTANT", "CLINICIAN"])

    refused = await accept(
        Person(administrator.http, None), await latest_token("sam.staff@example.org")
    )

    assert codes(refused) == ["INVITER_NO_LONGER_ALLOWED"]


# --- item 6: becoming a member closes pending invitations ----------------------------------


async def test_approving_a_join_request_closes_the_invitation_and_stops_reminders(
    people: People, assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    # given: Anna is invited and also asks to join
    healthspace.findable = True
    await healthspace.save(update_fields=["findable"])
    invitation = await invite_client(assistant, healthspace)
    account = await people.account("anna.jansen@example.org")
    anna = await people.signed_in(account)
    asked = await anna.data(REQUEST_TO_JOIN, healthspaceId=str(healthspace.id), message="Hi")
    request_id = asked["requestToJoin"]["joinRequest"]["id"]

    # when: her request is approved
    approved = await assistant.data(APPROVE, id=request_id)
    assert approved["approveJoinRequest"]["errors"] == []

    # then: the invitation is closed, not open, and never reminded
    row = await models.Invitation.get(id=invitation["id"])
    assert row.status == models.InvitationStatus.WITHDRAWN
    assert (row.pending_key, row.next_reminder_at) == (None, None)
    assert row.decided_at is not None
    opened = await assistant.data(OPEN_INVITATIONS, id=str(healthspace.id))
    assert opened["healthspace"]["invitations"]["totalCount"] == 0
    later = datetime.now(UTC) + timedelta(days=8)
    assert (await sweep(settings, now=later)).reminded == 0
    assert not await models.OutboxMessage.exists(template="invitation_reminder")
    assert await models.AuditEvent.exists(action="INVITATION_CLOSED", subject_id=row.id)


async def test_becoming_a_member_directly_closes_the_invitation(
    people: People, assistant: Person, healthspace: models.Healthspace
) -> None:
    """As the command line and the demo seed make members (domain.members.add_member)."""
    await invite_client(assistant, healthspace)
    anna = await people.client(healthspace, email="anna.jansen@example.org")

    row = await models.Invitation.get()
    assert row.status == models.InvitationStatus.WITHDRAWN
    assert anna.member is not None


async def test_the_sweep_never_reminds_a_member(
    people: People, assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    """Even a pending invitation left over from before (a member made without add_member)."""
    invitation = await invite_client(assistant, healthspace)
    account = await people.account("anna.jansen@example.org")
    await models.Member.create(account=account, healthspace=healthspace, kind="CLIENT")

    result = await sweep(settings, now=datetime.now(UTC) + timedelta(days=3, minutes=1))

    assert (result.reminded, result.closed) == (0, 1)
    assert not await models.OutboxMessage.exists(template="invitation_reminder")
    row = await models.Invitation.get(id=invitation["id"])
    assert row.status == models.InvitationStatus.WITHDRAWN
    assert row.pending_key is None


async def test_accepting_after_closing_by_membership_says_already_member(
    people: People, assistant: Person, healthspace: models.Healthspace
) -> None:
    await invite_client(assistant, healthspace)
    token = await latest_token("anna.jansen@example.org")
    anna = await people.client(healthspace, email="anna.jansen@example.org")

    refused = await anna.data(ACCEPT, input={"token": token})

    assert codes(refused["acceptInvitation"]) == ["ALREADY_MEMBER"]
