"""Accounts and sessions: sign up, verify, sign in and out, reset a password, the viewer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain import rate_limits as limits
from domain.accounts import require_password
from domain.enumeration import RESET_ANSWER_SECONDS, address_taken, lasting_at_least
from domain.errors import DomainError, ErrorCode
from domain.validation import MAX_NAME_LENGTH, checked_date_of_birth, require_email, require_text
from mailer import messages, outbox
from permissions.audit import record_event
from permissions.guards import IsAuthenticated, Public, guard
from permissions.passwords import hash_password, verify_password
from permissions.tokens import hash_token, new_token
from resolvers.mutations import returns_errors
from schema.accounts import (
    Account,
    AccountPayload,
    RequestPasswordResetPayload,
    ResetPasswordPayload,
    SignInPayload,
    SignOutPayload,
    SignUpInput,
    SignUpPayload,
    UpdateAccountInput,
    VerifyEmailPayload,
)
from schema.context import Context
from schema.types import Info


def _today() -> date:
    return datetime.now(UTC).date()


async def start_session(context: Context, account: models.Account) -> str:
    """Open a session: the token is returned once (for `Authorization: Bearer`) and also set
    as an HttpOnly SameSite cookie for browsers and GraphiQL. The rest of this request is
    answered as the signed-in account."""
    settings = context.settings
    token = new_token()
    context.viewer.session = await models.Session.create(
        account=account,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + settings.session_lifetime,
        ip_address=context.viewer.ip_address,
        user_agent=context.viewer.user_agent,
    )
    context.viewer.account = account
    context.viewer.forget_memberships()
    response = context.response
    if response is not None and hasattr(response, "set_cookie"):
        response.set_cookie(
            settings.session_cookie,
            token,
            max_age=int(settings.session_lifetime.total_seconds()),
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
            path="/",
        )
    return token


async def issue_email_token(
    context: Context, account: models.Account, purpose: models.TokenPurpose
) -> str:
    token = new_token()
    await models.EmailToken.create(
        account=account,
        purpose=purpose,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + context.settings.email_token_lifetime,
    )
    return token


async def consume_email_token(token: str, purpose: models.TokenPurpose) -> models.Account:
    """Use a single-use email-link token: exactly one caller ever gets its account."""
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
    return await models.Account.get(id=row.account_id)  # type: ignore[attr-defined]


async def send_verification(context: Context, account: models.Account) -> None:
    token = await issue_email_token(context, account, models.TokenPurpose.VERIFY_EMAIL)
    await outbox.enqueue(
        messages.verify_email(
            to=account.email,
            language=account.language,
            first_name=account.first_name,
            link=context.settings.link(f"/verify-email?token={token}"),
        )
    )


async def _mail_reset_link(context: Context, address: str) -> None:
    """Count the request and mail a reset link when `address` has an active account."""
    await limits.throttle(
        (limits.RESET_MAILS_PER_ADDRESS, address),
        (limits.RESET_MAILS_PER_IP, context.viewer.ip_address),
    )
    account = await models.Account.get_or_none(email=address, deactivated_at=None)
    if account is not None:
        async with in_transaction():
            token = await issue_email_token(context, account, models.TokenPurpose.RESET_PASSWORD)
            await outbox.enqueue(
                messages.password_reset(
                    to=account.email,
                    language=account.language,
                    first_name=account.first_name,
                    link=context.settings.link(f"/reset-password?token={token}"),
                )
            )


@strawberry.type
class Query:
    @strawberry.field(extensions=[guard(Public())], description="The signed-in account, if any.")
    def viewer(self, info: Info) -> Account | None:
        account = info.context.viewer.account
        return Account.from_row(account) if account else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(Public())], description="Create an account; sends a verification mail."
    )
    @returns_errors(SignUpPayload)
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        email = require_email(input.email)
        require_password(input.password)
        await limits.throttle(
            (limits.SIGN_UPS_PER_IP, info.context.viewer.ip_address),
            (limits.SIGN_UPS_PER_ADDRESS, email),
        )
        first_name = require_text(
            input.first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True
        )
        last_name = require_text(
            input.last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True
        )
        password_hash = await hash_password(input.password)
        try:
            async with in_transaction():
                account = await models.Account.create(
                    email=email,
                    password_hash=password_hash,
                    first_name=first_name,
                    last_name=last_name,
                    date_of_birth=checked_date_of_birth(input.date_of_birth, _today()),
                    language=input.language.value,
                )
                await send_verification(info.context, account)
                await record_event(
                    info.context.viewer,
                    "ACCOUNT_CREATED",
                    subject_id=account.id,
                    actor_account_id=account.id,
                )
        except IntegrityError:
            account = await address_taken(
                email=email,
                first_name=first_name,
                last_name=last_name,
                date_of_birth=input.date_of_birth,
                language=input.language.value,
                link=info.context.settings.link("/forgot-password"),
            )
        return SignUpPayload(account=Account.from_row(account))

    @strawberry.mutation(
        extensions=[guard(IsAuthenticated())], description="Send the verification mail again."
    )
    @returns_errors(AccountPayload)
    async def resend_verification_email(self, info: Info) -> AccountPayload:
        account = info.context.viewer.account
        assert account is not None
        if not account.email_verified:
            await limits.throttle((limits.VERIFICATION_MAILS_PER_ADDRESS, account.email))
            async with in_transaction():
                await send_verification(info.context, account)
        return AccountPayload(account=Account.from_row(account))

    @strawberry.mutation(extensions=[guard(Public())])
    @returns_errors(VerifyEmailPayload)
    async def verify_email(self, info: Info, token: str) -> VerifyEmailPayload:
        async with in_transaction():
            account = await consume_email_token(token, models.TokenPurpose.VERIFY_EMAIL)
            account.email_verified = True
            await account.save(update_fields=["email_verified"])
        return VerifyEmailPayload(account=Account.from_row(account))

    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Sign in; the token is also set as a session cookie.",
    )
    @returns_errors(SignInPayload)
    async def sign_in(self, info: Info, email: str, password: str) -> SignInPayload:
        viewer = info.context.viewer
        address = email.strip().lower()
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
        async with in_transaction():
            token = await start_session(info.context, account)
            await record_event(viewer, "SIGN_IN", actor_account_id=account.id)
        await limits.forgive((limits.SIGN_IN_PER_ACCOUNT, address))
        return SignInPayload(token=token, account=Account.from_row(account))

    @strawberry.mutation(extensions=[guard(IsAuthenticated())], description="End this session.")
    async def sign_out(self, info: Info) -> SignOutPayload:
        context = info.context
        session = context.viewer.session
        if session is not None:
            await models.Session.filter(id=session.id).update(revoked_at=datetime.now(UTC))
        response = context.response
        if response is not None and hasattr(response, "delete_cookie"):
            response.delete_cookie(context.settings.session_cookie, path="/")
        return SignOutPayload(ok=True)

    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Mails a reset link when the address has an account; the answer is the same either way.",
    )
    @returns_errors(RequestPasswordResetPayload)
    async def request_password_reset(self, info: Info, email: str) -> RequestPasswordResetPayload:
        address = require_email(email)
        async with lasting_at_least(RESET_ANSWER_SECONDS):
            await _mail_reset_link(info.context, address)
        return RequestPasswordResetPayload(ok=True)

    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Set a new password from a reset link; ends every other session.",
    )
    @returns_errors(ResetPasswordPayload)
    async def reset_password(self, info: Info, token: str, password: str) -> ResetPasswordPayload:
        require_password(password)
        password_hash = await hash_password(password)
        current = info.context.viewer.session
        async with in_transaction():
            account = await consume_email_token(token, models.TokenPurpose.RESET_PASSWORD)
            account.password_hash = password_hash
            # Whoever could read the reset mail controls the address.
            account.email_verified = True
            await account.save(update_fields=["password_hash", "email_verified"])
            others = models.Session.filter(account_id=account.id, revoked_at=None)
            if current is not None:
                others = others.exclude(id=current.id)
            await others.update(revoked_at=datetime.now(UTC))
            await record_event(
                info.context.viewer,
                "PASSWORD_RESET",
                actor_account_id=account.id,
                subject_id=account.id,
            )
        await limits.forgive((limits.SIGN_IN_PER_ACCOUNT, account.email))
        return ResetPasswordPayload(account=Account.from_row(account))

    @strawberry.mutation(
        extensions=[guard(IsAuthenticated())],
        description="Change my names, date of birth or language.",
    )
    @returns_errors(AccountPayload)
    async def update_account(self, info: Info, input: UpdateAccountInput) -> AccountPayload:
        account = info.context.viewer.account
        assert account is not None
        if input.first_name is not None:
            account.first_name = require_text(
                input.first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True
            )
        if input.last_name is not None:
            account.last_name = require_text(
                input.last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True
            )
        if input.date_of_birth is not None:
            account.date_of_birth = checked_date_of_birth(input.date_of_birth, _today())
        if input.language is not None:
            account.language = input.language.value
        await account.save()
        return AccountPayload(account=Account.from_row(account))
