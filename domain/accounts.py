"""Accounts: signing up (every problem of the form at once), email-link tokens, signing in,
password resets and the account's own details. No GraphQL here: resolvers pass plain values
and the few settings a rule needs (token lifetime, the link builder)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from domain import rate_limits as limits
from domain.enumeration import RESET_ANSWER_SECONDS, address_taken, lasting_at_least
from domain.errors import DomainError, ErrorCode, Problem
from domain.validation import (
    MAX_NAME_LENGTH,
    checked_date_of_birth,
    normalized_email,
    require_email,
    require_text,
    storable_text,
)
from mailer import messages, outbox
from permissions.audit import record_event
from permissions.passwords import hash_password, password_problem, verify_password
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer

T = TypeVar("T")
# Builds an absolute link for a mail from a path ("/verify-email?token=..."); Settings.link.
LinkBuilder = Callable[[str], str]


def require_password(password: str, field: str = "password") -> str:
    """The password when it meets `permissions.passwords.password_problem`; WEAK_PASSWORD else."""
    problem = password_problem(password)
    if problem:
        raise DomainError(ErrorCode.WEAK_PASSWORD, problem, [field])
    return password


def today() -> dt.date:
    return datetime.now(UTC).date()


class _Problems:
    """Runs checks and keeps every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def check(self, rule: Callable[[], T]) -> T | None:
        try:
            return rule()
        except DomainError as error:
            self.problems.extend(error.problems)
            return None

    def raise_any(self) -> None:
        if self.problems:
            raise DomainError.of(self.problems)


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str
    first_name: str
    last_name: str
    language: str
    date_of_birth: dt.date | None = None


async def sign_up(
    viewer: Viewer, form: NewAccount, *, token_lifetime: timedelta, link: LinkBuilder
) -> models.Account:
    """Create an account and mail its verification link. Every problem of the form comes back at
    once (INVALID_EMAIL, WEAK_PASSWORD, REQUIRED, TOO_LONG, INVALID date of birth); an address
    in use answers like a new one (an unsaved account) and mails its owner instead (no
    enumeration, issue 12). RATE_LIMITED past the sign-ups per address and per IP address."""
    problems = _Problems()
    email = problems.check(lambda: require_email(form.email))
    problems.check(lambda: require_password(form.password))
    first_name = problems.check(
        lambda: require_text(
            form.first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True
        )
    )
    last_name = problems.check(
        lambda: require_text(form.last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True)
    )
    born = problems.check(lambda: checked_date_of_birth(form.date_of_birth, today()))
    problems.raise_any()
    await limits.throttle(
        (limits.SIGN_UPS_PER_IP, viewer.ip_address), (limits.SIGN_UPS_PER_ADDRESS, email)
    )
    password_hash = await hash_password(form.password)
    try:
        async with in_transaction():
            account = await models.Account.create(
                email=email,
                password_hash=password_hash,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=born,
                language=form.language,
            )
            await send_verification(account, token_lifetime=token_lifetime, link=link)
            await record_event(
                viewer, "ACCOUNT_CREATED", subject_id=account.id, actor_account_id=account.id
            )
    except IntegrityError:
        assert email is not None and first_name is not None and last_name is not None
        account = await address_taken(
            email=email,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=born,
            language=form.language,
            link=link("/forgot-password"),
        )
    return account


async def issue_email_token(
    account: models.Account, purpose: models.TokenPurpose, lifetime: timedelta
) -> str:
    """A new single-use link token (returned once; only its hash is stored). A new password
    reset link voids every earlier one of the account (issue 7, item 8)."""
    now = datetime.now(UTC)
    if purpose == models.TokenPurpose.RESET_PASSWORD:
        await void_reset_links(account)
    token = new_token()
    await models.EmailToken.create(
        account=account, purpose=purpose, token_hash=hash_token(token), expires_at=now + lifetime
    )
    return token


async def void_reset_links(account: models.Account) -> None:
    """Mark every unused password reset link of the account used."""
    await models.EmailToken.filter(
        account_id=account.id, purpose=models.TokenPurpose.RESET_PASSWORD, used_at=None
    ).update(used_at=datetime.now(UTC))


async def consume_email_token(token: str, purpose: models.TokenPurpose) -> models.Account:
    """Use a single-use email-link token: exactly one caller ever gets its account.
    INVALID_TOKEN when unknown or used, EXPIRED_TOKEN when past its expiry."""
    row = await models.EmailToken.get_or_none(token_hash=hash_token(token), purpose=purpose)
    if row is None or row.used_at is not None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "This link is not valid (any more).", ["token"])
    now = datetime.now(UTC)
    if row.expires_at <= now:
        raise DomainError(
            ErrorCode.EXPIRED_TOKEN, "This link has expired. Ask for a new one.", ["token"]
        )
    claimed = await models.EmailToken.filter(id=row.id, used_at=None).update(used_at=now)
    if not claimed:
        raise DomainError(ErrorCode.INVALID_TOKEN, "This link is not valid (any more).", ["token"])
    return await models.Account.get(id=row.account_id)


async def resend_verification(
    account: models.Account, *, token_lifetime: timedelta, link: LinkBuilder
) -> None:
    """Mail a fresh verification link unless the address is verified already; RATE_LIMITED past
    the verification mails per address and hour."""
    if account.email_verified:
        return
    await limits.throttle((limits.VERIFICATION_MAILS_PER_ADDRESS, account.email))
    async with in_transaction():
        await send_verification(account, token_lifetime=token_lifetime, link=link)


async def send_verification(
    account: models.Account, *, token_lifetime: timedelta, link: LinkBuilder
) -> None:
    """Mail a fresh verification link (through the outbox: call inside the transaction)."""
    token = await issue_email_token(account, models.TokenPurpose.VERIFY_EMAIL, token_lifetime)
    await outbox.enqueue(
        messages.verify_email(
            to=account.email,
            language=account.language,
            first_name=account.first_name,
            link=link(f"/verify-email?token={token}"),
        )
    )


async def verify_email(token: str) -> models.Account:
    """Mark the account of a verification link verified."""
    async with in_transaction():
        account = await consume_email_token(token, models.TokenPurpose.VERIFY_EMAIL)
        account.email_verified = True
        await account.save(update_fields=["email_verified"])
    return account


async def check_sign_in(viewer: Viewer, email: str, password: str) -> models.Account:
    """The account these credentials open (audited either way): INVALID_CREDENTIALS for a wrong
    address or password (the same answer), ACCOUNT_DEACTIVATED for a closed account,
    RATE_LIMITED past the failures per account and per IP address (a success forgives the
    account's count)."""
    # As written when it is no valid address (an account may predate today's rule)
    address = normalized_email(email) or storable_text(email.strip().lower())
    await limits.throttle(
        (limits.SIGN_IN_PER_ACCOUNT, address), (limits.SIGN_IN_PER_IP, viewer.ip_address)
    )
    account = await models.Account.get_or_none(email=address) if len(address) <= 254 else None
    if (
        not await verify_password(account.password_hash if account else None, password)
        or account is None
    ):
        await record_event(
            viewer,
            "SIGN_IN",
            outcome=models.AuditOutcome.FAILURE,
            actor_account_id=account.id if account else None,
            details={"email": address[:254]},
        )
        raise DomainError(
            ErrorCode.INVALID_CREDENTIALS, "The email address or password is not right."
        )
    if account.deactivated_at is not None:
        await record_event(
            viewer,
            "SIGN_IN",
            outcome=models.AuditOutcome.DENIED,
            actor_account_id=account.id,
            details={"reason": "account deactivated"},
        )
        raise DomainError(ErrorCode.ACCOUNT_DEACTIVATED, "This account has been closed.")
    await limits.forgive((limits.SIGN_IN_PER_ACCOUNT, address))
    return account


async def request_password_reset(
    viewer: Viewer, email: str, *, token_lifetime: timedelta, link: LinkBuilder
) -> None:
    """Mail a reset link when the address has an open account; nothing otherwise, in no less
    time (`RESET_ANSWER_SECONDS`), so the answer never tells whether the address has an
    account. INVALID_EMAIL for a malformed address; RATE_LIMITED past the reset mails per
    address and per IP address."""
    address = require_email(email)
    async with lasting_at_least(RESET_ANSWER_SECONDS):
        await limits.throttle(
            (limits.RESET_MAILS_PER_ADDRESS, address),
            (limits.RESET_MAILS_PER_IP, viewer.ip_address),
        )
        await _mail_reset_link(address, token_lifetime=token_lifetime, link=link)


async def _mail_reset_link(address: str, *, token_lifetime: timedelta, link: LinkBuilder) -> None:
    account = await models.Account.get_or_none(email=address, deactivated_at=None)
    if account is None:
        return
    async with in_transaction():
        token = await issue_email_token(account, models.TokenPurpose.RESET_PASSWORD, token_lifetime)
        await outbox.enqueue(
            messages.password_reset(
                to=account.email,
                language=account.language,
                first_name=account.first_name,
                link=link(f"/reset-password?token={token}"),
            )
        )


async def reset_password(viewer: Viewer, token: str, password: str) -> models.Account:
    """Set a new password from a reset link: the email counts as verified, every other session
    of the account ends, and every other reset link of the account stops working."""
    require_password(password)
    password_hash = await hash_password(password)
    current = viewer.session
    async with in_transaction():
        account = await consume_email_token(token, models.TokenPurpose.RESET_PASSWORD)
        account.password_hash = password_hash
        # Whoever could read the reset mail controls the address.
        account.email_verified = True
        await account.save(update_fields=["password_hash", "email_verified"])
        await void_reset_links(account)
        others = models.Session.filter(account_id=account.id, revoked_at=None)
        if current is not None:
            others = others.exclude(id=current.id)
        await others.update(revoked_at=datetime.now(UTC))
        await record_event(
            viewer, "PASSWORD_RESET", actor_account_id=account.id, subject_id=account.id
        )
    await limits.forgive((limits.SIGN_IN_PER_ACCOUNT, account.email))
    return account


async def update_account(
    account: models.Account,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    date_of_birth: dt.date | None = None,
    language: str | None = None,
) -> models.Account:
    """Change the given details of one's own account (None leaves a detail as it is); every
    problem comes back at once."""
    problems = _Problems()
    changes: dict[str, object] = {}
    if first_name is not None:
        changes["first_name"] = problems.check(
            lambda: require_text(first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True)
        )
    if last_name is not None:
        changes["last_name"] = problems.check(
            lambda: require_text(last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True)
        )
    if date_of_birth is not None:
        changes["date_of_birth"] = problems.check(
            lambda: checked_date_of_birth(date_of_birth, today())
        )
    if language is not None:
        changes["language"] = language
    problems.raise_any()  # nothing is changed, not even in memory, when anything is wrong
    for name, value in changes.items():
        setattr(account, name, value)
    await account.save()
    return account


def active_memberships(account_id: uuid.UUID) -> QuerySet[models.Member]:
    """The account's active memberships (with the account), oldest first."""
    return (
        models.Member.filter(account_id=account_id, status=models.MemberStatus.ACTIVE)
        .select_related("account")
        .order_by("created_at")
    )
