"""What the command line does beyond serving: demo data, new Healthspaces, reminders, rosters."""

from __future__ import annotations

import secrets
import string
import sys
from pathlib import Path
from typing import TextIO

from domain import provisioning
from domain.errors import DomainError
from domain.invitations import accept_link
from domain.provisioning import DEMO_HEALTHSPACE, DEMO_PEOPLE
from domain.roster import RosterOutcome, RosterRun
from permissions.passwords import hash_password, password_problem
from permissions.roles import Permission
from schema.settings import Settings


def generated_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(14))
        if password_problem(password) is None and any(c.isdigit() for c in password):
            return password


async def seed_demo(settings: Settings, password: str | None) -> int:
    """Create (or refresh) the demo Healthspace and its five sign-ins. Safe to run again: demo
    accounts that exist keep their password unless `password` (CARESPACE_DEMO_PASSWORD) is given,
    so a second `make serve` does not change the password of a running one. Returns the exit
    code (2: the given password is too weak)."""
    if password is not None and password_problem(password):
        print(f"CARESPACE_DEMO_PASSWORD is too weak: {password_problem(password)}")
        return 2
    chosen = password or generated_password()
    seeded = await provisioning.seed_demo(
        await hash_password(chosen), reset_passwords=password is not None
    )
    healthspace, created = seeded.healthspace, seeded.password_set
    print(f"Demo Healthspace: {DEMO_HEALTHSPACE} ({healthspace.id})")
    print("Demo sign-ins: " + ", ".join(email for email, *_ in DEMO_PEOPLE))
    if not created:
        print("Demo password: unchanged (set CARESPACE_DEMO_PASSWORD to choose a new one)")
    elif len(created) < len(DEMO_PEOPLE) and not password:
        print(
            f"Demo password: {chosen}  (for the new sign-ins {', '.join(created)}; the others keep theirs)"
        )
    elif password:
        print(f"Demo password: {chosen}")
    else:
        print(f"Demo password: {chosen}  (generated; set CARESPACE_DEMO_PASSWORD to choose one)")
    return 0


async def create_healthspace(settings: Settings, name: str, administrator_email: str) -> int:
    """Create a Healthspace and invite the given person as its first administrator: a staff
    invitation with the ADMINISTRATOR role, mailed and printed. Accepting it creates their account
    when they have none, or adds the membership to the one they have."""
    try:
        made = await provisioning.create_healthspace(name, administrator_email, settings)
    except DomainError as error:
        print(error.problems[0].message)
        return 2
    print(f"Created Healthspace {made.healthspace.name!r} ({made.healthspace.id}).")
    print(f"{made.email} is invited as its administrator. Accept link (also mailed):")
    print(f"  {accept_link(settings, made.token)}")
    new_account = ', password: "choose-a-password", firstName: "First", lastName: "Last"'
    password = "" if made.has_account else new_account
    print(
        'In GraphiQL: mutation { acceptInvitation(input: {token: "'
        + made.token
        + '"'
        + password
        + "}) { token member { id } errors { code message } } }"
    )
    if made.has_account:
        print("(That address has an account: sign in first, or add its password to the input.)")
    return 0


async def send_reminders(settings: Settings) -> int:
    """One invitation sweep, for cron: due reminders go to the outbox (the server's mail relay
    delivers them) and overdue invitations expire."""
    from domain.reminders import sweep

    result = await sweep(settings)
    print(
        f"Invitation reminders queued: {result.reminded}; invitations expired: {result.expired}"
        + (f"; closed for members: {result.closed}." if result.closed else ".")
    )
    return 0


async def invite_roster_file(
    settings: Settings,
    *,
    healthspace_id: str,
    path: str,
    inviter_email: str | None = None,
    default_note: str = "",
    dry_run: bool = False,
    require_existing_account: bool = False,
) -> int:
    """`invite-roster HEALTHSPACE FILE`: inviteRoster from a terminal, with a progress bar on
    stderr and the outcome summary on stdout. HEALTHSPACE is its id or its exact name; FILE
    may be `-` for standard input. Without --inviter, the first active administrator invites."""
    from domain.errors import DomainError
    from domain.roster import RosterOptions, invite_roster
    from permissions.scopes import parse_id
    from permissions.viewer import Viewer, member_permissions

    try:
        roster = _read_roster(path)
    except OSError as error:
        print(f"Cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    healthspaces = await provisioning.healthspaces_named(parse_id(healthspace_id), healthspace_id)
    if len(healthspaces) != 1:
        problem = "No Healthspace" if not healthspaces else "More than one Healthspace"
        print(f"{problem} is called {healthspace_id!r}; give its id.", file=sys.stderr)
        return 2
    healthspace = healthspaces[0]
    inviter = await provisioning.roster_inviter(healthspace, inviter_email)
    if inviter is None:
        who = inviter_email or "an active administrator"
        print(f"{who} is not an active staff member of {healthspace.name}.", file=sys.stderr)
        return 2
    if Permission.INVITE_CLIENTS not in member_permissions(inviter):
        print(f"{inviter.account.email} may not invite clients here.", file=sys.stderr)
        return 2
    bar = ProgressBar(sys.stderr)
    try:
        run = await invite_roster(
            Viewer(account=inviter.account),
            inviter,
            roster,
            RosterOptions(
                default_note=default_note,
                dry_run=dry_run,
                require_existing_account=require_existing_account,
            ),
            settings,
            progress=bar.show,
        )
    except DomainError as rejected:
        bar.finish()
        for refused in rejected.problems:
            print(f"Refused: {refused.message} ({refused.code.value})", file=sys.stderr)
        return 1
    bar.finish()
    print(f"{healthspace.name}: roster invited by {inviter.account.email}")
    print("\n".join(summary(run, dry_run=dry_run)))
    return 0


def summary(run: RosterRun, *, dry_run: bool, listed: int = 20) -> list[str]:
    """The outcome of a roster run in plain text, for the command line."""
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


def _read_roster(path: str) -> str:
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # a spreadsheet saved on Windows
        return data.decode("cp1252", errors="replace")


class ProgressBar:
    """`preparing [##########..........]  5,000/10,000` on one line of a terminal; one line
    per finished phase when the output is not a terminal."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.drawn = False

    def show(self, phase: str, done: int, total: int) -> None:
        filled = self.WIDTH * done // total if total else self.WIDTH
        line = f"{phase:<9} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:>6,}/{total:,}"
        if self.tty:
            self._write(f"\r{line}")
            self.drawn = True
        elif done == total:
            self._write(line + "\n")

    def finish(self) -> None:
        if self.drawn:
            self._write("\n")
            self.drawn = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
