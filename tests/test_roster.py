"""inviteRoster and rosterBatch through GraphQL: outcomes per line, dry runs, repeat safety,
all-or-nothing writes, permissions, and a statement count that does not grow with the roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import People, Person, QueryCounter, error_code
from documents import INVITE_ROSTER, INVITE_ROSTER_COUNTS
from helpers import invite_roster as invite

import models
from domain import roster as roster_module
from models.bulk import BulkTable
from permissions.roles import Permission, Role
from permissions.tokens import hash_token, new_token

ROSTER_BATCH = """
query RosterBatch($id: ID!) {
  rosterBatch(id: $id) {
    id roster defaultNote requireExistingAccount ready
    counts { total sent alreadyInvited duplicate invalid }
    rows { line email note outcome message invitation { id email status } }
    problems: rows(outcomes: [INVALID, DUPLICATE]) { line outcome }
    notOnPlatform
    createdBy { id }
    connectTo { id }
    healthspace { id }
  }
}
"""


def outcomes(payload: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(row["line"], row["email"], row["outcome"]) for row in payload["rows"]]


async def written() -> dict[str, int]:
    return {
        "invitations": await models.Invitation.all().count(),
        "mails": await models.OutboxMessage.all().count(),
        "batches": await models.RosterBatch.all().count(),
        "events": await models.AuditEvent.all().count(),
    }


async def pending_invitation(
    healthspace: models.Healthspace,
    email: str,
    *,
    expires_in: timedelta = timedelta(days=30),
    **fields: Any,
) -> models.Invitation:
    now = datetime.now(UTC)
    status = fields.pop("status", models.InvitationStatus.PENDING)
    return await models.Invitation.create(
        healthspace=healthspace,
        kind=models.MemberKind.CLIENT,
        email=email,
        status=status,
        token_hash=hash_token(new_token()),
        last_sent_at=now - timedelta(days=1),
        expires_at=now + expires_in,
        pending_key=f"{healthspace.id}:{email}"
        if status == models.InvitationStatus.PENDING
        else None,
        **fields,
    )


# --- outcomes --------------------------------------------------------------------------------


async def test_every_outcome_in_roster_order(
    administrator: Person,
    clinician: Person,
    people: People,
    healthspace: models.Healthspace,
) -> None:
    # given a client already connected, a member, a pending invitation, and a roster with every kind of line
    connected = await people.client(healthspace, email="connected@example.org")
    await models.Connection.create(
        healthspace=healthspace,
        client=connected.member,
        staff=clinician.member,
        current_key=f"{connected.id}:{clinician.id}",
    )
    await people.client(healthspace, email="member@example.org")
    await pending_invitation(healthspace, "invited@example.org")
    roster = "\r\n".join(
        [
            "\ufeff# our patients",
            "new@example.org",
            "Connected@Example.org",
            "member@example.org",
            "invited@example.org",
            "NEW@example.org, again",
            "not an address",
            "",
            "Ann Smith <ann@example.org>, Welcome Ann",
        ]
    )

    # when the administrator sends the roster
    payload = await invite(
        administrator, roster, defaultNote="See you soon", connectTo=[clinician.id]
    )

    # then each line has its outcome, in roster order, and the new invitations carry the note
    assert payload["errors"] == []
    assert outcomes(payload) == [
        (2, "new@example.org", "SENT"),
        (3, "connected@example.org", "ALREADY_CONNECTED"),
        (4, "member@example.org", "ALREADY_MEMBER"),
        (5, "invited@example.org", "ALREADY_INVITED"),
        (6, "new@example.org", "DUPLICATE"),
        (7, "not an address", "INVALID"),
        (9, "ann@example.org", "SENT"),
    ]
    assert payload["ready"] == 2
    assert payload["counts"] == {
        "total": 7,
        "sent": 2,
        "notOnPlatform": 0,
        "alreadyConnected": 1,
        "alreadyMember": 1,
        "alreadyInvited": 1,
        "duplicate": 1,
        "invalid": 1,
        "error": 0,
    }
    rows = payload["rows"]
    assert [row["note"] for row in rows[:2]] == ["See you soon", "See you soon"]
    assert rows[4]["message"] == "Same person as line 2."
    assert "contains a space" in rows[5]["message"]
    assert rows[6]["note"] == "Welcome Ann"
    assert rows[6]["invitation"]["email"] == "ann@example.org"
    assert rows[6]["invitation"]["note"] == "Welcome Ann"
    assert rows[6]["invitation"]["status"] == "PENDING"
    assert [row["invitation"] is None for row in rows] == [
        False,
        True,
        True,
        True,
        True,
        True,
        False,
    ]

    invitation = await models.Invitation.get(email="ann@example.org")
    assert (invitation.first_name, invitation.last_name) == ("Ann", "Smith")
    assert invitation.connect_to == [clinician.id]
    assert invitation.invited_by_id == administrator.member.id  # type: ignore[union-attr]
    assert (
        invitation.batch_id == payload["batch"]["id"]
        or str(invitation.batch_id) == payload["batch"]["id"]
    )


async def test_a_member_is_already_connected_to_the_inviting_clinician(
    people: People, healthspace: models.Healthspace
) -> None:
    # given a client of the inviting clinician and a client of another
    inviter = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])
    other = await people.staff(healthspace, Role.CLINICIAN)
    mine = await people.client(healthspace, email="mine@example.org")
    theirs = await people.client(healthspace, email="theirs@example.org")
    for client, staff in ((mine, inviter), (theirs, other)):
        await models.Connection.create(
            healthspace=healthspace,
            client=client.member,
            staff=staff.member,
            current_key=f"{client.id}:{staff.id}",
        )

    # when the clinician sends a roster naming both
    # connectTo [] unticks the box, yet a client of the inviting clinician stays "connected".
    payload = await invite(inviter, "mine@example.org\ntheirs@example.org", connectTo=[])

    # then their own client is already connected, the other already a member
    assert [row["outcome"] for row in payload["rows"]] == ["ALREADY_CONNECTED", "ALREADY_MEMBER"]


async def test_staff_members_are_already_members(administrator: Person, assistant: Person) -> None:
    payload = await invite(administrator, f"{assistant.email}\n{administrator.email}")

    assert [row["outcome"] for row in payload["rows"]] == ["ALREADY_MEMBER", "ALREADY_MEMBER"]
    assert "staff member" in payload["rows"][0]["message"]


async def test_a_deactivated_member_is_invited_again(
    administrator: Person, people: People, healthspace: models.Healthspace
) -> None:
    former = await people.client(healthspace, email="former@example.org")
    await models.Member.filter(id=former.id).update(status=models.MemberStatus.DEACTIVATED)

    payload = await invite(administrator, "former@example.org")

    assert outcomes(payload) == [(1, "former@example.org", "SENT")]


async def test_expired_and_withdrawn_invitations_never_block_a_new_one(
    administrator: Person, healthspace: models.Healthspace
) -> None:
    stale = await pending_invitation(
        healthspace, "stale@example.org", expires_in=timedelta(seconds=-1)
    )
    await pending_invitation(
        healthspace, "withdrawn@example.org", status=models.InvitationStatus.WITHDRAWN
    )

    payload = await invite(administrator, "stale@example.org\nwithdrawn@example.org")

    assert [row["outcome"] for row in payload["rows"]] == ["SENT", "SENT"]
    await stale.refresh_from_db()
    assert stale.status == models.InvitationStatus.EXPIRED and stale.pending_key is None
    assert await models.AuditEvent.filter(action="INVITATION_EXPIRED", subject_id=stale.id).exists()
    assert await models.Invitation.filter(status=models.InvitationStatus.PENDING).count() == 2


async def test_require_existing_account_lists_the_others(
    administrator: Person, people: People
) -> None:
    # given one address with an account and two without
    await people.account("has.account@example.org")

    # when a roster requires an existing account
    payload = await invite(
        administrator,
        "nobody@example.org\nhas.account@example.org\nalso.nobody@example.org, hi",
        requireExistingAccount=True,
    )

    # then only the one with an account is invited, and the others are listed
    assert [row["outcome"] for row in payload["rows"]] == [
        "NOT_ON_PLATFORM",
        "SENT",
        "NOT_ON_PLATFORM",
    ]
    assert payload["notOnPlatform"] == ["nobody@example.org", "also.nobody@example.org"]
    assert payload["counts"]["notOnPlatform"] == 2 and payload["ready"] == 1
    assert await models.Invitation.all().values_list("email", flat=True) == [
        "has.account@example.org"
    ]


async def test_an_existing_account_gets_its_names_and_language(
    administrator: Person, people: People
) -> None:
    await people.account("anna@example.org", first_name="Anna", last_name="Jansen", language="nl")

    await invite(administrator, "anna@example.org")

    invitation = await models.Invitation.get(email="anna@example.org")
    mail = await models.OutboxMessage.get(to_address="anna@example.org")
    assert (invitation.first_name, invitation.last_name) == ("Anna", "Jansen")
    assert mail.text_body.startswith("Hallo Anna,")


# --- dry run, repeat, all-or-nothing ---------------------------------------------------------


async def test_a_dry_run_writes_and_sends_nothing(administrator: Person) -> None:
    before = await written()

    payload = await invite(
        administrator, "a@example.org\nb@example.org\na@example.org\nbad@", dryRun=True
    )

    assert payload["batch"] is None
    assert payload["ready"] == 2
    assert [row["outcome"] for row in payload["rows"]] == ["SENT", "SENT", "DUPLICATE", "INVALID"]
    assert payload["rows"][0]["message"] == "Will be invited."
    assert all(row["invitation"] is None for row in payload["rows"])
    assert await written() == before


async def test_a_real_run_is_stored_and_can_be_read_back(
    administrator: Person, clinician: Person
) -> None:
    # given a real roster run
    roster = "a@example.org, Hello A\nb@example.org\n# skip\nA@example.org\nbad@"
    payload = await invite(administrator, roster, defaultNote="Welcome", connectTo=[clinician.id])
    batch_id = payload["batch"]["id"]

    # when the batch is read back
    batch = (await administrator.data(ROSTER_BATCH, id=batch_id))["rosterBatch"]

    # then it holds the roster, its settings, every row and the problem lines
    assert batch["roster"] == roster
    assert batch["defaultNote"] == "Welcome"
    assert batch["requireExistingAccount"] is False
    assert batch["ready"] == 2 == payload["batch"]["ready"]
    assert batch["counts"] == {
        "total": 4,
        "sent": 2,
        "alreadyInvited": 0,
        "duplicate": 1,
        "invalid": 1,
    }
    assert [(row["line"], row["email"], row["note"], row["outcome"]) for row in batch["rows"]] == [
        (1, "a@example.org", "Hello A", "SENT"),
        (2, "b@example.org", "Welcome", "SENT"),
        (4, "a@example.org", "Welcome", "DUPLICATE"),
        (5, "bad@", "Welcome", "INVALID"),
    ]
    assert [row["invitation"]["email"] for row in batch["rows"][:2]] == [
        "a@example.org",
        "b@example.org",
    ]
    assert batch["problems"] == [
        {"line": 4, "outcome": "DUPLICATE"},
        {"line": 5, "outcome": "INVALID"},
    ]
    assert batch["createdBy"] == {"id": administrator.id}
    assert batch["connectTo"] == [{"id": clinician.id}]
    assert batch["healthspace"]["id"] == str(administrator.member.healthspace_id)  # type: ignore[union-attr]


async def test_a_real_run_writes_invitations_mail_and_audit_together(
    administrator: Person,
) -> None:
    # when a real roster run sends two invitations
    payload = await invite(administrator, "a@example.org\nb@example.org, Hi B")

    # then their rows, mails, audit events and the run's summary are written together
    invitations = await models.Invitation.all().order_by("email")
    mails = await models.OutboxMessage.all().order_by("to_address")
    assert [i.email for i in invitations] == ["a@example.org", "b@example.org"]
    assert {str(i.batch_id) for i in invitations} == {payload["batch"]["id"]}
    assert [(m.template, m.to_address) for m in mails] == [
        ("invitation", "a@example.org"),
        ("invitation", "b@example.org"),
    ]
    assert "Hi B" in mails[1].text_body
    assert "/invitations/accept?token=" in mails[0].text_body
    created = await models.AuditEvent.filter(action="INVITATION_CREATED").values_list(
        "subject_id", flat=True
    )
    assert sorted(map(str, created)) == sorted(str(i.id) for i in invitations)
    summary = await models.AuditEvent.get(action="ROSTER_SENT")
    assert str(summary.subject_id) == payload["batch"]["id"]
    assert summary.actor_member_id == administrator.member.id  # type: ignore[union-attr]
    assert summary.details["counts"] == {"SENT": 2}


async def test_the_same_roster_twice_sends_nothing_new(administrator: Person) -> None:
    roster = "a@example.org\nb@example.org\nc@example.org"
    first = await invite(administrator, roster)
    mails = await models.OutboxMessage.all().count()

    again = await invite(administrator, roster.upper())

    assert first["ready"] == 3
    assert again["ready"] == 0
    assert [row["outcome"] for row in again["rows"]] == ["ALREADY_INVITED"] * 3
    assert "not sent again" in again["rows"][0]["message"]
    assert await models.OutboxMessage.all().count() == mails == 3
    assert await models.RosterBatch.all().count() == 2  # the repeat is recorded too


async def test_a_failure_while_writing_leaves_nothing_behind(
    administrator: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mails fail to go into the outbox after the batch and invitations were written."""
    # given the outbox insert fails after the batch and invitations were written
    insert = BulkTable.insert

    async def failing_outbox(table: Any, values: Any) -> None:
        if table.model is models.OutboxMessage:
            raise RuntimeError("disk full")
        await insert(table, values)

    monkeypatch.setattr(BulkTable, "insert", failing_outbox)
    before = await written()

    # when a roster is sent
    result = await administrator(
        INVITE_ROSTER,
        input={
            "healthspaceId": str(administrator.member.healthspace_id),  # type: ignore[union-attr]
            "roster": "a@example.org\nb@example.org",
        },
    )

    # then the error is masked and nothing was written
    assert result["errors"][0]["message"] == "Unexpected error."
    assert await written() == before


async def test_a_person_invited_meanwhile_becomes_already_invited(
    administrator: Person, healthspace: models.Healthspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request invites b@ between this run's reads and its inserts: the run starts over
    and reports b@ as ALREADY_INVITED instead of failing or inviting twice."""
    # given another request inviting b@ between this run's reads and its inserts
    look_up = roster_module._look_up
    calls = 0

    async def racing_look_up(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        known = await look_up(*args)
        if calls == 1:
            await pending_invitation(healthspace, "b@example.org")
        return known

    monkeypatch.setattr(roster_module, "_look_up", racing_look_up)

    # when the run goes on
    payload = await invite(administrator, "a@example.org\nb@example.org")

    # then it starts over and reports b@ as already invited
    assert calls == 2
    assert [row["outcome"] for row in payload["rows"]] == ["SENT", "ALREADY_INVITED"]
    assert await models.Invitation.all().count() == 2
    assert await models.OutboxMessage.all().count() == 1


# --- refused runs ----------------------------------------------------------------------------


async def test_more_than_10000_people_is_refused(administrator: Person) -> None:
    roster = "\n".join(f"p{i}@example.org" for i in range(10_001))

    payload = await invite(administrator, roster, query=INVITE_ROSTER_COUNTS)

    assert payload["errors"][0]["code"] == "ROSTER_TOO_LONG"
    assert payload["errors"][0]["field"] == ["roster"]
    assert "10,000" in payload["errors"][0]["message"]
    assert payload["batch"] is None and payload["rows"] == [] and payload["counts"] is None
    assert await models.Invitation.all().count() == 0


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"roster": "# only a comment\n\n"}, "REQUIRED", "roster"),
        ({"defaultNote": "x" * 1001}, "TOO_LONG", "defaultNote"),
        ({"connectTo": ["not-an-id"]}, "NOT_FOUND", "connectTo"),
    ],
)
async def test_refused_input(
    administrator: Person, fields: dict[str, Any], code: str, field: str
) -> None:
    payload = await invite(administrator, fields.pop("roster", "a@example.org"), **fields)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, [field])]
    assert await models.Invitation.all().count() == 0


async def test_a_note_over_1000_characters_makes_only_that_line_invalid(
    administrator: Person,
) -> None:
    payload = await invite(administrator, f"a@example.org, {'x' * 1001}\nb@example.org")

    assert [row["outcome"] for row in payload["rows"]] == ["INVALID", "SENT"]
    assert "at most 1,000" in payload["rows"][0]["message"]


async def test_connect_to_must_name_active_clinicians_of_this_healthspace(
    administrator: Person, assistant: Person, outsider: Person, people: People,
    healthspace: models.Healthspace,
) -> None:  # fmt: skip
    gone = await people.staff(healthspace, Role.CLINICIAN)
    await models.Member.filter(id=gone.id).update(status=models.MemberStatus.DEACTIVATED)

    for connect_to, code in [
        ([assistant.id], "NOT_A_CLINICIAN"),
        ([outsider.id], "NOT_FOUND"),
        ([gone.id], "MEMBER_DEACTIVATED"),
    ]:
        payload = await invite(administrator, "a@example.org", connectTo=connect_to)
        assert [e["code"] for e in payload["errors"]] == [code], connect_to


# --- who may -----------------------------------------------------------------------------------


async def test_who_may_invite_a_roster(
    anonymous: Person,
    client: Person,
    clinician: Person,
    outsider: Person,
    assistant: Person,
    healthspace: models.Healthspace,
) -> None:
    variables = {"input": {"healthspaceId": str(healthspace.id), "roster": "a@example.org"}}

    assert error_code(await anonymous(INVITE_ROSTER, **variables)) == "UNAUTHENTICATED"
    assert error_code(await outsider(INVITE_ROSTER, **variables)) == "NOT_FOUND"
    assert error_code(await client(INVITE_ROSTER, **variables)) == "FORBIDDEN"
    assert error_code(await clinician(INVITE_ROSTER, **variables)) == "FORBIDDEN"
    assert (await assistant.data(INVITE_ROSTER, **variables))["inviteRoster"]["ready"] == 1
    assert await models.Invitation.all().count() == 1


async def test_a_clinician_who_may_invite_connects_themself_by_default(
    people: People, healthspace: models.Healthspace, clinician: Person
) -> None:
    inviter = await people.staff(healthspace, Role.CLINICIAN, granted=[Permission.INVITE_CLIENTS])

    await invite(inviter, "a@example.org")
    unticked = await invite(inviter, "b@example.org", connectTo=[])
    others = await invite(inviter, "c@example.org", connectTo=[clinician.id])

    assert (await models.Invitation.get(email="a@example.org")).connect_to == [inviter.id]
    assert (await models.Invitation.get(email="b@example.org")).connect_to == []
    assert unticked["ready"] == 1
    assert [(e["code"], e["field"]) for e in others["errors"]] == [("FORBIDDEN", ["connectTo"])]
    assert not await models.Invitation.exists(email="c@example.org")


async def test_who_may_read_a_roster_batch(
    administrator: Person,
    assistant: Person,
    client: Person,
    clinician: Person,
    outsider: Person,
    anonymous: Person,
) -> None:
    batch_id = (await invite(administrator, "a@example.org"))["batch"]["id"]

    assert (await assistant.data(ROSTER_BATCH, id=batch_id))["rosterBatch"]["id"] == batch_id
    # A client may not see a roster batch: the answer a missing one gets (issue 7, item 4).
    assert error_code(await client(ROSTER_BATCH, id=batch_id)) == "NOT_FOUND"
    assert error_code(await clinician(ROSTER_BATCH, id=batch_id)) == "FORBIDDEN"
    assert error_code(await outsider(ROSTER_BATCH, id=batch_id)) == "NOT_FOUND"
    assert error_code(await anonymous(ROSTER_BATCH, id=batch_id)) == "UNAUTHENTICATED"
    assert error_code(await administrator(ROSTER_BATCH, id="nope")) == "NOT_FOUND"


# --- bulk, not row by row --------------------------------------------------------------------


async def test_statements_do_not_grow_with_the_roster(
    administrator: Person,
    clinician: Person,
    people: People,
    healthspace: models.Healthspace,
    sql_queries: type[QueryCounter],
) -> None:
    # given members and pending invitations the roster names
    for i in range(5):
        await people.client(healthspace, email=f"member{i}@example.org")
        await pending_invitation(healthspace, f"invited{i}@example.org")

    def roster(size: int, tag: str) -> str:
        known = [f"member{i}@example.org\ninvited{i}@example.org" for i in range(5)]
        return "\n".join(known + [f"{tag}{i}@example.org, note {i}" for i in range(size)])

    # when a roster of 10 and one of 300 new people are sent
    counts = []
    for size, tag in ((10, "small"), (300, "large")):
        with sql_queries() as counter:
            payload = await invite(
                administrator, roster(size, tag), query=INVITE_ROSTER_COUNTS,
                connectTo=[clinician.id],
            )  # fmt: skip
        assert payload["ready"] == size
        counts.append(counter.count)

    # then both take the same, small number of statements
    assert counts[0] == counts[1]
    assert counts[1] < 50
