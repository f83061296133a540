"""The record-read benchmark: what the access log costs a record page.

    .venv/bin/python -m bench.records [--rounds 15] [--reads 40] [--database sqlite|postgres|both]

For each database (a fresh one, created and dropped here, each in its own process) it builds a
client with 20 assignments, 10 notes and 10 video calls, connected to a clinician, and reads the
record page through the real GraphQL app (httpx over ASGI, as the tests do) as that clinician:
once with the access-log write (as in production), once without it (the section audit swapped
for a no-op in this process only). The two runs alternate round by round, so both see the same
machine load; the per-read median of each is compared. Target: the audit write adds less than
15% to a record read. Exit status 0 when the target is met.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx

import models
from bench.harness import fresh_database
from domain import records as record_rules
from domain.connections import connect
from domain.members import add_member
from permissions.objects import RecordAccess
from permissions.roles import Role
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer
from schema.settings import Settings
from server import Environment, create_app

TARGET_OVERHEAD = 0.15

RECORD_PAGE = """
query Record($clientId: ID!) {
  record(clientId: $clientId) {
    client { firstName lastName dateOfBirth identificationNumber email }
    connectedClinicians { firstName lastName }
    assignments(first: 20) {
      nodes { title status progress dueAt plannedBy { lastName } }
      totalCount
    }
    notes(first: 10) { nodes { body createdAt author { lastName } } totalCount }
    videoCalls(first: 10) { nodes { startedAt durationSeconds staff { lastName } } totalCount }
  }
}
"""


async def a_record() -> tuple[str, str]:
    """A client with a full record and a connected clinician; (client id, clinician token)."""
    healthspace = await models.Healthspace.create(name="Bench practice")
    staff_account = await models.Account.create(
        email="clinician@bench.example", first_name="Clara", last_name="Clinic"
    )
    client_account = await models.Account.create(
        email="client@bench.example", first_name="Chris", last_name="Client"
    )
    staff = await add_member(
        staff_account, healthspace.id, models.MemberKind.STAFF, roles=[Role.CLINICIAN]
    )
    client = await add_member(client_account, healthspace.id, models.MemberKind.CLIENT)
    await connect(None, client, staff, created_by=None)
    now = datetime.now(UTC)
    await models.Assignment.bulk_create(
        [
            models.Assignment(
                healthspace=healthspace,
                client=client,
                title=f"Assignment {n}",
                planned_by=staff,
                due_at=now + timedelta(days=n),
            )
            for n in range(20)
        ]
    )
    await models.Note.bulk_create(
        [
            models.Note(healthspace=healthspace, client=client, author=staff, body=f"Note {n}")
            for n in range(10)
        ]
    )
    await models.VideoCall.bulk_create(
        [
            models.VideoCall(
                healthspace=healthspace,
                client=client,
                staff=staff,
                started_at=now - timedelta(days=n + 1),
                duration_seconds=1800,
            )
            for n in range(10)
        ]
    )
    token = new_token()
    await models.Session.create(
        account=staff_account, token_hash=hash_token(token), expires_at=now + timedelta(days=1)
    )
    return str(client.id), token


async def _no_audit(viewer: Viewer, access: RecordAccess, sections: Sequence[object]) -> None:
    return None


async def timed_reads(
    http: httpx.AsyncClient, client_id: str, token: str, reads: int
) -> list[float]:
    durations = []
    for _ in range(reads):
        started = time.perf_counter()
        response = await http.post(
            "/graphql",
            json={"query": RECORD_PAGE, "variables": {"clientId": client_id}},
            headers={"Authorization": f"Bearer {token}"},
        )
        durations.append(time.perf_counter() - started)
        body = response.json()
        assert not body.get("errors") and body["data"]["record"], body
    return durations


async def run_one(kind: str, rounds: int, reads: int) -> bool:
    async with fresh_database(kind) as url:
        client_id, token = await a_record()
        app = create_app(Environment(database_url=url, settings=Settings()), lifespan_tasks=False)
        transport = httpx.ASGITransport(app=app)
        audited_writes = record_rules.audit_reads
        with_audit: list[float] = []
        without_audit: list[float] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            await timed_reads(http, client_id, token, 5)  # warm up
            for round_number in range(rounds):
                # Alternate which variant goes first, so neither always runs on a warm cache.
                order = [True, False] if round_number % 2 == 0 else [False, True]
                for audited in order:
                    record_rules.audit_reads = audited_writes if audited else _no_audit
                    try:
                        measured = await timed_reads(http, client_id, token, reads)
                    finally:
                        record_rules.audit_reads = audited_writes
                    (with_audit if audited else without_audit).extend(measured)
        lines = await models.AuditEvent.filter(action="RECORD_READ").count()
    median_with = statistics.median(with_audit)
    median_without = statistics.median(without_audit)
    overhead = median_with / median_without - 1
    expected_lines = 4 * (rounds * reads + 5)
    print(f"\n== {kind}: record page read, {rounds} rounds x {reads} reads per variant ==")
    print(f"  with the access log     {median_with * 1000:8.2f} ms  (median)")
    print(f"  without it              {median_without * 1000:8.2f} ms  (median)")
    print(f"  overhead                {overhead * 100:8.1f} %")
    print(f"  access-log lines        {lines:8d}  (expected {expected_lines}: 4 per audited read)")
    passed = overhead < TARGET_OVERHEAD and lines == expected_lines
    print(
        f"  {'PASS' if passed else 'FAIL'}  audit overhead under {TARGET_OVERHEAD:.0%}"
        f"  {overhead * 100:.1f} %"
    )
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.records", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reads", type=int, default=40)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    if args.database == "both":
        # One process per database: Tortoise keeps per-dialect state in its model classes.
        codes = [
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.records",
                    "--rounds",
                    str(args.rounds),
                    "--reads",
                    str(args.reads),
                    "--database",
                    kind,
                ],
                check=False,
            ).returncode
            for kind in ("sqlite", "postgres")
        ]
        return max(codes)
    passed = asyncio.run(run_one(args.database, args.rounds, args.reads))
    print("All targets met." if passed else "Some targets were missed.")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
