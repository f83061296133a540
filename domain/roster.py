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
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from domain.errors import DomainError, ErrorCode
from domain.invitation_status import leave_pending_many
from domain.invitations import Links, clinicians_to_connect
from domain.roster_invitations import RosterInvitations
from domain.roster_lines import MAX_ROSTER_LINES, RosterLine, RosterTooLong, parse_roster
from domain.validation import MAX_NOTE_LENGTH, require_text, storable_text
from models.columns import column_values
from permissions.audit import audit_event, record_events
from permissions.roles import is_clinician
from permissions.viewer import Viewer

log = logging.getLogger("carespace.roster")

# A run that collides with a concurrent invitation of the same person starts over (reading
# that invitation as ALREADY_INVITED) this many times before giving up.
ATTEMPTS = 3
PROGRESS_STEP = 500

# (phase, done, total), for the command line's progress bar.
Progress = Callable[[str, int, int], None]


class RosterOutcome(StrEnum):
    """What inviting one person of a roster came to (GraphQL enum `RosterOutcome`)."""

    SENT = "SENT"
    NOT_ON_PLATFORM = "NOT_ON_PLATFORM"
    ALREADY_CONNECTED = "ALREADY_CONNECTED"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_INVITED = "ALREADY_INVITED"
    DUPLICATE = "DUPLICATE"
    INVALID = "INVALID"
    ERROR = "ERROR"


@dataclass(frozen=True)
class RosterEntry:
    """One person of the roster and what became of them (kept in models.RosterBatch.rows)."""

    line: int  # the line number in the pasted roster (several people may share one)
    email: str
    note: str
    outcome: RosterOutcome
    message: str
    invitation_id: uuid.UUID | None = None

    def stored(self) -> dict[str, Any]:
        """This entry as kept in models.RosterBatch.rows."""
        return {
            "line": self.line,
            "email": self.email,
            "note": self.note,
            "outcome": str(self.outcome),
            "message": self.message,
            "invitation": str(self.invitation_id) if self.invitation_id else None,
        }

    @classmethod
    def from_stored(cls, row: dict[str, Any]) -> RosterEntry:
        invitation = row.get("invitation")
        return cls(
            line=row["line"],
            email=row["email"],
            note=row["note"],
            outcome=RosterOutcome(row["outcome"]),
            message=row["message"],
            invitation_id=uuid.UUID(invitation) if invitation else None,
        )


@dataclass(frozen=True)
class RosterOptions:
    default_note: str | None = None
    connect_to: list[str] | None = None  # staff member ids; None: the default
    dry_run: bool = False
    require_existing_account: bool = False


@dataclass
class RosterRun:
    """What a roster run came to: one row per person line, and the stored batch (real runs)."""

    rows: list[RosterEntry]
    batch: models.RosterBatch | None = None
    made: list[models.Invitation] = field(default_factory=list)  # the new invitations

    @property
    def counts(self) -> dict[str, int]:
        return {str(outcome): n for outcome, n in Counter(row.outcome for row in self.rows).items()}

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
    links: Links,
    progress: Progress | None = None,
) -> RosterRun:
    """Invite everyone on `roster` into the inviter's Healthspace as clients: check, then one
    transaction. Raises DomainError for a refused run (ROSTER_TOO_LONG, REQUIRED, TOO_LONG, a
    connectTo problem); a line's problem is that line's outcome."""
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
    clinicians = await clinicians_to_connect(inviter, options.connect_to)
    healthspace = await models.Healthspace.get(id=inviter.healthspace_id)
    run = _Run(viewer, inviter, healthspace, roster, default_note, clinicians, options, links)
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
    links: Links

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
        invitations = RosterInvitations(
            self.viewer, self.inviter, self.healthspace, self.clinicians, self.links, batch, now
        )
        rows: list[RosterEntry] = []
        total = len(lines)
        for done, line in enumerate(lines, start=1):
            rows.append(self._row(line, known, invitations))
            if done % PROGRESS_STEP == 0 or done == total:
                progress("inviting", done, total)
                await asyncio.sleep(0)  # let other requests in during a long roster
        run = RosterRun(rows=rows, batch=batch, made=invitations.made)
        batch.counts = run.counts
        batch.rows = [row.stored() for row in rows]
        progress("saving", 0, total)
        async with in_transaction() as connection:
            # Pending invitations of people on the roster that are past their expiry but not
            # yet marked by the sweep: EXPIRED now, so that they make way for new ones.
            await leave_pending_many(known.overdue.values(), models.InvitationStatus.EXPIRED, now)
            await batch.save(force_create=True, using_db=connection)
            await invitations.write(connection)
            await record_events(
                [
                    *self._expiry_events(known),
                    self.event("ROSTER_SENT", batch.id, {"counts": batch.counts}),
                ],
                connection=connection,
            )
        progress("saving", total, total)
        return run

    def _row(
        self, line: RosterLine, known: _Known, invitations: RosterInvitations | None
    ) -> RosterEntry:
        note = line.note if line.note is not None else self.default_note
        outcome, message = _outcome(line, known, self.options)
        invitation_id = None
        if outcome == RosterOutcome.SENT and invitations is None:
            message = "Will be invited."
        elif outcome == RosterOutcome.SENT and invitations is not None:
            try:
                invitation_id = invitations.add(line, note, known.accounts.get(line.email))
            except Exception:  # one unmailable address must not stop the other 9,999
                log.exception("Could not prepare the invitation on roster line %d", line.number)
                outcome, message = RosterOutcome.ERROR, "Could not prepare this invitation."
        return RosterEntry(
            line=line.number,
            email=line.email,
            note=note,
            outcome=outcome,
            message=message,
            invitation_id=invitation_id,
        )

    def _connected_to(self) -> set[uuid.UUID]:
        """Clinicians whose clients count as ALREADY_CONNECTED: the chosen ones, and the
        inviting clinician even when unticked."""
        chosen = set(self.clinicians)
        if is_clinician(self.inviter):
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
        return audit_event(
            self.viewer,
            action,
            healthspace_id=self.healthspace.id,
            actor=self.inviter,
            subject_id=subject_id,
            details=details,
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
            await column_values(
                models.current_connections(client_id__in=clients, staff_id__in=list(clinician_ids)),
                "client_id",
                uuid.UUID,
            )
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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def roster_batch(batch_id: uuid.UUID | None) -> models.RosterBatch | None:
    """A stored roster run by id (the caller checked the viewer may see its Healthspace's)."""
    return await models.RosterBatch.get_or_none(id=batch_id) if batch_id else None
