"""How a person is named wherever Carespace shows or mails a name."""

from __future__ import annotations

import models

# Who a mail names as inviter when nobody in the Healthspace invited (the command line).
SYSTEM_INVITER = "Carespace"


def display_name(account: models.Account | None) -> str:
    """ "First Last" of an account; its email when it has no names; `SYSTEM_INVITER` for None
    (the system acting, e.g. the command line)."""
    if account is None:
        return SYSTEM_INVITER
    return f"{account.first_name} {account.last_name}".strip() or account.email


def member_name(member: models.Member) -> str:
    """The display name of a member whose `account` relation is loaded."""
    return display_name(member.account)
