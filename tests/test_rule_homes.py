"""Issue 9 item 3: rules with one home each, unit-tested once here: "a clinician" and "an
active clinician" (permissions.roles), the current connection between a client and a staff
member (models.current_connection / current_connections), the language a roster invitation
keeps (domain.invitations.kept_language) and the advice of memberLookup
(domain.member_lookup.lookup_result)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import models
from domain.invitations import kept_language, language_when_invited
from domain.member_lookup import lookup_result
from domain.members import add_member
from permissions.roles import Role, is_active_clinician, is_clinician


def _member(
    kind: models.MemberKind, roles: list[str], status: models.MemberStatus
) -> models.Member:
    return models.Member(kind=kind, roles=roles, status=status)


STAFF, CLIENT = models.MemberKind.STAFF, models.MemberKind.CLIENT
ACTIVE, DEACTIVATED = models.MemberStatus.ACTIVE, models.MemberStatus.DEACTIVATED


def test_a_clinician_is_staff_with_the_clinician_role() -> None:
    assert is_clinician(_member(STAFF, [Role.CLINICIAN.value], ACTIVE))
    assert is_clinician(_member(STAFF, [Role.ADMINISTRATOR.value, Role.CLINICIAN.value], ACTIVE))
    assert not is_clinician(_member(STAFF, [Role.ASSISTANT.value], ACTIVE))
    # A client never is, whatever roles a row carries.
    assert not is_clinician(_member(CLIENT, [Role.CLINICIAN.value], ACTIVE))


def test_an_active_clinician_is_a_clinician_whose_membership_is_active() -> None:
    assert is_active_clinician(_member(STAFF, [Role.CLINICIAN.value], ACTIVE))
    assert is_clinician(_member(STAFF, [Role.CLINICIAN.value], DEACTIVATED))
    assert not is_active_clinician(_member(STAFF, [Role.CLINICIAN.value], DEACTIVATED))


def test_the_roster_keeps_the_same_language_as_a_single_invitation() -> None:
    dutch, english = models.Account(language="nl"), models.Account(language="en")

    assert kept_language("en", dutch) == language_when_invited(english, dutch) == "en"
    assert kept_language(None, dutch) == language_when_invited(None, dutch) == "nl"
    assert kept_language(None, None) == "en"


def test_lookup_advice_follows_membership_then_invitation() -> None:
    now = datetime.now(UTC)
    pending = models.Invitation(
        status=models.InvitationStatus.PENDING,
        created_at=now,
        last_sent_at=now,
        expires_at=now + timedelta(days=7),
        next_reminder_at=now + timedelta(days=2),
        reminders_sent=1,
    )
    client = _member(CLIENT, [], ACTIVE)

    def outcome(member: models.Member | None, connected: bool = False) -> tuple[str, str]:
        result = lookup_result("a@example.org", member, pending, connected)
        return result.status, result.advice

    assert outcome(client) == ("ACTIVE_MEMBER", "CONNECT")
    assert outcome(client, connected=True) == ("ACTIVE_MEMBER", "NOTHING_TO_DO")
    assert outcome(_member(STAFF, [], ACTIVE)) == ("ACTIVE_MEMBER", "NOTHING_TO_DO")
    assert outcome(_member(CLIENT, [], DEACTIVATED)) == ("DEACTIVATED_MEMBER", "REACTIVATE")
    invited = lookup_result("a@example.org", None, pending, False)
    assert (invited.status, invited.advice) == ("INVITED", "WAIT_OR_RESEND")
    assert "1 reminder sent, the next on" in invited.message
    pending.expires_at = now - timedelta(minutes=1)
    ended = lookup_result("a@example.org", None, pending, False)
    assert (ended.status, ended.advice) == ("INVITATION_ENDED", "INVITE")
    assert "was expired" in ended.message
    nobody = lookup_result("a@example.org", None, None, False)
    assert (nobody.status, nobody.advice) == ("UNKNOWN", "INVITE")


async def test_only_a_current_connection_is_the_current_connection(
    db: str, healthspace: models.Healthspace
) -> None:
    # Given a client connected to one clinician, and an ended connection to another
    accounts = [
        await models.Account.create(email=f"p{i}@example.org", first_name="P", last_name=str(i))
        for i in range(3)
    ]
    client = await add_member(accounts[0], healthspace.id, CLIENT)
    now_staff = await add_member(accounts[1], healthspace.id, STAFF, roles=[Role.CLINICIAN])
    past_staff = await add_member(accounts[2], healthspace.id, STAFF, roles=[Role.CLINICIAN])
    await models.Connection.create(
        healthspace_id=healthspace.id,
        client_id=client.id,
        staff_id=now_staff.id,
        current_key=models.connection_key(client.id, now_staff.id),
    )
    await models.Connection.create(
        healthspace_id=healthspace.id,
        client_id=client.id,
        staff_id=past_staff.id,
        ended_at=datetime.now(UTC),
    )

    # Then only the first is current, read either way
    assert await models.current_connection(client.id, now_staff.id).exists()
    assert not await models.current_connection(client.id, past_staff.id).exists()
    staff_ids = await models.current_connections(client_id=client.id).values_list(
        "staff_id", flat=True
    )
    assert staff_ids == [now_staff.id]
