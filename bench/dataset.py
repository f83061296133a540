"""The read benchmark's data set, written with Tortoise bulk inserts (never through resolvers).

At scale 1: one Healthspace with 2,000 clients, 50 clinicians connected to 45 clients each
(about 100 clients are connected to nobody), 10,000 pending client invitations (some expiring
within three days), 20 pending join requests, an administrator and an assistant, and two small
Healthspaces the first clinician also belongs to (so `viewer.memberships` lists three). Scale 10
is ten times each count in the one Healthspace. Used by bench/reads.py and by the EXPLAIN test
(tests/test_read_plans.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import models
from permissions.roles import Role
from permissions.tokens import hash_token, new_token

CLIENTS = 2_000
CLINICIANS = 50
CLIENTS_PER_CLINICIAN = 45
# Clinician i's clients start at client i * STRIDE, so about 100 clients at the end of the list
# are connected to nobody (clientsWithoutConnection is a real count, not zero).
STRIDE = 38
INVITATIONS = 10_000
JOIN_REQUESTS = 20
BATCH = 1_000

SURNAMES = (
    "Jansen de-Vries van-Dijk Bakker Visser Smit Meijer de-Boer Mulder de-Groot Bos Vos "
    "Peters Hendriks van-Leeuwen Dekker Brouwer de-Wit Dijkstra Smits"
).split()
FIRST_NAMES = "Anna Bram Carla Daan Eva Finn Greet Hugo Iris Joost Kim Lars Mila Noor Otto".split()


@dataclass(frozen=True)
class DataSet:
    """What the benchmark needs to ask questions: the Healthspace and one bearer token per
    viewer (each session lives for a day)."""

    healthspace_id: uuid.UUID
    administrator_token: str
    assistant_token: str
    clinician_token: str
    clients: int
    connections: int
    invitations: int


def _account(prefix: str, number: int, born: date | None = None) -> models.Account:
    return models.Account(
        id=uuid.uuid4(),
        email=f"{prefix}{number:06d}@example.org",
        first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
        last_name=f"{SURNAMES[number % len(SURNAMES)]}-{number:06d}",
        date_of_birth=born,
        email_verified=True,
    )


async def _session(account: models.Account) -> str:
    token = new_token()
    await models.Session.create(
        account_id=account.id,
        token_hash=hash_token(token),
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return token


async def populate(scale: float = 1) -> DataSet:
    """Write the data set into the open (migrated, empty) database; returns its tokens.

    `scale` multiplies the clients, clinicians, invitations and join requests (1 = the issue's
    data set, 10 = the larger one); clients per clinician stay 45."""
    clients = int(CLIENTS * scale)
    clinicians = max(1, int(CLINICIANS * scale))
    now = datetime.now(UTC)
    healthspace = await models.Healthspace.create(name="Benchmark Practice")
    others = [await models.Healthspace.create(name=f"Partner Practice {i}") for i in (1, 2)]

    staff_accounts = [_account("admin", 0), _account("assistant", 0)]
    staff_accounts += [_account("clinician", i, date(1970, 1, 1)) for i in range(clinicians)]
    client_accounts = [
        _account("client", i, date(1940 + i % 60, 1 + i % 12, 1 + i % 28)) for i in range(clients)
    ]
    asking = [_account("asking", i) for i in range(int(JOIN_REQUESTS * scale))]
    await models.Account.bulk_create(staff_accounts + client_accounts + asking, batch_size=BATCH)

    def member(account: models.Account, kind: models.MemberKind, **extra: object) -> models.Member:
        return models.Member(
            id=uuid.uuid4(),
            account_id=account.id,
            healthspace_id=healthspace.id,
            kind=kind,
            **extra,
        )

    staff = [
        member(staff_accounts[0], models.MemberKind.STAFF, roles=[Role.ADMINISTRATOR.value]),
        member(staff_accounts[1], models.MemberKind.STAFF, roles=[Role.ASSISTANT.value]),
    ] + [
        member(account, models.MemberKind.STAFF, roles=[Role.CLINICIAN.value])
        for account in staff_accounts[2:]
    ]
    client_members = [
        member(account, models.MemberKind.CLIENT, identification_number=f"ID-{i:07d}")
        for i, account in enumerate(client_accounts)
    ]
    elsewhere = [
        models.Member(
            id=uuid.uuid4(),
            account_id=staff_accounts[2].id,
            healthspace_id=other.id,
            kind=models.MemberKind.STAFF,
            roles=[Role.CLINICIAN.value],
        )
        for other in others
    ]
    await models.Member.bulk_create(staff + client_members + elsewhere, batch_size=BATCH)

    connections: list[models.Connection] = []
    for i, clinician in enumerate(staff[2:]):
        for k in range(CLIENTS_PER_CLINICIAN):
            client = client_members[(i * STRIDE + k) % clients]
            connections.append(
                models.Connection(
                    id=uuid.uuid4(),
                    healthspace_id=healthspace.id,
                    client_id=client.id,
                    staff_id=clinician.id,
                    created_by_id=staff[1].id,
                    # Distinct times: connections are listed by creation time.
                    created_at=now - timedelta(days=400, seconds=-len(connections)),
                    current_key=f"{client.id}:{clinician.id}",
                )
            )
    await models.Connection.bulk_create(connections, batch_size=BATCH)

    invitation_count = int(INVITATIONS * scale)
    invitations = [
        models.Invitation(
            id=uuid.uuid4(),
            healthspace_id=healthspace.id,
            kind=models.MemberKind.CLIENT.value,
            email=f"invitee{i:07d}@example.org",
            first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
            last_name=f"Invitee-{i:07d}",
            token_hash=uuid.uuid4().hex * 2,
            invited_by_id=staff[1].id,
            last_sent_at=now - timedelta(days=1),
            next_reminder_at=now + timedelta(days=2 + i % 5),
            # One in ten expires within three days: "expiring invitations".
            expires_at=now + timedelta(days=1 + i % 30, minutes=i % 60),
            pending_key=f"{healthspace.id}:invitee{i:07d}@example.org",
        )
        for i in range(invitation_count)
    ]
    await models.Invitation.bulk_create(invitations, batch_size=BATCH)

    await models.JoinRequest.bulk_create(
        [
            models.JoinRequest(
                id=uuid.uuid4(),
                healthspace_id=healthspace.id,
                account_id=account.id,
                message="May I join?",
                pending_key=f"{healthspace.id}:{account.id}",
            )
            for account in asking
        ],
        batch_size=BATCH,
    )
    return DataSet(
        healthspace_id=healthspace.id,
        administrator_token=await _session(staff_accounts[0]),
        assistant_token=await _session(staff_accounts[1]),
        clinician_token=await _session(staff_accounts[2]),
        clients=clients,
        connections=len(connections),
        invitations=invitation_count,
    )
