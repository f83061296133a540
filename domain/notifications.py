"""Which emails a person wants: each kind can be switched off per account; all are on by
default (issue 11, "Email notifications")."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import models
from mailer.messages import Message
from mailer.outbox import outbox_row


class NotificationKind(StrEnum):
    ASSIGNMENT_PLANNED = "ASSIGNMENT_PLANNED"  # to the client
    ASSIGNMENT_FEEDBACK = "ASSIGNMENT_FEEDBACK"  # to the client
    ASSIGNMENT_SUBMITTED = "ASSIGNMENT_SUBMITTED"  # to connected staff


def wants(account: models.Account, kind: NotificationKind) -> bool:
    """Whether `account` gets mail of `kind`: yes unless they switched it off."""
    return bool((account.notification_settings or {}).get(kind.value, True))


def settings_of(account: models.Account) -> dict[NotificationKind, bool]:
    """Every kind with whether it is on for `account`."""
    return {kind: wants(account, kind) for kind in NotificationKind}


async def update_settings(
    account: models.Account, changes: dict[NotificationKind, bool]
) -> dict[NotificationKind, bool]:
    """Switch the kinds in `changes` on or off for `account` (kinds not named keep their
    setting) and return the full settings afterwards."""
    current = dict(account.notification_settings or {})
    current.update({kind.value: bool(on) for kind, on in changes.items()})
    account.notification_settings = current
    await account.save(update_fields=["notification_settings"])
    return settings_of(account)


async def notify(
    account: models.Account,
    kind: NotificationKind,
    message: Message,
    *,
    not_before: datetime | None = None,
) -> bool:
    """Put `message` in the outbox when `account` wants `kind` (call inside the change's
    transaction). `not_before` holds it back until then (an assignment available later).
    Returns whether a message was queued."""
    if not wants(account, kind):
        return False
    now = datetime.now(UTC)
    row = outbox_row(message, now)
    if not_before is not None and not_before > now:
        row.next_attempt_at = not_before
    await row.save()
    return True
