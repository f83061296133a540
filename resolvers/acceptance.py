"""The accept page: the public preview of an invitation link, and accepting it (a new or an
existing account, the membership and connections in one transaction, single use)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, datetime

import strawberry
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain import rate_limits as limits
from domain.accounts import require_password
from domain.connections import connect
from domain.errors import DomainError, ErrorCode
from domain.members import add_member
from domain.validation import (
    MAX_NAME_LENGTH,
    checked_date_of_birth,
    require_text,
)
from permissions.audit import record_event
from permissions.guards import Public, guard
from permissions.passwords import hash_password, verify_password
from permissions.roles import Role
from permissions.scopes import parse_id
from permissions.tokens import hash_token
from permissions.viewer import Viewer
from resolvers.accounts import start_session
from resolvers.invitations import inviter_names
from resolvers.mutations import returns_errors
from schema.accounts import Account
from schema.invitations import (
    AcceptInvitationInput,
    AcceptInvitationPayload,
    InvitationPreview,
    effective_status,
    masked_email,
)
from schema.members import Member
from schema.types import Info

# --- accepting -----------------------------------------------------------------------------


def _open_invitation(row: models.Invitation | None, now: datetime) -> models.Invitation:
    """The invitation behind a token when it can still be accepted; a coded refusal otherwise."""
    if row is None:
        raise DomainError(
            ErrorCode.INVALID_TOKEN,
            "This invitation link is not valid. Use the link in the latest invitation mail.",
            ["token"],
        )
    status = effective_status(row, now)
    if status == models.InvitationStatus.ACCEPTED:
        raise DomainError(
            ErrorCode.INVALID_TOKEN, "This invitation has been accepted already.", ["token"]
        )
    if status == models.InvitationStatus.WITHDRAWN:
        raise DomainError(ErrorCode.INVALID_TOKEN, "This invitation was withdrawn.", ["token"])
    if status == models.InvitationStatus.EXPIRED:
        raise DomainError(
            ErrorCode.EXPIRED_TOKEN,
            "This invitation has expired. Ask the Healthspace for a new one.",
            ["token"],
        )
    return row


@dataclass
class NewAccount:
    password_hash: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None


async def _acceptor(
    viewer: Viewer, row: models.Invitation, input: AcceptInvitationInput, now: datetime
) -> tuple[models.Account | None, NewAccount | None]:
    """Who accepts: the signed-in invitee, the invitee's existing account (with its password),
    or a new account to create."""
    if viewer.account is not None:
        if viewer.account.email != row.email:
            raise DomainError(
                ErrorCode.EMAIL_MISMATCH,
                f"This invitation is for {masked_email(row.email)}, but you are signed in as "
                f"{viewer.account.email}. Sign out, or ask for an invitation to your address.",
                ["token"],
            )
        return viewer.account, None
    account = await models.Account.get_or_none(email=row.email)
    if account is not None:
        if not input.password:
            raise DomainError(
                ErrorCode.REQUIRED,
                "This address has a Carespace account: sign in first, or give its password.",
                ["password"],
            )
        await limits.throttle(
            (limits.SIGN_IN_PER_ACCOUNT, account.email), (limits.SIGN_IN_PER_IP, viewer.ip_address)
        )
        if not await verify_password(account.password_hash, input.password):
            await record_event(
                viewer,
                "INVITATION_PASSWORD",
                outcome=models.AuditOutcome.FAILURE,
                actor_account_id=account.id,
                subject_id=row.id,
            )
            raise DomainError(
                ErrorCode.INVALID_CREDENTIALS, "The password is not right.", ["password"]
            )
        return account, None
    if not input.password:
        raise DomainError(ErrorCode.REQUIRED, "Choose a password for your account.", ["password"])
    require_password(input.password)
    first_name = require_text(
        input.first_name or row.first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True
    )
    last_name = require_text(
        input.last_name or row.last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True
    )
    date_of_birth = checked_date_of_birth(input.date_of_birth or row.date_of_birth, now.date())
    return None, NewAccount(
        await hash_password(input.password), first_name, last_name, date_of_birth
    )


async def _connect_named_clinicians(
    viewer: Viewer, row: models.Invitation, client: models.Member
) -> tuple[list[str], list[str]]:
    """Connect the client to the clinicians named on the invitation. One who was deactivated
    (or lost the clinician role) since the invitation is skipped, not a failure."""
    ids = [member_id for member_id in map(parse_id, row.connect_to) if member_id]
    if not ids:
        return [], []
    staff = {
        member.id: member
        for member in await models.Member.filter(id__in=ids, healthspace_id=client.healthspace_id)  # type: ignore[attr-defined]
    }
    current = set(
        await models.Connection.filter(
            client_id=client.id, staff_id__in=ids, current_key__not_isnull=True
        ).values_list("staff_id", flat=True)
    )
    inviter_id = row.invited_by_id  # type: ignore[attr-defined]
    inviter = (
        (staff.get(inviter_id) or await models.Member.get_or_none(id=inviter_id))
        if inviter_id
        else None
    )
    connected: list[str] = []
    skipped: list[str] = []
    for member_id in ids:
        member = staff.get(member_id)
        usable = (
            member is not None
            and member.status == models.MemberStatus.ACTIVE
            and member.kind == models.MemberKind.STAFF
            and Role.CLINICIAN.value in member.roles
        )
        if not usable or member_id in current:
            skipped.append(str(member_id))
            continue
        await connect(viewer, client, member, created_by=inviter)  # type: ignore[arg-type]
        connected.append(str(member_id))
    return connected, skipped


# --- the GraphQL fields --------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[guard(Public())],
        description="What the accept page shows for an invitation link; null for a link that "
        "is not (or no longer) valid, e.g. after a resend.",
    )
    async def invitation(self, info: Info, token: str) -> InvitationPreview | None:
        row = await models.Invitation.get_or_none(token_hash=hash_token(token))
        if row is None:
            return None
        healthspace = await models.Healthspace.get(id=row.healthspace_id)  # type: ignore[attr-defined]
        names = await inviter_names([row.invited_by_id])  # type: ignore[attr-defined]
        viewer = info.context.viewer.account
        return InvitationPreview(
            kind=models.MemberKind(row.kind),
            status=effective_status(row),
            first_name=row.first_name,
            last_name=row.last_name,
            masked_email=masked_email(row.email),
            note=row.note,
            inviter_name=names.get(row.invited_by_id, healthspace.name),  # type: ignore[attr-defined]
            expires_at=row.expires_at,
            account_exists=await models.Account.exists(email=row.email),
            viewer_is_invitee=viewer is not None and viewer.email == row.email,
            healthspace_row=healthspace,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(Public())],
        description="Accept an invitation: creates the account when the address has none, adds "
        "the membership and the connections named on the invitation, and signs the person in. "
        "A link works once.",
    )
    @returns_errors(AcceptInvitationPayload)
    async def accept_invitation(
        self, info: Info, input: AcceptInvitationInput
    ) -> AcceptInvitationPayload:
        viewer = info.context.viewer
        now = datetime.now(UTC)
        row = _open_invitation(
            await models.Invitation.get_or_none(token_hash=hash_token(input.token)), now
        )
        account, new_account = await _acceptor(viewer, row, input, now)
        if account is not None and account.deactivated_at is not None:
            raise DomainError(ErrorCode.ACCOUNT_DEACTIVATED, "This account has been closed.")
        try:
            async with in_transaction():
                # The claim: of two parallel accepts only one moves the row out of PENDING.
                claimed = await models.Invitation.filter(
                    id=row.id, status=models.InvitationStatus.PENDING, expires_at__gt=now
                ).update(
                    status=models.InvitationStatus.ACCEPTED,
                    pending_key=None,
                    next_reminder_at=None,
                    decided_at=now,
                )
                if not claimed:
                    raise DomainError(
                        ErrorCode.INVALID_TOKEN,
                        "This invitation has been accepted already.",
                        ["token"],
                    )
                account = await _account_for(viewer, row, account, new_account)
                member = await add_member(
                    account,
                    row.healthspace_id,  # type: ignore[attr-defined]
                    models.MemberKind(row.kind),
                    roles=row.roles,
                    granted_permissions=row.granted_permissions,
                    identification_number=row.identification_number,
                )
                await models.Invitation.filter(id=row.id).update(accepted_member_id=member.id)
                connected, skipped = (
                    await _connect_named_clinicians(viewer, row, member)
                    if member.kind == models.MemberKind.CLIENT
                    else ([], [])
                )
                await record_event(
                    viewer,
                    "INVITATION_ACCEPTED",
                    healthspace_id=member.healthspace_id,  # type: ignore[attr-defined]
                    actor=member,
                    actor_account_id=account.id,
                    subject_id=row.id,
                    client_member_id=member.id if member.kind == models.MemberKind.CLIENT else None,
                    details={
                        "member_id": str(member.id),
                        "connected": connected,
                        "skipped": skipped,
                    },
                )
                token = await start_session(info.context, account)
        except IntegrityError:
            raise DomainError(
                ErrorCode.EMAIL_TAKEN,
                "An account with this address was created a moment ago: sign in and accept again.",
                ["token"],
            ) from None
        viewer.forget_memberships()
        return AcceptInvitationPayload(
            member=Member.from_row(member), token=token, account=Account.from_row(account)
        )


async def _account_for(
    viewer: Viewer,
    row: models.Invitation,
    account: models.Account | None,
    new_account: NewAccount | None,
) -> models.Account:
    """The accepting account; a new one has a verified address (the invitation mail reached it)."""
    if account is not None:
        if not account.email_verified:
            account.email_verified = True
            await account.save(update_fields=["email_verified"])
        return account
    assert new_account is not None
    account = await models.Account.create(
        email=row.email,
        password_hash=new_account.password_hash,
        first_name=new_account.first_name,
        last_name=new_account.last_name,
        date_of_birth=new_account.date_of_birth,
        email_verified=True,
    )
    await record_event(
        viewer,
        "ACCOUNT_CREATED",
        subject_id=account.id,
        actor_account_id=account.id,
        details={"via": "invitation"},
    )
    return account
