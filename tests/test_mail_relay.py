"""The outbox relay and its backends, against a real database and a real SMTP server."""

from __future__ import annotations

import asyncio
import html
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from smtp_sink import SmtpSink
from tortoise.transactions import in_transaction

import models
from mailer.messages import Message, compose, verify_email
from mailer.mime import Sender, render
from mailer.outbox import enqueue, enqueue_many
from mailer.relay import (
    FileBackend,
    MailSettings,
    Relay,
    SmtpBackend,
    backend_for,
)
from mailer.relay import (
    retry_delay as relay_retry_delay,
)


class Clock:
    """A relay clock the test moves by hand; starts just after the mail was enqueued."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Rollback(Exception):
    pass


def welcome(to: str, first_name: str = "Anna") -> Message:
    return verify_email(
        to=to, language="en", first_name=first_name, link="https://carespace.test/v?t=1"
    )


async def row_for(to: str) -> models.OutboxMessage:
    return await models.OutboxMessage.get(to_address=to)


# --- composing -------------------------------------------------------------------------------


def test_compose_in_dutch_and_english() -> None:
    dutch = compose("verify_email", "nl", "an@example.org", first_name="An", link="https://x.test/")
    english = compose(
        "verify_email", "en", "an@example.org", first_name="An", link="https://x.test/"
    )

    assert dutch.subject == "Bevestig je e-mailadres voor Carespace"
    assert dutch.text.startswith("Hallo An,\n")
    assert english.subject == "Confirm your email address for Carespace"
    assert english.text.startswith("Hello An,\n")
    assert english.template == "verify_email" and english.to == "an@example.org"


def test_compose_falls_back_to_english() -> None:
    message = compose("password_reset", "de", "x@example.org", first_name="Kai", link="https://x/")

    assert message.subject == "Reset your Carespace password"


def test_compose_escapes_parameters_in_html_only() -> None:
    message = compose(
        "verify_email",
        "en",
        "x@example.org",
        first_name="<b>Bo</b> & co",
        link="https://x.test/?a=1&b=2",
    )

    assert "Hello <b>Bo</b> & co," in message.text
    assert "&lt;b&gt;Bo&lt;/b&gt; &amp; co" in message.html
    assert "<b>Bo</b>" not in message.html
    assert '<a href="https://x.test/?a=1&amp;b=2">' in message.html


# --- the outbox and the relay over SMTP ------------------------------------------------------


@pytest.mark.usefixtures("db")
async def test_rolled_back_mail_is_never_sent(smtp_sink: SmtpSink) -> None:
    with pytest.raises(Rollback):
        async with in_transaction():
            await enqueue(welcome("gone@example.org"))
            raise Rollback
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=Clock())

    assert await relay.deliver_due() == 0
    assert await models.OutboxMessage.all().count() == 0
    assert smtp_sink.messages == []
    await relay.backend.close()


@pytest.mark.usefixtures("db")
async def test_committed_mail_is_delivered_with_text_and_html(smtp_sink: SmtpSink) -> None:
    # given a mail committed to the outbox
    async with in_transaction():
        await enqueue(welcome("anna@example.org", first_name="Anna <3"))
    clock = Clock()
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=clock)

    # when the relay delivers it
    assert await relay.deliver_due() == 1
    await relay.backend.close()

    # then it arrives with text and HTML, and its row is sent
    [received] = smtp_sink.messages
    assert received.recipients == ("anna@example.org",)
    assert received.mail_from == "no-reply@carespace.local"
    assert received.subject == "Confirm your email address for Carespace"
    assert received.message["To"] == "anna@example.org"
    assert received.message["From"] == "Carespace <no-reply@carespace.local>"
    assert received.message.get_content_type() == "multipart/alternative"
    assert "Hello Anna <3," in received.text
    assert "Hello Anna &lt;3," in received.html
    row = await row_for("anna@example.org")
    assert received.message["Message-ID"] == f"<{row.id}@carespace.local>"
    assert row.status == models.OutboxStatus.SENT
    assert row.sent_at == clock.now
    assert row.attempts == 1
    assert row.claimed_until is None


@pytest.mark.usefixtures("db")
async def test_non_ascii_and_long_lines_arrive_intact(smtp_sink: SmtpSink) -> None:
    # given a mail with non-ASCII names and a long link
    name = "Praktijk Zoë & Søn — Ålesund"
    link = "https://carespace.test/sign-in?token=" + "a=b" * 60
    await enqueue(
        Message(
            template="test",
            to="zoe@example.org",
            subject=f"Je aanmeldlink voor {name}",
            text=f"Je bent de eerste beheerder van {name} op Carespace.\n{link}\n",
            html=f"<p>{html.escape(name)}</p>",
        )
    )
    relay = Relay(SmtpBackend(smtp_sink.settings(sender="Zoë's Kliniek <mail@kliniek.test>")))

    # when the relay delivers it
    assert await relay.deliver_due() == 1
    await relay.backend.close()

    # then it arrives as ASCII in short lines, and reads back intact
    [received] = smtp_sink.messages
    assert received.data.isascii()
    assert max(len(line) for line in received.data.split(b"\r\n")) <= 78
    assert received.subject == f"Je aanmeldlink voor {name}"
    assert received.message["From"].addresses[0].display_name == "Zoë's Kliniek"
    assert f"Je bent de eerste beheerder van {name} op Carespace." in received.text
    assert link in received.text
    assert html.escape(name) in received.html


@pytest.mark.usefixtures("db")
@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x1b", "\u2028"])
async def test_a_line_break_or_nul_in_a_subject_never_reaches_the_header(
    smtp_sink: SmtpSink, breaker: str
) -> None:
    # Given a subject that would start a Bcc header (whatever let it into the outbox)
    await enqueue(
        Message(
            "verify_email", "x@example.org", f"Hi{breaker}Bcc: all@example.org", "text", "<p>h</p>"
        )
    )
    relay = Relay(SmtpBackend(smtp_sink.settings()))

    # When the relay sends it
    assert await relay.deliver_due() == 1
    await relay.backend.close()

    # Then the text stays in the Subject, as text: one recipient, no Bcc, no NUL on the wire
    [received] = smtp_sink.messages
    assert received.recipients == ("x@example.org",)
    assert received.message["Bcc"] is None
    assert received.subject == "Hi Bcc: all@example.org".replace(" ", " " * len(breaker), 1)
    assert b"\x00" not in received.data
    header = received.data.split(b"\r\n\r\n", 1)[0]
    assert [line.split(b":")[0] for line in header.split(b"\r\n") if line[:1] != b" "] == [
        b"From",
        b"To",
        b"Subject",
        b"Date",
        b"Message-ID",
        b"Auto-Submitted",
        b"MIME-Version",
        b"Content-Type",
    ]


def test_a_nul_never_reaches_a_header() -> None:
    # PostgreSQL cannot store a NUL, so this is the renderer alone, as SQLite could feed it
    # given a message whose subject holds a NUL
    message = SimpleNamespace(
        id=uuid.uuid4(),
        to_address="x@example.org",
        subject="Hi\x00there",
        text_body="t",
        html_body="h",
    )
    sender = Sender.parse("Carespace <no-reply@carespace.test>")

    # when it is rendered
    data = render(message, sender, datetime.now(UTC))

    # then the NUL is gone from the header, and a NUL in the address is refused
    assert b"Subject: Hi there\r\n" in data and b"\x00" not in data
    with pytest.raises(ValueError, match="line break or NUL"):
        render(
            SimpleNamespace(**vars(message) | {"to_address": "x@example.org\x00"}),
            sender,
            datetime.now(UTC),
        )


@pytest.mark.usefixtures("db")
async def test_an_address_with_a_line_break_is_never_sent(smtp_sink: SmtpSink) -> None:
    breaker = "\r\nBcc: all@example.org"
    await enqueue(Message("verify_email", f"x@example.org{breaker}", "Hi", "text", "<p>h</p>"))
    relay = Relay(SmtpBackend(smtp_sink.settings()))

    assert await relay.deliver_due() == 0
    await relay.backend.close()

    assert smtp_sink.messages == []
    row = await models.OutboxMessage.get()
    assert row.status == models.OutboxStatus.FAILED
    assert "line break or NUL in a header" in row.last_error


@pytest.mark.usefixtures("db")
async def test_transient_failure_is_retried_after_the_backoff(smtp_sink: SmtpSink) -> None:
    # given a mail the server refuses once with a transient error
    await enqueue(welcome("busy@example.org"))
    smtp_sink.respond("busy@example.org", "451 4.3.0 Try again later", times=1)
    clock = Clock()
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=clock)

    # when the relay tries it
    assert await relay.deliver_due() == 0
    # then it waits the backoff, and delivers it on the next try after that
    row = await row_for("busy@example.org")
    assert row.status == models.OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at == clock.now + timedelta(seconds=30)
    assert row.last_error.startswith("451")
    assert row.claimed_by is None

    clock.advance(seconds=29)
    assert await relay.deliver_due() == 0
    clock.advance(seconds=2)
    assert await relay.deliver_due() == 1
    assert await relay.deliver_due() == 0
    await relay.backend.close()

    assert len(smtp_sink.to("busy@example.org")) == 1
    row = await row_for("busy@example.org")
    assert (row.status, row.attempts, row.last_error) == (models.OutboxStatus.SENT, 2, "")


@pytest.mark.usefixtures("db")
async def test_permanent_failure_is_not_retried(smtp_sink: SmtpSink) -> None:
    await enqueue_many([welcome("nobody@example.org"), welcome("somebody@example.org")])
    smtp_sink.respond("nobody@example.org", "550 5.1.1 No such user")
    clock = Clock()
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=clock)

    assert await relay.deliver_due() == 1
    clock.advance(hours=2)
    assert await relay.deliver_due() == 0
    await relay.backend.close()

    assert [m.recipients for m in smtp_sink.messages] == [("somebody@example.org",)]
    row = await row_for("nobody@example.org")
    assert row.status == models.OutboxStatus.FAILED
    assert row.attempts == 1
    assert row.last_error == "550 5.1.1 No such user"


@pytest.mark.usefixtures("db")
async def test_gives_up_after_eight_transient_failures(smtp_sink: SmtpSink) -> None:
    # given a mailbox that is always full
    await enqueue(welcome("full@example.org"))
    smtp_sink.respond("full@example.org", "452 4.2.2 Mailbox full")
    clock = Clock()
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=clock)

    # when the relay tries eight times, an hour apart
    for attempt in range(1, 9):
        assert await relay.deliver_due() == 0
        row = await row_for("full@example.org")
        assert row.attempts == attempt
        clock.advance(hours=1, seconds=1)
    await relay.backend.close()

    # then it gives up after the eighth, with the backoff doubling up to an hour
    assert row.status == models.OutboxStatus.FAILED
    assert smtp_sink.messages == []
    assert [relay_retry_delay(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]


@pytest.mark.usefixtures("db")
async def test_two_relays_deliver_every_message_exactly_once(smtp_sink: SmtpSink) -> None:
    recipients = [f"client{n}@example.org" for n in range(50)]
    await enqueue_many([welcome(to) for to in recipients])
    clock = Clock()
    first = Relay(SmtpBackend(smtp_sink.settings()), batch_size=7, clock=clock)
    second = Relay(SmtpBackend(smtp_sink.settings()), batch_size=7, clock=clock)

    counts = await asyncio.gather(first.deliver_due(), second.deliver_due())
    await asyncio.gather(first.backend.close(), second.backend.close())

    assert sum(counts) == 50
    delivered = Counter(to for m in smtp_sink.messages for to in m.recipients)
    assert delivered == Counter(recipients)
    assert await models.OutboxMessage.filter(status=models.OutboxStatus.SENT).count() == 50


@pytest.mark.usefixtures("db")
async def test_an_expired_claim_is_taken_over(smtp_sink: SmtpSink) -> None:
    await enqueue(welcome("orphan@example.org"))
    clock = Clock()
    await models.OutboxMessage.all().update(
        claimed_by="a-relay-that-died", claimed_until=clock.now + timedelta(minutes=5)
    )
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=clock)

    assert await relay.deliver_due() == 0
    clock.advance(minutes=5)
    assert await relay.deliver_due() == 1
    await relay.backend.close()


@pytest.mark.usefixtures("db")
async def test_one_connection_is_reused_across_messages_and_passes(
    smtp_sink: SmtpSink,
) -> None:
    # given twenty mails, relayed ten at a time
    await enqueue_many([welcome(f"p{n}@example.org") for n in range(20)])
    clock = Clock()
    relay = Relay(SmtpBackend(smtp_sink.settings()), batch_size=10, clock=clock)

    # when the relay delivers them and one more, then one connection carried them all
    assert await relay.deliver_due() == 20
    await enqueue(welcome("later@example.org"))
    clock.advance(seconds=5)
    assert await relay.deliver_due() == 1

    assert len(smtp_sink.messages) == 21
    assert smtp_sink.connections == 1

    # when the server drops the connection, then the relay opens a new one
    smtp_sink.drop_connections()  # as a server's idle timeout would
    await enqueue(welcome("after-drop@example.org"))
    clock.advance(seconds=5)
    assert await relay.deliver_due() == 1
    await relay.backend.close()

    assert smtp_sink.connections == 2
    assert len(smtp_sink.to("after-drop@example.org")) == 1


@pytest.mark.usefixtures("db")
async def test_large_batches_use_a_few_connections(smtp_sink: SmtpSink) -> None:
    await enqueue_many([welcome(f"bulk{n}@example.org") for n in range(400)])
    relay = Relay(SmtpBackend(smtp_sink.settings()), clock=Clock())

    assert await relay.deliver_due() == 400
    await relay.backend.close()

    assert smtp_sink.connections == 4
    assert len({to for m in smtp_sink.messages for to in m.recipients}) == 400


@pytest.mark.usefixtures("db")
async def test_smtp_login() -> None:
    async with SmtpSink(credentials=("relay", "s3cret")) as sink:
        await enqueue(welcome("login@example.org"))
        clock = Clock()
        wrong = Relay(SmtpBackend(sink.settings(username="relay", password="nope")), clock=clock)
        assert await wrong.deliver_due() == 0
        row = await row_for("login@example.org")
        assert (row.status, row.attempts) == (models.OutboxStatus.PENDING, 1)
        assert "cannot connect" in row.last_error

        clock.advance(minutes=1)
        right = Relay(SmtpBackend(sink.settings(username="relay", password="s3cret")), clock=clock)
        assert await right.deliver_due() == 1
        await right.backend.close()
        assert len(sink.to("login@example.org")) == 1


@pytest.mark.usefixtures("db")
async def test_unreachable_server_defers_the_mail() -> None:
    async with SmtpSink() as sink:
        settings = sink.settings()
    await enqueue(welcome("later@example.org"))
    relay = Relay(SmtpBackend(settings), clock=Clock())

    assert await relay.deliver_due() == 0
    row = await row_for("later@example.org")
    assert (row.status, row.attempts) == (models.OutboxStatus.PENDING, 1)


@pytest.mark.usefixtures("db")
async def test_run_delivers_when_woken(smtp_sink: SmtpSink) -> None:
    relay = Relay(SmtpBackend(smtp_sink.settings()))
    task = asyncio.create_task(relay.run(interval=60))
    try:
        await asyncio.sleep(0.05)  # the first pass finds nothing
        await enqueue(welcome("woken@example.org"))
        relay.wake()
        await smtp_sink.wait_for(1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert smtp_sink.messages[0].recipients == ("woken@example.org",)


@pytest.mark.usefixtures("db")
async def test_cancelled_run_finishes_the_batch_in_flight(smtp_sink: SmtpSink) -> None:
    await enqueue_many([welcome(f"stop{n}@example.org") for n in range(400)])
    relay = Relay(SmtpBackend(smtp_sink.settings()), batch_size=50)
    task = asyncio.create_task(relay.run(interval=60))
    await smtp_sink.wait_for(1)  # somewhere in the first batch
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    sent = await models.OutboxMessage.filter(status=models.OutboxStatus.SENT).count()
    assert 0 < sent < 400 and sent % 50 == 0  # whole batches only
    assert len(smtp_sink.messages) == sent
    claimed = models.OutboxMessage.filter(
        status=models.OutboxStatus.PENDING, claimed_until__not_isnull=True
    )
    assert await claimed.count() == 0


# --- the file backend ------------------------------------------------------------------------


@pytest.mark.usefixtures("db")
async def test_file_backend_writes_readable_eml_files(tmp_path: Path) -> None:
    # given three mails and the file backend
    directory = tmp_path / "mail" / "outgoing"
    await enqueue_many([welcome(f"f{n}@example.org", first_name=f"F{n}") for n in range(3)])
    relay = Relay(FileBackend(directory, "Carespace <mail@carespace.test>"), clock=Clock())

    # when the relay delivers them
    assert await relay.deliver_due() == 3

    # then each is a readable .eml file with text and HTML
    files = sorted(directory.glob("*.eml"))
    assert len(files) == 3
    assert not list(directory.glob("*.tmp"))
    parsed = [
        cast(EmailMessage, BytesParser(policy=default_policy).parsebytes(f.read_bytes()))
        for f in files
    ]
    assert {m["To"] for m in parsed} == {"f0@example.org", "f1@example.org", "f2@example.org"}
    for message in parsed:
        assert message["From"] == "Carespace <mail@carespace.test>"
        assert message["Subject"] == "Confirm your email address for Carespace"
        assert message["Date"] and message["Message-ID"].endswith("@carespace.test>")
        assert message.get_content_type() == "multipart/alternative"
        text = cast(EmailMessage, message.get_body(("plain",))).get_content()
        html = cast(EmailMessage, message.get_body(("html",))).get_content()
        assert text.startswith("Hello F") and "<a href=" in html


def test_backend_for_settings(tmp_path: Path) -> None:
    assert isinstance(backend_for(MailSettings(directory=str(tmp_path))), FileBackend)
    assert isinstance(backend_for(MailSettings(backend="smtp")), SmtpBackend)
    with pytest.raises(ValueError):
        MailSettings(tls="ssl")
