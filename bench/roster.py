"""The roster benchmark: inviteRoster with 10,000 lines, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.roster [--lines 10000] [--database sqlite|postgres|both]

For each database (a fresh one, created and dropped here, each in its own process) it prints
the mutation's wall time through the real GraphQL app (httpx over ASGI, as the tests do; the
selection asks for every row), its SQL statement count (the `tortoise.db_client` DEBUG log, as
tests/conftest.py counts, plus the COPY statements models/bulk.py logs there), the time
until the last invitation mail reached a local aiosmtpd server (in a process of its own, fed by
mailer.relay.Relay over SMTP), duplicates at that server, and baselines: the same rows inserted
with raw SQL in the same run (executemany; on PostgreSQL also COPY). The roster has one line in
ten with its own note. Exit status 0 when every target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

import models
from bench.harness import SmtpServer, StatementCounter, fresh_database
from domain.members import add_member
from mailer.relay import MailSettings, Relay, backend_for
from permissions.roles import Role
from permissions.tokens import hash_token, new_token
from schema.settings import Settings
from server import Environment, create_app

MUTATION_SECONDS = 2.0
MUTATION_STATEMENTS = 50
MAIL_SECONDS = 20.0
MAIL_PATIENCE = 120.0  # stop waiting for mail after this long

INVITE_ROSTER = """
mutation InviteRoster($input: InviteRosterInput!) {
  inviteRoster(input: $input) {
    batch { id }
    ready
    counts { total sent notOnPlatform alreadyConnected alreadyMember alreadyInvited duplicate
             invalid error }
    rows { line email note outcome message }
    notOnPlatform
    errors { field code message }
  }
}
"""


# --- one database ------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    lines: int
    mutation_seconds: float = 0.0
    statements: int = 0
    sent: int = 0
    mail_seconds: float | None = None
    mails_received: int = 0
    duplicates: int = 0
    baseline_seconds: float = 0.0
    copy_baseline_seconds: float | None = None
    baseline_rows: int = 0
    notes: list[str] = field(default_factory=list)

    def checks(self) -> list[tuple[str, str, bool]]:
        mail = "not all delivered" if self.mail_seconds is None else f"{self.mail_seconds:.2f} s"
        return [
            (
                f"mutation under {MUTATION_SECONDS:g} s",
                f"{self.mutation_seconds:.3f} s",
                self.mutation_seconds < MUTATION_SECONDS,
            ),
            (
                f"under {MUTATION_STATEMENTS} SQL statements",
                str(self.statements),
                self.statements < MUTATION_STATEMENTS,
            ),
            (
                f"all {self.lines:,} mails within {MAIL_SECONDS:g} s",
                mail,
                self.mail_seconds is not None and self.mail_seconds < MAIL_SECONDS,
            ),
            ("0 duplicate mails", str(self.duplicates), self.duplicates == 0),
        ]


async def administrator_of(healthspace: models.Healthspace) -> str:
    account = await models.Account.create(
        email="bench.admin@example.org", first_name="Bea", last_name="Bench", email_verified=True
    )
    await add_member(account, healthspace.id, models.MemberKind.STAFF, roles=[Role.ADMINISTRATOR])
    token = new_token()
    await models.Session.create(
        account=account,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    return token


def roster_of(lines: int) -> str:
    """Addresses, one line in ten with its own note (the others get the default note)."""
    people = (
        f"patient{i:05d}@example.org, Welcome to the practice, patient {i}"
        if i % 10 == 0
        else f"patient{i:05d}@example.org"
        for i in range(lines)
    )
    return "# benchmark roster\n" + "\n".join(people) + "\n"


async def run_one(kind: str, lines: int, smtp: SmtpServer) -> Result:
    result = Result(database=kind, lines=lines)
    async with fresh_database(kind) as url:
        healthspace = await models.Healthspace.create(name="Benchmark Practice")
        token = await administrator_of(healthspace)
        app = create_app(Environment(database_url=url, settings=Settings()), lifespan_tasks=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as http:
            headers = {"Authorization": f"Bearer {token}"}

            async def invite(roster: str, dry_run: bool) -> tuple[dict[str, Any], float]:
                variables = {
                    "input": {
                        "healthspaceId": str(healthspace.id),
                        "roster": roster,
                        "defaultNote": "We look forward to seeing you.",
                        "dryRun": dry_run,
                    }
                }
                started = time.perf_counter()
                response = await http.post(
                    "/graphql",
                    json={"query": INVITE_ROSTER, "variables": variables},
                    headers=headers,
                )
                body = response.json()
                elapsed = time.perf_counter() - started
                if body.get("errors") or body["data"]["inviteRoster"]["errors"]:
                    raise RuntimeError(f"inviteRoster failed: {body}")
                return body["data"]["inviteRoster"], elapsed

            # A running server has its schema, caches, code paths and connections warm already:
            # one real single-line run, whose mail is then dropped so the count stays exact.
            await invite("warm.up@example.org", dry_run=False)
            await models.OutboxMessage.all().delete()
            roster = roster_of(lines)
            with StatementCounter() as counter:
                payload, result.mutation_seconds = await invite(roster, dry_run=False)
            result.statements = counter.count
            result.sent = payload["ready"]
            committed_at = time.time()

        await deliver(result, smtp, committed_at)
        await baseline(result)
    return result


async def deliver(result: Result, smtp: SmtpServer, committed_at: float) -> None:
    smtp.ask("clear")
    settings = MailSettings(backend="smtp", host="127.0.0.1", port=smtp.port, tls="none")
    relay = Relay(backend_for(settings))
    deadline = time.monotonic() + MAIL_PATIENCE
    try:
        while time.monotonic() < deadline:
            await relay.deliver_due()
            stats = smtp.ask()
            if stats["received"] >= result.sent:
                break
            if not await models.OutboxMessage.filter(status=models.OutboxStatus.PENDING).exists():
                result.notes.append("outbox has no pending mail, yet some never arrived")
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.backend.close()
    await asyncio.sleep(0.2)  # let any straggler (a duplicate) arrive before counting
    stats = smtp.ask()
    result.mails_received = stats["received"]
    result.duplicates = stats["duplicates"]
    if stats["received"] >= result.sent and stats["last_arrival"]:
        result.mail_seconds = stats["last_arrival"] - committed_at
    failed = await models.OutboxMessage.filter(status=models.OutboxStatus.FAILED).count()
    if failed:
        result.notes.append(f"{failed} mails FAILED in the outbox")


async def baseline(result: Result) -> None:
    """The rows the mutation wrote, inserted again with raw SQL in one transaction, timed:
    executemany per table; on PostgreSQL also COPY per table (what the mutation uses there).
    The rows are read and prepared before the clock starts."""
    connection = get_connection("default")
    postgres = connection.capabilities.dialect == "postgres"
    tables: list[tuple[str, list[dict[str, Any]]]] = []
    for table, where in (
        ("roster_batch", ""),
        ("invitation", " WHERE batch_id IS NOT NULL"),
        ("outbox_message", " WHERE template = 'invitation'"),
        ("audit_event", " WHERE action IN ('INVITATION_CREATED', 'ROSTER_SENT')"),
    ):
        tables.append((table, await connection.execute_query_dict(f"SELECT * FROM {table}{where}")))
    result.baseline_rows = sum(len(rows) for _, rows in tables)

    prepared = _copies(tables, postgres)
    started = time.perf_counter()
    async with in_transaction() as transaction:
        for table, columns, values in prepared:
            marks = (
                [f"${i}" for i in range(1, len(columns) + 1)] if postgres else ["?"] * len(columns)
            )
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
            await transaction.execute_many(sql, values)
    result.baseline_seconds = time.perf_counter() - started

    if postgres:
        prepared = _copies(tables, postgres)
        started = time.perf_counter()
        async with in_transaction() as transaction, transaction.acquire_connection() as raw:
            for table, columns, values in prepared:
                await raw.copy_records_to_table(table, columns=columns, records=values)
        result.copy_baseline_seconds = time.perf_counter() - started


def _copies(
    tables: list[tuple[str, list[dict[str, Any]]]], postgres: bool
) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The rows again with new ids (and tokens and no pending keys), so they insert cleanly."""
    new_id = uuid.uuid4 if postgres else lambda: str(uuid.uuid4())
    batches = {str(row["id"]): new_id() for row in tables[0][1]}
    prepared = []
    for table, rows in tables:
        if not rows:
            continue
        columns = list(rows[0])
        values = []
        for row in rows:
            copy = dict(row)
            copy["id"] = batches[str(row["id"])] if table == "roster_batch" else new_id()
            if table == "invitation":
                copy["token_hash"] = uuid.uuid4().hex * 2
                copy["pending_key"] = None
                copy["batch_id"] = batches[str(row["batch_id"])]
            values.append([copy[column] for column in columns])
        prepared.append((table, columns, values))
    return prepared


# --- the report --------------------------------------------------------------------------------


def report(result: Result) -> bool:
    ratio = result.mutation_seconds / result.baseline_seconds if result.baseline_seconds else 0
    print(f"\n== {result.database}: inviteRoster with {result.lines:,} lines ==")
    print(f"  mutation wall time      {result.mutation_seconds:8.3f} s  ({result.sent:,} sent)")
    print(f"  SQL statements          {result.statements:8d}")
    mail = f"{result.mail_seconds:8.2f} s" if result.mail_seconds is not None else "     n/a"
    print(
        f"  last mail at the server {mail}  ({result.mails_received:,} received, "
        f"{result.duplicates} duplicates)"
    )
    if result.mail_seconds:
        print(f"  mail throughput         {result.mails_received / result.mail_seconds:8.0f} /s")
    print(
        f"  raw SQL baseline        {result.baseline_seconds:8.3f} s  "
        f"({result.baseline_rows:,} rows, executemany)"
    )
    print(f"  mutation / baseline     {ratio:8.1f} x")
    if result.copy_baseline_seconds:
        print(
            f"  raw COPY baseline       {result.copy_baseline_seconds:8.3f} s  "
            f"(mutation / COPY {result.mutation_seconds / result.copy_baseline_seconds:.1f} x; "
            "the mutation writes with COPY on PostgreSQL)"
        )
    for note in result.notes:
        print(f"  note: {note}")
    passed = True
    for target, measured, ok in result.checks():
        print(f"  {'PASS' if ok else 'FAIL'}  {target:<32} {measured}")
        passed &= ok
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.roster", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    if args.database == "both":
        # One process per database: Tortoise keeps per-dialect state in its model classes.
        codes = [
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.roster",
                    "--lines",
                    str(args.lines),
                    "--database",
                    kind,
                ],
                check=False,
            ).returncode
            for kind in ("sqlite", "postgres")
        ]
        return max(codes)
    smtp = SmtpServer.start()  # before any event loop exists, so the fork is clean
    try:
        passed = report(asyncio.run(run_one(args.database, args.lines, smtp)))
    finally:
        smtp.stop()
    print("All targets met." if passed else "Some targets were missed.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
