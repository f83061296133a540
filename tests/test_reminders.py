"""Automatic invitation reminders and expiry: a clock the tests move, never sleep."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Person
from documents import INVITATIONS
from helpers import invitation_token, invite_client, latest_token
from smtp_sink import SmtpSink
from tortoise.connection import get_connection

import models
from domain.invitations import new_invitation
from domain.reminders import run_reminder_schedule, sweep
from mailer.relay import Relay, backend_for
from resolvers import commands
from schema.settings import Settings

PREVIEW = """
query Preview($token: String!) { invitation(token: $token) { status } }
"""

ACCEPT = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { member { id } errors { code } }
}
"""


class Clock:
    """Days after the invitation went out, as the sweep sees them."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, days: float = 0, **delta: float) -> datetime:
        self.now = self.start + timedelta(days=days, **delta)
        return self.now


async def invited(person: Person, healthspace: models.Healthspace, **changes: Any) -> Clock:
    invitation = await invite_client(person, healthspace, **changes)
    return Clock(datetime.fromisoformat(invitation["lastSentAt"]))


async def eventually(condition: Callable[[], Awaitable[bool]], seconds: float = 5) -> bool:
    """Whether `condition` came true within `seconds` (for work a background task does)."""
    for _ in range(int(seconds / 0.01)):
        if await condition():
            return True
        await asyncio.sleep(0.01)
    return False


async def reminder_mails() -> list[models.OutboxMessage]:
    return await models.OutboxMessage.filter(template="invitation_reminder").order_by("created_at")


async def test_reminders_go_out_after_3_and_7_days_and_the_invitation_expires_after_30(
    assistant: Person, anonymous: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    # given an invitation sent now
    clock = await invited(assistant, healthspace)
    first_token = await latest_token("anna.jansen@example.org")

    # when the sweep runs at and around 3, 7 and 29 days, then exactly two reminders go out
    assert (await sweep(settings, now=clock.at(days=3, seconds=-1))).reminded == 0
    assert (await sweep(settings, now=clock.at(days=3))).reminded == 1
    assert (await sweep(settings, now=clock.at(days=3, hours=1))).reminded == 0
    row = await models.Invitation.get()
    assert (row.reminders_sent, row.last_sent_at) == (1, clock.at(days=3))
    assert row.next_reminder_at == clock.at(days=7)
    assert (await sweep(settings, now=clock.at(days=7))).reminded == 1
    assert (await sweep(settings, now=clock.at(days=29, hours=23))).reminded == 0
    assert len(await reminder_mails()) == 2

    # Each reminder carries a new link; the earlier ones stop working.
    reminder_token = await latest_token("anna.jansen@example.org")
    assert reminder_token != first_token
    assert (await anonymous.data(PREVIEW, token=first_token))["invitation"] is None
    assert (await anonymous.data(PREVIEW, token=reminder_token))["invitation"]["status"] == (
        "PENDING"
    )

    # when the sweep runs after 30 days
    expired = await sweep(settings, now=clock.at(days=30))
    # then the invitation expires, once, and the audit log holds the whole story
    assert (expired.reminded, expired.expired) == (0, 1)
    row = await models.Invitation.get()
    assert row.status == models.InvitationStatus.EXPIRED
    assert (row.pending_key, row.next_reminder_at, row.decided_at) == (None, None, clock.now)
    actions = await models.AuditEvent.filter(healthspace_id=healthspace.id).values_list(
        "action", flat=True
    )
    assert Counter(actions) == Counter(
        {"INVITATION_CREATED": 1, "INVITATION_REMINDER_SENT": 2, "INVITATION_EXPIRED": 1}
    )
    assert (await sweep(settings, now=clock.at(days=40))).expired == 0


async def test_the_reminder_mail_arrives_with_a_working_link(
    assistant: Person,
    anonymous: Person,
    healthspace: models.Healthspace,
    settings: Settings,
    smtp_sink: SmtpSink,
) -> None:
    # given an invitation that got its first reminder
    clock = await invited(assistant, healthspace)
    await sweep(settings, now=clock.at(days=3))

    # when the relay delivers both mails, the reminder names the practice, inviter and link
    assert await Relay(backend_for(smtp_sink.settings())).deliver_due() == 2
    mails = await smtp_sink.wait_for(2)
    reminder = next(mail for mail in mails if mail.subject.startswith("Reminder"))
    assert "Praktijk De Linde" in reminder.subject
    assert "Assa Assist" in reminder.text
    token = invitation_token(reminder.text)

    # when the invitee accepts through the reminder's link
    accepted = await anonymous.data(ACCEPT, input={"token": token, "password": "a-fresh-horse-51"})

    # then they join
    assert accepted["acceptInvitation"]["errors"] == []


async def test_the_listing_shows_reminders_sent_and_the_next_one(
    assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    clock = await invited(assistant, healthspace)
    await sweep(settings, now=clock.at(days=3))

    listed = await assistant.data(INVITATIONS, id=str(healthspace.id))
    [node] = listed["healthspace"]["invitations"]["nodes"]
    assert node["remindersSent"] == 1
    assert datetime.fromisoformat(node["nextReminderAt"]) == clock.at(days=7)

    await sweep(settings, now=clock.at(days=7))
    listed = await assistant.data(INVITATIONS, id=str(healthspace.id))
    [node] = listed["healthspace"]["invitations"]["nodes"]
    assert (node["remindersSent"], node["nextReminderAt"]) == (2, None)


async def test_the_healthspace_settings_set_the_schedule(
    assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    healthspace.reminder_days = [1]
    healthspace.invitation_lifetime_days = 2
    await healthspace.save()
    clock = await invited(assistant, healthspace)

    assert (await sweep(settings, now=clock.at(days=1))).reminded == 1
    assert (await sweep(settings, now=clock.at(days=1, hours=23))).reminded == 0
    assert (await sweep(settings, now=clock.at(days=2))).expired == 1


async def test_no_reminders_at_all_still_expires(
    assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    healthspace.reminder_days = []
    await healthspace.save()
    clock = await invited(assistant, healthspace)

    assert (await sweep(settings, now=clock.at(days=29))).reminded == 0
    result = await sweep(settings, now=clock.at(days=30))

    assert (result.reminded, result.expired) == (0, 1)
    assert await reminder_mails() == []


async def test_accepted_and_withdrawn_invitations_get_no_reminders(
    assistant: Person, anonymous: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    clock = await invited(assistant, healthspace, email="taken@example.org")
    await anonymous.data(
        ACCEPT,
        input={"token": await latest_token("taken@example.org"), "password": "a-fresh-horse-51"},
    )
    withdrawn = await invite_client(assistant, healthspace, email="gone@example.org")
    await assistant.data(
        "mutation ($id: ID!) { withdrawInvitation(id: $id) { errors { code } } }",
        id=withdrawn["id"],
    )

    result = await sweep(settings, now=clock.at(days=40))

    assert (result.reminded, result.expired) == (0, 0)
    assert await reminder_mails() == []


async def test_a_resend_pushes_the_next_reminder_back(
    assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    clock = await invited(assistant, healthspace)
    # Two days in, the assistant sends it again by hand.
    await models.Invitation.all().update(last_sent_at=clock.start - timedelta(days=2))
    await assistant.data(
        "mutation ($id: ID!) { resendInvitation(id: $id) { errors { code } } }",
        id=str((await models.Invitation.get()).id),
    )
    row = await models.Invitation.get()

    assert (await sweep(settings, now=clock.at(days=1))).reminded == 0
    assert row.next_reminder_at == row.last_sent_at + timedelta(days=3)
    assert (await sweep(settings, now=row.last_sent_at + timedelta(days=3))).reminded == 1


async def test_the_sweep_reads_only_due_rows(
    assistant: Person, healthspace: models.Healthspace, settings: Settings, sql_queries
) -> None:
    """Its statements are the same whether 5 or 60 invitations are pending and not yet due."""
    clock = await invited(assistant, healthspace, email="due@example.org")
    counts = []
    for pending in (5, 60):
        await models.Invitation.all().update(next_reminder_at=clock.at(days=3))
        await add_pending(healthspace, pending, now=clock.at(days=2))
        with sql_queries() as counter:
            assert (await sweep(settings, now=clock.at(days=3))).reminded == 1
        counts.append(counter.count)
        claim = next(sql for sql in counter.statements if sql.startswith("SELECT"))
        assert "next_reminder_at" in claim
        await models.Invitation.filter(email__startswith="bulk").delete()

    assert counts[0] == counts[1]


async def add_pending(
    healthspace: models.Healthspace, count: int, *, now: datetime, prefix: str = "bulk"
) -> None:
    rows = [
        new_invitation(
            healthspace=healthspace,
            kind=models.MemberKind.CLIENT,
            email=f"{prefix}{number}@example.org",
            invited_by=None,
            now=now,
        )[0]
        for number in range(count)
    ]
    await models.Invitation.bulk_create(rows, 500)


@pytest.fixture
def postgres_only(db: str) -> None:
    if get_connection("default").capabilities.dialect != "postgres":
        pytest.skip("needs PostgreSQL (CARESPACE_TEST_DATABASE_URL): SQLite has one writer")


@pytest.mark.usefixtures("postgres_only")
async def test_two_schedulers_on_postgres_send_every_reminder_once(
    healthspace: models.Healthspace, settings: Settings, smtp_sink: SmtpSink
) -> None:
    # given 600 invitations due for their first reminder
    start = datetime.now(UTC)
    await add_pending(healthspace, 600, now=start, prefix="patient")

    # when two schedulers sweep at once
    first, second = await asyncio.gather(
        sweep(settings, now=start + timedelta(days=3), batch_size=50),
        sweep(settings, now=start + timedelta(days=3), batch_size=50),
    )

    # then every reminder is written once and, through two relays, delivered once
    assert first.reminded + second.reminded == 600
    assert first.reminded > 0 and second.reminded > 0, "both schedulers took part"
    mails = await reminder_mails()
    assert len(mails) == 600
    assert len({mail.to_address for mail in mails}) == 600
    assert await models.Invitation.filter(reminders_sent=1).count() == 600

    relays = [Relay(backend_for(smtp_sink.settings()), batch_size=50) for _ in range(2)]
    delivered = await asyncio.gather(*(relay.deliver_due() for relay in relays))
    assert sum(delivered) == 600
    received = await smtp_sink.wait_for(600, timeout=30)
    assert Counter(address for mail in received for address in mail.recipients) == Counter(
        {f"patient{number}@example.org": 1 for number in range(600)}
    )


async def test_the_schedule_sweeps_until_cancelled(
    assistant: Person, healthspace: models.Healthspace, settings: Settings
) -> None:
    # given an invitation due for its first reminder
    clock = await invited(assistant, healthspace)
    clock.at(days=3)

    # when the schedule runs, then it reminds and later expires, until cancelled
    schedule = asyncio.create_task(run_reminder_schedule(settings, 0.01, clock=clock))
    try:
        assert await eventually(lambda: models.OutboxMessage.exists(template="invitation_reminder"))
        clock.at(days=30)
        assert await eventually(
            lambda: models.Invitation.exists(status=models.InvitationStatus.EXPIRED)
        )
    finally:
        schedule.cancel()
        with pytest.raises(asyncio.CancelledError):
            await schedule

    # then exactly one reminder went out
    assert len(await reminder_mails()) == 1


async def test_send_reminders_for_cron_sweeps_once(
    assistant: Person,
    healthspace: models.Healthspace,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await invite_client(assistant, healthspace)
    await models.Invitation.all().update(next_reminder_at=datetime.now(UTC) - timedelta(minutes=1))

    assert await commands.send_reminders(settings) == 0

    assert "reminders queued: 1" in capsys.readouterr().out
    assert len(await reminder_mails()) == 1
