"""The accept page: the public preview of an invitation link, and accepting it (a new or an
existing account, the membership and connections in one transaction, single use)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain import rate_limits as limits
from domain.accounts import require_password
from domain.connections import ConnectionMail, connect
from domain.errors import DomainError, ErrorCode
from domain.invitation_status import effective_status, leave_pending
from domain.invitations import check_inviter_still_allowed, inviter_names
from domain.members import add_member
from domain.validation import MAX_NAME_LENGTH, checked_date_of_birth, require_text
from permissions.audit import record_event
from permissions.passwords import hash_password, verify_password
from permissions.roles import is_active_clinician
from permissions.scopes import parse_id
from permissions.tokens import hash_token
from permissions.viewer import Viewer


def masked_email(email: str) -> str:
    """ "anna.jansen@example.org" → "a***n@example.org": enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    if len(local) <= 2:
        return f"{local[:1]}***@{domain}"
    return f"{local[0]}***{local[-1]}@{domain}"


# --- the preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What the accept page may show. For a link that can no longer be accepted (withdrawn,
    expired, accepted) only the kind, status, expiry and Healthspace: every personal field is
    empty and the booleans false (issue 7 item 3)."""

    kind: models.MemberKind
    status: models.InvitationStatus
    healthspace: models.Healthspace
    expires_at: datetime
    first_name: str = ""
    last_name: str = ""
    masked_email: str = ""
    note: str = ""
    inviter_name: str = ""
    account_exists: bool = False
    viewer_is_invitee: bool = False


async def preview(viewer: Viewer, token: str) -> Preview | None:
    """The preview of the invitation behind `token`; None for a token that is not (or no
    longer, after a resend) any invitation's."""
    row = await models.Invitation.get_or_none(token_hash=hash_token(token))
    if row is None:
        return None
    healthspace = await models.Healthspace.get(id=row.healthspace_id)
    status = effective_status(row)
    shown = Preview(models.MemberKind(row.kind), status, healthspace, row.expires_at)
    if status != models.InvitationStatus.PENDING:
        return shown
    names = await inviter_names([row.invited_by_id])
    return replace(
        shown,
        first_name=row.first_name,
        last_name=row.last_name,
        masked_email=masked_email(row.email),
        note=row.note,
        inviter_name=names.get(row.invited_by_id, healthspace.name),
        account_exists=await models.Account.exists(email=row.email),
        viewer_is_invitee=viewer.account is not None and viewer.account.email == row.email,
    )


# --- accepting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    """What the invitee gives: the token, a password (new, or the existing account's when not
    signed in) and, for a new account, names and a date of birth (default: the invitation's)."""

    token: str
    password: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None


@dataclass(frozen=True)
class Accepted:
    member: models.Member
    account: models.Account
    session_token: str


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


async def _refuse_members(row: models.Invitation) -> None:
    """ALREADY_MEMBER for a withdrawn invitation of someone who is an active member there now
    (becoming a member by another path withdrew it: `close_for_new_member`)."""
    if await models.Member.exists(
        account__email=row.email,
        healthspace_id=row.healthspace_id,
        status=models.MemberStatus.ACTIVE,
    ):
        raise DomainError(
            ErrorCode.ALREADY_MEMBER,
            f"{masked_email(row.email)} is already a member of this Healthspace.",
            ["token"],
        )


@dataclass
class _NewAccount:
    password_hash: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None


async def _acceptor(
    viewer: Viewer, row: models.Invitation, given: Acceptance, now: datetime
) -> tuple[models.Account | None, _NewAccount | None]:
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
        if not given.password:
            raise DomainError(
                ErrorCode.REQUIRED,
                "This address has a Carespace account: sign in first, or give its password.",
                ["password"],
            )
        await limits.throttle(
            (limits.SIGN_IN_PER_ACCOUNT, account.email), (limits.SIGN_IN_PER_IP, viewer.ip_address)
        )
        if not await verify_password(account.password_hash, given.password):
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
    if not given.password:
        raise DomainError(ErrorCode.REQUIRED, "Choose a password for your account.", ["password"])
    require_password(given.password)
    first_name = require_text(
        given.first_name or row.first_name, "firstName", max_length=MAX_NAME_LENGTH, required=True
    )
    last_name = require_text(
        given.last_name or row.last_name, "lastName", max_length=MAX_NAME_LENGTH, required=True
    )
    date_of_birth = checked_date_of_birth(given.date_of_birth or row.date_of_birth, now.date())
    return None, _NewAccount(
        await hash_password(given.password), first_name, last_name, date_of_birth
    )


async def accept(
    viewer: Viewer,
    given: Acceptance,
    open_session: Callable[[models.Account], Awaitable[str]],
) -> Accepted:
    """Accept the invitation behind `given.token`: the account (created when the address has
    none), the membership, the connections named on it, and a session (`open_session`), all in
    one transaction; a link works once. Raises INVALID_TOKEN, EXPIRED_TOKEN, EMAIL_MISMATCH,
    REQUIRED, INVALID_CREDENTIALS, WEAK_PASSWORD, ACCOUNT_DEACTIVATED, EMAIL_TAKEN, or
    INVITER_NO_LONGER_ALLOWED when the inviter may no longer give what it offers."""
    now = datetime.now(UTC)
    found = await models.Invitation.get_or_none(token_hash=hash_token(given.token))
    if found is not None and found.status == models.InvitationStatus.WITHDRAWN:
        await _refuse_members(found)
    row = _open_invitation(found, now)
    account, new_account = await _acceptor(viewer, row, given, now)
    if account is not None and account.deactivated_at is not None:
        raise DomainError(ErrorCode.ACCOUNT_DEACTIVATED, "This account has been closed.")
    try:
        async with in_transaction():
            await check_inviter_still_allowed(row)
            # The claim: of two parallel accepts only one moves the row out of PENDING.
            if not await leave_pending(
                row.id, models.InvitationStatus.ACCEPTED, now, unexpired_at=now
            ):
                raise DomainError(
                    ErrorCode.INVALID_TOKEN, "This invitation has been accepted already.", ["token"]
                )
            account = await _account_for(viewer, row, account, new_account)
            member = await add_member(
                account,
                row.healthspace_id,
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
                healthspace_id=member.healthspace_id,
                actor=member,
                actor_account_id=account.id,
                subject_id=row.id,
                client_member_id=member.id if member.kind == models.MemberKind.CLIENT else None,
                details={"member_id": str(member.id), "connected": connected, "skipped": skipped},
            )
            token = await open_session(account)
    except IntegrityError:
        raise DomainError(
            ErrorCode.EMAIL_TAKEN,
            "An account with this address was created a moment ago: sign in and accept again.",
            ["token"],
        ) from None
    viewer.forget_memberships()
    return Accepted(member=member, account=account, session_token=token)


async def _connect_named_clinicians(
    viewer: Viewer, row: models.Invitation, client: models.Member
) -> tuple[list[str], list[str]]:
    """Connect the client to the clinicians named on the invitation, and mail the client who
    they are (the connection mail, in the same transaction). One who was deactivated (or lost
    the clinician role) since the invitation is skipped, not a failure."""
    ids: list[uuid.UUID] = [member_id for member_id in map(parse_id, row.connect_to) if member_id]
    if not ids:
        return [], []
    staff = {
        member.id: member
        for member in await models.Member.filter(
            id__in=ids,
            healthspace_id=client.healthspace_id,
        ).select_related("account")
    }
    current = set(
        await models.current_connections(client_id=client.id, staff_id__in=ids).values_list(
            "staff_id", flat=True
        )
    )
    inviter_id = row.invited_by_id
    inviter = (
        (staff.get(inviter_id) or await models.Member.get_or_none(id=inviter_id))
        if inviter_id
        else None
    )
    connected: list[str] = []
    skipped: list[str] = []
    mail = ConnectionMail(await models.Healthspace.get(id=client.healthspace_id))
    for member_id in ids:
        member = staff.get(member_id)
        if member is None or not is_active_clinician(member) or member_id in current:
            skipped.append(str(member_id))
            continue
        await connect(viewer, client, member, created_by=inviter)
        mail.connected(client, member)
        connected.append(str(member_id))
    if connected:
        await client.fetch_related("account")
        await mail.send()
    return connected, skipped


async def _account_for(
    viewer: Viewer,
    row: models.Invitation,
    account: models.Account | None,
    new_account: _NewAccount | None,
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
