"""Accounts and sessions: sign up, verify, sign in and out, reset a password, the viewer."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

import models
from domain import accounts
from domain.sessions import end_session, open_session
from permissions.audit import record_event
from permissions.guards import IsAuthenticated, Public, guard
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


async def start_session(context: Context, account: models.Account) -> str:
    """Open a session: the token is returned once (for `Authorization: Bearer`) and also set
    as an HttpOnly SameSite cookie for browsers and GraphiQL. The rest of this request is
    answered as the signed-in account."""
    settings = context.settings
    context.viewer.session, token = await open_session(
        account,
        settings.session_lifetime,
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
        settings = info.context.settings
        account = await accounts.sign_up(
            info.context.viewer,
            accounts.NewAccount(
                email=input.email,
                password=input.password,
                first_name=input.first_name,
                last_name=input.last_name,
                language=input.language.value,
                date_of_birth=input.date_of_birth,
            ),
            token_lifetime=settings.email_token_lifetime,
            link=settings.link,
        )
        return SignUpPayload(account=Account.from_row(account))

    @strawberry.mutation(
        extensions=[guard(IsAuthenticated())], description="Send the verification mail again."
    )
    @returns_errors(AccountPayload)
    async def resend_verification_email(self, info: Info) -> AccountPayload:
        account = info.context.viewer.account
        assert account is not None
        settings = info.context.settings
        await accounts.resend_verification(
            account, token_lifetime=settings.email_token_lifetime, link=settings.link
        )
        return AccountPayload(account=Account.from_row(account))

    @strawberry.mutation(extensions=[guard(Public())])
    @returns_errors(VerifyEmailPayload)
    async def verify_email(self, info: Info, token: str) -> VerifyEmailPayload:
        return VerifyEmailPayload(account=Account.from_row(await accounts.verify_email(token)))

    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Sign in; the token is also set as a session cookie.",
    )
    @returns_errors(SignInPayload)
    async def sign_in(self, info: Info, email: str, password: str) -> SignInPayload:
        viewer = info.context.viewer
        account = await accounts.check_sign_in(viewer, email, password)
        async with in_transaction():
            token = await start_session(info.context, account)
            await record_event(viewer, "SIGN_IN", actor_account_id=account.id)
        return SignInPayload(token=token, account=Account.from_row(account))

    @strawberry.mutation(extensions=[guard(IsAuthenticated())], description="End this session.")
    async def sign_out(self, info: Info) -> SignOutPayload:
        context = info.context
        session = context.viewer.session
        if session is not None:
            await end_session(session.id)
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
        settings = info.context.settings
        await accounts.request_password_reset(
            info.context.viewer,
            email,
            token_lifetime=settings.email_token_lifetime,
            link=settings.link,
        )
        return RequestPasswordResetPayload(ok=True)

    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Set a new password from a reset link; ends every other session and every "
        "other reset link.",
    )
    @returns_errors(ResetPasswordPayload)
    async def reset_password(self, info: Info, token: str, password: str) -> ResetPasswordPayload:
        account = await accounts.reset_password(info.context.viewer, token, password)
        return ResetPasswordPayload(account=Account.from_row(account))

    @strawberry.mutation(
        extensions=[guard(IsAuthenticated())],
        description="Change my names, date of birth or language.",
    )
    @returns_errors(AccountPayload)
    async def update_account(self, info: Info, input: UpdateAccountInput) -> AccountPayload:
        account = info.context.viewer.account
        assert account is not None
        await accounts.update_account(
            account,
            first_name=input.first_name,
            last_name=input.last_name,
            date_of_birth=input.date_of_birth,
            language=input.language.value if input.language is not None else None,
        )
        return AccountPayload(account=Account.from_row(account))
