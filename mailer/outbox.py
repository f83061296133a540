"""The outbox: mail is written here inside the transaction of the change that causes it, and
the relay delivers it only after that transaction committed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import models
from mailer.messages import Message


def outbox_row(message: Message, now: datetime) -> models.OutboxMessage:
    return models.OutboxMessage(
        template=message.template,
        to_address=message.to,
        subject=message.subject,
        text_body=message.text,
        html_body=message.html,
        next_attempt_at=now,
    )


async def enqueue(message: Message) -> None:
    await outbox_row(message, datetime.now(UTC)).save()


async def enqueue_many(messages: Sequence[Message]) -> None:
    """One bulk insert for many messages (roster invitations)."""
    now = datetime.now(UTC)
    await models.OutboxMessage.bulk_create([outbox_row(message, now) for message in messages], 500)


async def backlog() -> tuple[int, int]:
    """(pending, failed): how many mails wait in the outbox and how many gave up (/metrics)."""
    pending = await models.OutboxMessage.filter(status=models.OutboxStatus.PENDING).count()
    failed = await models.OutboxMessage.filter(status=models.OutboxStatus.FAILED).count()
    return pending, failed
