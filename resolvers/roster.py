"""Roster invitations (CollabKare's "Invite Patients", made fast): a pasted roster of up to
10,000 people invited as clients in one all-or-nothing run, stored as a roster batch.

The work is done in bulk whatever the roster's size: one query each for the accounts, the
memberships, the pending invitations and the connections of everyone on it, then one INSERT
(executemany; COPY on PostgreSQL) per table for the invitations, their mails (the outbox) and
their audit events.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import strawberry
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.fields import CharField, Field, TextField, UUIDField
from tortoise.models import Model
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.people import display_name
from domain.validation import MAX_NOTE_LENGTH, require_text, storable_text
from mailer import outbox
from mailer.messages import Message
from permissions.guards import HasPermission, guard
from permissions.roles import Permission, Role
from permissions.scopes import healthspace_argument, healthspace_of, parse_id
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer
from resolvers.invitations import (
    clinicians_to_connect,
    invitation_message,
    new_invitation,
    pending_key,
)
from resolvers.mutations import returns_errors
from resolvers.roster_lines import MAX_ROSTER_LINES, RosterLine, RosterTooLong, parse_roster
from schema.roster import (
    InvitationSource,
    InviteRosterInput,
    InviteRosterPayload,
    RosterBatch,
    RosterCounts,
    RosterOutcome,
    RosterRow,
)
from schema.settings import Settings
from schema.types import Info

log = logging.getLogger("carespace.roster")
_statements = logging.getLogger("tortoise.db_client")

# A run that collides with a concurrent invitation of the same person starts over (reading
# that invitation as ALREADY_INVITED) this many times before giving up.
ATTEMPTS = 3
PROGRESS_STEP = 500

# (phase, done, total), for the command line's progress bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RosterOptions:
    default_note: str | None = None
    connect_to: list[strawberry.ID] | None = None  # staff member ids; None: the default
    dry_run: bool = False
    require_existing_account: bool = False


@dataclass
class RosterRun:
    """What a roster run came to: one row per person line, and the stored batch (real runs)."""

    rows: list[RosterRow]
    batch: models.RosterBatch | None = None

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(row.outcome.value for row in self.rows))

    @property
    def ready(self) -> int:
        return sum(1 for row in self.rows if row.outcome == RosterOutcome.SENT)

    @property
    def not_on_platform(self) -> list[str]:
        return [row.email for row in self.rows if row.outcome == RosterOutcome.NOT_ON_PLATFORM]


@dataclass(frozen=True)
class _Known:
    """What the database knows about the people on the roster, read in four queries."""

    accounts: dict[str, dict[str, Any]]  # email → id, language, names
    members: dict[uuid.UUID, dict[str, Any]]  # account id → its active membership here
    pending: dict[str, dict[str, Any]]  # email → its pending invitation here
    overdue: dict[str, uuid.UUID]  # email → its pending invitation here that is past expiry
    connected: set[uuid.UUID]  # client member ids connected to a chosen clinician


async def invite_roster(
    viewer: Viewer,
    inviter: models.Member,
    roster: str,
    options: RosterOptions,
    settings: Settings,
    progress: Progress | None = None,
) -> RosterRun:
    """Invite everyone on `roster` into the inviter's Healthspace as clients: check, then one
    transaction. Raises DomainError for a refused run; a line's problem is that line's outcome."""
    default_note = require_text(
        options.default_note, "defaultNote", max_length=MAX_NOTE_LENGTH, multiline=True
    )
    try:
        lines = parse_roster(roster)
    except RosterTooLong:
        raise DomainError(
            ErrorCode.ROSTER_TOO_LONG,
            f"A roster may hold at most {MAX_ROSTER_LINES:,} people; split it into parts.",
            ["roster"],
        ) from None
    if not lines:
        raise DomainError(
            ErrorCode.REQUIRED, "The roster has no email addresses in it.", ["roster"]
        )
    clinicians = await clinicians_to_connect(viewer, inviter, options.connect_to)
    healthspace = await models.Healthspace.get(id=inviter.healthspace_id)  # type: ignore[attr-defined]
    run = _Run(viewer, inviter, healthspace, roster, default_note, clinicians, options, settings)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await run.execute(lines, progress or _quiet)
        except IntegrityError:
            # Someone invited one of these people between our reads and our inserts.
            if attempt == ATTEMPTS:
                raise
            log.info("A roster run collided with another invitation; reading again")
    raise AssertionError("unreachable")


@dataclass
class _Run:
    viewer: Viewer
    inviter: models.Member
    healthspace: models.Healthspace
    roster: str
    default_note: str
    clinicians: list[uuid.UUID]
    options: RosterOptions
    settings: Settings
    source: InvitationSource = field(default_factory=InvitationSource)

    async def execute(self, lines: list[RosterLine], progress: Progress) -> RosterRun:
        total = len(lines)
        progress("reading", 0, total)
        known = await _look_up(self.healthspace.id, lines, self._connected_to())
        progress("reading", total, total)
        if self.options.dry_run:
            rows = [self._row(line, known, None) for line in lines]
            progress("checking", total, total)
            return RosterRun(rows=rows)
        return await self._invite(lines, known, progress)

    async def _invite(
        self, lines: list[RosterLine], known: _Known, progress: Progress
    ) -> RosterRun:
        now = datetime.now(UTC)
        batch = self._batch(now)
        invitations = _Invitations(self, batch, now)
        rows: list[RosterRow] = []
        total = len(lines)
        for done, line in enumerate(lines, start=1):
            rows.append(self._row(line, known, invitations))
            if done % PROGRESS_STEP == 0 or done == total:
                progress("inviting", done, total)
                await asyncio.sleep(0)  # let other requests in during a long roster
        run = RosterRun(rows=rows, batch=batch)
        batch.counts = run.counts
        batch.rows = [row.stored() for row in rows]
        progress("saving", 0, total)
        async with in_transaction() as connection:
            await _expire_overdue(known, now)
            await batch.save(force_create=True, using_db=connection)
            await invitations.write(connection)
            await models.AuditEvent.bulk_create(
                [
                    *self._expiry_events(known),
                    self.event("ROSTER_SENT", batch.id, {"counts": run.counts}),
                ],
                using_db=connection,
            )
        progress("saving", total, total)
        self.source.prime(invitations.made)
        return run

    def _row(self, line: RosterLine, known: _Known, invitations: _Invitations | None) -> RosterRow:
        note = line.note if line.note is not None else self.default_note
        outcome, message = _outcome(line, known, self.options)
        invitation_id = None
        if outcome == RosterOutcome.SENT and invitations is None:
            message = "Will be invited."
        elif outcome == RosterOutcome.SENT and invitations is not None:
            try:
                invitation_id = invitations.add(line, note, known)
            except Exception:  # one unmailable address must not stop the other 9,999
                log.exception("Could not prepare the invitation on roster line %d", line.number)
                outcome, message = RosterOutcome.ERROR, "Could not prepare this invitation."
        return RosterRow(
            line=line.number,
            email=line.email,
            note=note,
            outcome=outcome,
            message=message,
            invitation_id=invitation_id,
            source=self.source,
        )

    def _connected_to(self) -> set[uuid.UUID]:
        """Clinicians whose clients count as ALREADY_CONNECTED: the chosen ones, and the
        inviting clinician even when unticked."""
        chosen = set(self.clinicians)
        if Role.CLINICIAN.value in self.inviter.roles:
            chosen.add(self.inviter.id)
        return chosen

    def _batch(self, now: datetime) -> models.RosterBatch:
        return models.RosterBatch(
            id=uuid.uuid4(),
            healthspace_id=self.healthspace.id,
            created_by_id=self.inviter.id,
            created_at=now,
            roster=storable_text(self.roster),
            default_note=self.default_note,
            connect_to=[str(member_id) for member_id in self.clinicians],
            require_existing_account=self.options.require_existing_account,
        )

    def _expiry_events(self, known: _Known) -> list[models.AuditEvent]:
        return [
            self.event("INVITATION_EXPIRED", invitation_id, {"email": email})
            for email, invitation_id in known.overdue.items()
        ]

    def event(
        self, action: str, subject_id: uuid.UUID, details: dict[str, Any]
    ) -> models.AuditEvent:
        return models.AuditEvent(
            action=action,
            healthspace_id=self.healthspace.id,
            actor_account_id=self.viewer.account.id if self.viewer.account else None,
            actor_member_id=self.inviter.id,
            subject_id=subject_id,
            ip_address=self.viewer.ip_address,
            details=details,
        )


class _Invitations:
    """The invitations of a run's SENT lines, their mails and their audit events.

    The first comes from new_invitation (the single-invite rules: expiry, reminder schedule,
    pending key); the others are copies of it with their own PER_LINE values, because
    constructing 10,000 models would cost more than all the rest of the run. They are written
    by _Table, one statement per table.
    """

    PER_LINE = ("id", "email", "first_name", "last_name", "note", "token_hash", "pending_key")
    MAIL_PER_LINE = ("id", "template", "to_address", "subject", "text_body", "html_body")
    EVENT_PER_LINE = ("id", "subject_id", "details")

    def __init__(self, run: _Run, batch: models.RosterBatch | None, now: datetime) -> None:
        self.run = run
        self.batch = batch
        self.now = now
        self.made: list[models.Invitation] = []
        self.mails: list[Message] = []
        self._first: models.Invitation | None = None
        account = run.viewer.account
        self._inviter_name = display_name(account)
        self._inviter_language = account.language if account else "en"
        # Letters and digits only: no escaping in text or HTML changes it.
        self._stand_in = "token" + secrets.token_hex(16)
        self._shapes: dict[tuple[str, str, str], Message] = {}
        self._healthspace_id = str(run.healthspace.id)

    def add(self, line: RosterLine, note: str, known: _Known) -> uuid.UUID:
        account = known.accounts.get(line.email)
        first_name = line.first_name or (account["first_name"] if account else "")
        last_name = line.last_name or (account["last_name"] if account else "")
        invitation, token = self._new(line.email, first_name, last_name, note)
        # Someone without an account gets the inviter's language, as with inviteClient.
        language = account["language"] if account else self._inviter_language
        mail = self._mail(invitation, token, language)
        self.made.append(invitation)  # only now: the two lists stay in step
        self.mails.append(mail)
        return invitation.id

    def _mail(self, invitation: models.Invitation, token: str, language: str) -> Message:
        """invitation_message's mail. It differs between invitations only in the address, the
        language, the name, the note and the token, so it is composed once per language, name
        and note with a stand-in token that each invitation's own token then replaces."""
        key = (language, invitation.first_name, invitation.note)
        shape = self._shapes.get(key)
        if shape is None:
            shape = invitation_message(
                invitation,
                self._stand_in,
                healthspace=self.run.healthspace,
                inviter_name=self._inviter_name,
                language=language,
                settings=self.run.settings,
            )
            if self._stand_in not in shape.text or self._stand_in not in shape.html:
                raise RuntimeError("the invitation mail does not carry its link")
            self._shapes[key] = shape
        return Message(
            template=shape.template,
            to=invitation.email,
            subject=shape.subject.replace(self._stand_in, token),
            text=shape.text.replace(self._stand_in, token),
            html=shape.html.replace(self._stand_in, token),
        )

    def _new(
        self, email: str, first_name: str, last_name: str, note: str
    ) -> tuple[models.Invitation, str]:
        if self._first is None:
            self._first, token = new_invitation(
                healthspace=self.run.healthspace,
                kind=models.MemberKind.CLIENT,
                email=email,
                first_name=first_name,
                last_name=last_name,
                note=note,
                connect_to=self.run.clinicians,
                invited_by=self.run.inviter,
                batch=self.batch,
                now=self.now,
            )
            # Set now, not at insert time, so that every copy and the payload carry it.
            self._first.created_at = self.now
            return self._first, token
        token = new_token()
        # A copy of the first with this line's values; none of them is a relation, so the
        # model's attribute checks have nothing to check.
        invitation = models.Invitation.__new__(models.Invitation)
        invitation.__dict__.update(
            self._first.__dict__,
            id=uuid.uuid4(),
            email=email,
            first_name=first_name,
            last_name=last_name,
            note=note,
            token_hash=hash_token(token),
            pending_key=pending_key(self._healthspace_id, email),
        )
        return invitation, token

    async def write(self, connection: BaseDBAsyncClient) -> None:
        """One INSERT per table (COPY on PostgreSQL): invitations, mails, audit events."""
        first = self._first
        if first is None:
            return
        invitations = _Table(connection, first, self.PER_LINE)
        await invitations.insert(
            invitations.convert(
                [getattr(row, column) for column in self.PER_LINE] for row in self.made
            )
        )
        # The outbox's own row for a mail supplies the columns all mails share.
        mails = _Table(connection, outbox.outbox_row(self.mails[0], self.now), self.MAIL_PER_LINE)
        await mails.insert(
            mails.convert(
                (uuid.uuid4(), mail.template, mail.to, mail.subject, mail.text, mail.html)
                for mail in self.mails
            )
        )
        events = _Table(
            connection, self.run.event("INVITATION_CREATED", first.id, {}), self.EVENT_PER_LINE
        )
        await events.insert(
            events.convert(
                (uuid.uuid4(), row.id, {"kind": row.kind, "email": row.email}) for row in self.made
            )
        )


class _Table:
    """Writes rows of one model without a model object per row: every column holds the
    template's value, converted for the database once, except the `varying` columns, whose
    values each row brings (in that order). PostgreSQL gets COPY, SQLite Tortoise's own INSERT
    statement through executemany."""

    def __init__(
        self, connection: BaseDBAsyncClient, template: Model, varying: Sequence[str]
    ) -> None:
        model = type(template)
        self.connection = connection
        self.model = model
        self.postgres = connection.capabilities.dialect == "postgres"
        self.executor = connection.executor_class(model=model, db=connection)
        names, self.columns = self.executor._prepare_insert_columns()
        fields = model._meta.fields_map
        self.shared = [
            fields[name].to_db_value(getattr(template, name), template) for name in names
        ]
        self.slots = [
            (names.index(name), _converter(fields[name], template, self.postgres))
            for name in varying
        ]

    def convert(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        values: list[list[Any]] = []
        for row in rows:
            converted = self.shared.copy()
            for (slot, convert), value in zip(self.slots, row, strict=True):
                converted[slot] = convert(value)
            values.append(converted)
        return values

    async def insert(self, values: list[list[Any]]) -> None:
        if not values:
            return
        if self.postgres:
            await _copy(self.connection, self.model._meta.db_table, self.columns, values)
        else:
            await self.connection.execute_many(self.executor.insert_query, values)


def _converter(column: Field[Any], template: Model, postgres: bool) -> Callable[[Any], Any]:
    """A value's database form. Tortoise's to_db_value, with fast paths for the common
    columns: a bulk run converts tens of thousands of values."""
    if isinstance(column, UUIDField):
        # COPY takes uuid.UUID as it is; SQLite stores the text.
        return (lambda value: value) if postgres else (lambda value: value and str(value))
    # Plain text columns whose only validator is the length check Tortoise adds itself.
    if type(column) in (CharField, TextField) and not column.validators[1:]:
        limit = getattr(column, "max_length", None)

        def text(value: Any) -> Any:
            if value is None or (isinstance(value, str) and (limit is None or len(value) <= limit)):
                return value
            return column.to_db_value(value, template)  # raises the field's own error

        return text
    return lambda value: column.to_db_value(value, template)


async def _copy(
    connection: BaseDBAsyncClient, table: str, columns: list[str], values: list[list[Any]]
) -> None:
    import asyncpg

    # Logged like Tortoise's own statements, so statement counters see it too.
    _statements.debug("%s: %d rows", f"COPY {table} ({', '.join(columns)}) FROM STDIN", len(values))
    async with connection.acquire_connection() as raw:
        try:
            await raw.copy_records_to_table(table, columns=columns, records=values)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(error) from error


async def _expire_overdue(known: _Known, now: datetime) -> None:
    """Pending invitations of people on the roster that are past their expiry but not yet
    marked by the sweep: EXPIRED now, so that they make way for new ones."""
    if known.overdue:
        await models.Invitation.filter(
            id__in=list(known.overdue.values()), status=models.InvitationStatus.PENDING
        ).update(
            status=models.InvitationStatus.EXPIRED,
            pending_key=None,
            next_reminder_at=None,
            decided_at=now,
        )


def _quiet(phase: str, done: int, total: int) -> None:
    pass


async def _look_up(
    healthspace_id: uuid.UUID, lines: list[RosterLine], clinician_ids: set[uuid.UUID]
) -> _Known:
    emails = [line.email for line in lines if line.usable]
    if not emails:
        return _Known({}, {}, {}, {}, set())
    accounts = {
        row["email"]: row
        for row in await models.Account.filter(email__in=emails).values(
            "id", "email", "language", "first_name", "last_name"
        )
    }
    members = (
        {
            row["account_id"]: row
            for row in await models.Member.filter(
                healthspace_id=healthspace_id,
                account_id__in=[account["id"] for account in accounts.values()],
                status=models.MemberStatus.ACTIVE,
            ).values("id", "account_id", "kind")
        }
        if accounts
        else {}
    )
    pending = {
        row["email"]: row
        for row in await models.Invitation.filter(
            healthspace_id=healthspace_id,
            email__in=emails,
            status=models.InvitationStatus.PENDING,
        ).values("id", "email", "last_sent_at", "expires_at")
    }
    clients = [row["id"] for row in members.values() if row["kind"] == models.MemberKind.CLIENT]
    connected = (
        set(
            await models.Connection.filter(
                current_key__not_isnull=True,
                client_id__in=clients,
                staff_id__in=list(clinician_ids),
            ).values_list("client_id", flat=True)
        )
        if clients and clinician_ids
        else set()
    )
    # A pending invitation past its expiry is EXPIRED already and blocks nobody.
    now = datetime.now(UTC)
    overdue = {
        email: row["id"] for email, row in pending.items() if _aware(row["expires_at"]) <= now
    }
    live = {email: row for email, row in pending.items() if email not in overdue}
    return _Known(accounts, members, live, overdue, connected)


def _outcome(line: RosterLine, known: _Known, options: RosterOptions) -> tuple[RosterOutcome, str]:
    if line.problem is not None:
        return RosterOutcome.INVALID, line.problem
    if line.duplicate_of is not None:
        return RosterOutcome.DUPLICATE, f"Same person as line {line.duplicate_of}."
    account = known.accounts.get(line.email)
    member = known.members.get(account["id"]) if account else None
    if member is not None and member["id"] in known.connected:
        return RosterOutcome.ALREADY_CONNECTED, "Already a client here and connected."
    if member is not None:
        if member["kind"] == models.MemberKind.STAFF:
            return RosterOutcome.ALREADY_MEMBER, "Already a staff member of this Healthspace."
        return RosterOutcome.ALREADY_MEMBER, "Already a client of this Healthspace."
    pending = known.pending.get(line.email)
    if pending is not None:
        sent_on = _aware(pending["last_sent_at"]).date().isoformat()
        return RosterOutcome.ALREADY_INVITED, f"Already invited on {sent_on}; not sent again."
    if options.require_existing_account and account is None:
        return (
            RosterOutcome.NOT_ON_PLATFORM,
            "Has no Carespace account yet: ask them to sign up, then invite them again.",
        )
    return RosterOutcome.SENT, "Invitation sent."


def summary(run: RosterRun, *, dry_run: bool, listed: int = 20) -> list[str]:
    """The outcome of a run in plain text, for the command line."""
    counts = run.counts
    lines = [
        "Dry run: nothing was written or sent."
        if run.batch is None
        else f"Roster batch {run.batch.id}"
    ]
    for outcome in RosterOutcome:
        label = outcome.value.replace("_", " ").lower()
        if dry_run and outcome == RosterOutcome.SENT:
            label = "ready to send"
        lines.append(f"  {label:<20} {counts.get(outcome.value, 0):>7,}")
    lines.append(f"  {'total':<20} {len(run.rows):>7,}")
    attention = [row for row in run.rows if row.outcome in _LOOK_AT]
    if attention:
        lines.append("Lines to look at:")
        lines.extend(
            f"  line {row.line}: {row.outcome.value} {row.email!r}: {row.message}"
            for row in attention[:listed]
        )
        if len(attention) > listed:
            lines.append(f"  ... and {len(attention) - listed:,} more (rosterBatch lists them all)")
    if run.not_on_platform:
        lines.append("Not on Carespace yet (ask them to sign up first, then invite them again):")
        lines.extend(f"  {email}" for email in run.not_on_platform)
    if run.batch is not None and run.ready:
        lines.append(
            f"Invitation mails in the outbox: {run.ready:,}. The server's mail relay sends them "
            "(if no server runs now, at its next start)."
        )
    return lines


_LOOK_AT = (RosterOutcome.INVALID, RosterOutcome.DUPLICATE, RosterOutcome.ERROR)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def payload_of(run: RosterRun) -> InviteRosterPayload:
    return InviteRosterPayload(
        batch=RosterBatch.from_row(run.batch, run.rows) if run.batch else None,
        ready=run.ready,
        counts=RosterCounts.from_mapping(run.counts),
        all_rows=run.rows,
    )


@strawberry.type
class Query:
    @strawberry.field(
        extensions=[
            guard(
                HasPermission(Permission.INVITE_CLIENTS, scope=healthspace_of(models.RosterBatch))
            )
        ],
        description="A roster invitation run and its outcome per line.",
    )
    async def roster_batch(self, info: Info, id: strawberry.ID) -> RosterBatch | None:
        row = await models.RosterBatch.get_or_none(id=parse_id(id))
        return RosterBatch.from_row(row) if row else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        extensions=[guard(HasPermission(Permission.INVITE_CLIENTS, scope=healthspace_argument()))],
        description="Invite a pasted roster of up to 10,000 people as clients, in one "
        "all-or-nothing run that is safe to repeat; dryRun works out every outcome without "
        "writing or sending anything.",
    )
    @returns_errors(InviteRosterPayload)
    async def invite_roster(self, info: Info, input: InviteRosterInput) -> InviteRosterPayload:
        viewer = info.context.viewer
        inviter = await viewer.member_of(parse_id(input.healthspace_id))  # type: ignore[arg-type]
        assert inviter is not None  # the guard let only members with INVITE_CLIENTS through
        run = await invite_roster(
            viewer,
            inviter,
            input.roster,
            RosterOptions(
                default_note=input.default_note,
                connect_to=input.connect_to,
                dry_run=input.dry_run,
                require_existing_account=input.require_existing_account,
            ),
            info.context.settings,
        )
        return payload_of(run)
