"""models/prepared.py: a prepared read returns what awaiting its queryset returns, for every
shape, on SQLite and PostgreSQL; a shape whose values do not reach the SQL as parameters is
read the ordinary way; a read inside a transaction sees the transaction's rows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from helpers import model_state
from tortoise.expressions import Q
from tortoise.functions import Lower
from tortoise.transactions import in_transaction

import models
import models.prepared
from domain.member_lists import MemberFilter, count_members
from domain.members import add_member
from models.prepared import Prepared
from permissions.roles import Role


async def _members(count: int) -> tuple[models.Healthspace, list[models.Member]]:
    healthspace = await models.Healthspace.create(name=f"Prepared {uuid.uuid4().hex[:6]}")
    made = []
    for number in range(count):
        account = await models.Account.create(
            email=f"p{number}-{uuid.uuid4().hex[:6]}@example.org",
            first_name="Anna",
            last_name=f"Jansen {number}",
        )
        kind = models.MemberKind.CLIENT if number % 2 else models.MemberKind.STAFF
        roles = [] if kind == models.MemberKind.CLIENT else [Role.CLINICIAN.value]
        made.append(await add_member(account, healthspace.id, kind, roles=roles))
    return healthspace, made


def _ids(rows: list[Any]) -> list[uuid.UUID]:
    return [row.id for row in rows]


async def test_rows_are_those_of_the_queryset_for_every_shape(db: str) -> None:
    healthspace, members = await _members(6)
    read = Prepared(
        lambda healthspace_id, kind, ids, limit: (
            models.Member.filter(healthspace_id=healthspace_id, kind=kind, id__in=ids)
            .select_related("account")
            .order_by("id")
            .limit(limit)
        )
    )
    all_ids = _ids(members)
    cases = [
        (healthspace.id, models.MemberKind.CLIENT, all_ids, 10),
        (healthspace.id, models.MemberKind.STAFF, all_ids, 10),
        (healthspace.id, models.MemberKind.CLIENT, all_ids, 2),
        (healthspace.id, models.MemberKind.STAFF, all_ids[:3], 10),
        (uuid.uuid4(), models.MemberKind.STAFF, all_ids, 10),
        (healthspace.id, models.MemberKind.CLIENT, [], 10),
    ]
    for _ in range(2):  # the first round prepares each shape, the second reuses it
        for values in cases:
            expected = await read._build(*values)
            got = await read.rows(*values)
            assert _ids(got) == _ids(expected), values
            assert [row.account.email for row in got] == [row.account.email for row in expected]
    prepared = [plan for plan in read._plans.values() if plan is not None]
    # shapes: CLIENT with 6 ids, STAFF with 6, STAFF with 3, CLIENT with none (a limit varies)
    assert len(prepared) == 4


async def test_constants_stay_constants(db: str) -> None:
    _, members = await _members(2)
    account_id = members[0].account_id
    read = Prepared(
        lambda account_id: models.Member.filter(
            account_id=account_id, status=models.MemberStatus.ACTIVE
        )
    )
    assert _ids(await read.rows(account_id)) == [members[0].id]
    members[0].status = models.MemberStatus.DEACTIVATED
    await members[0].save(update_fields=["status"])
    assert await read.rows(account_id) == []


async def test_a_value_not_passed_as_a_parameter_is_read_the_ordinary_way(db: str) -> None:
    await _members(3)
    # icontains turns the text into a pattern: the stand-in never appears as a parameter
    read = Prepared(
        lambda text: models.Account.filter(last_name__icontains=text).order_by("last_name")
    )
    for _ in range(2):
        found = await read.rows("jansen 1")
        assert [row.last_name for row in found] == ["Jansen 1"]
    assert list(read._plans.values()) == [None]
    # a date is never a stand-in: not prepared, still right
    since = Prepared(lambda moment: models.Member.filter(created_at__gte=moment))
    assert len(await since.rows(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))) == 3
    assert since._plans == {}


async def test_a_read_inside_a_transaction_sees_its_rows(db: str) -> None:
    healthspace, _ = await _members(1)
    read = Prepared(lambda healthspace_id: models.Member.filter(healthspace_id=healthspace_id))
    assert len(await read.rows(healthspace.id)) == 1
    with pytest.raises(RuntimeError):
        async with in_transaction():
            account = await models.Account.create(
                email=f"t-{uuid.uuid4().hex[:6]}@example.org", first_name="T", last_name="T"
            )
            await models.Member.create(
                account=account, healthspace=healthspace, kind=models.MemberKind.CLIENT
            )
            assert len(await read.rows(healthspace.id)) == 2
            raise RuntimeError("roll back")
    assert len(await read.rows(healthspace.id)) == 1


async def test_shapes_kept_are_bounded(db: str, monkeypatch: Any) -> None:
    _, members = await _members(4)
    monkeypatch.setattr(models.prepared, "PLANS_KEPT", 2)
    read = Prepared(lambda ids: models.Member.filter(id__in=ids).order_by("id"))
    ids = _ids(members)
    for length in range(1, 5):
        assert _ids(await read.rows(ids[:length])) == sorted(ids[:length])
    assert len(read._plans) == 2


async def test_pages_and_counts_are_those_of_the_queryset(db: str) -> None:
    healthspace, _ = await _members(7)
    read = Prepared(
        lambda healthspace_id, kind: models.Member.filter(
            healthspace_id=healthspace_id, kind=kind
        ).order_by("id")
    )
    for _ in range(2):
        for kind in models.MemberKind:
            query = read._build(healthspace.id, kind)
            assert await read.count(healthspace.id, kind) == await query.count()
            for offset, limit in ((0, 2), (2, 2), (3, 10), (10, 1)):
                page = await read.rows(healthspace.id, kind, offset=offset, limit=limit)
                assert _ids(page) == _ids(await query.offset(offset).limit(limit))
    assert await read.count(uuid.uuid4(), models.MemberKind.CLIENT) == 0
    assert all(plan is not None for plan in read._plans.values())
    assert {key[0] for key in read._plans} == {"rows", "count"}


async def test_member_counts_of_one_healthspace_are_those_of_many(db: str) -> None:
    # one Healthspace: a prepared count; several: one grouped statement. The same counts.
    first, members = await _members(5)  # staff, client, staff, client, staff
    second, _ = await _members(2)
    await models.Member.filter(id=members[1].id).update(status=models.MemberStatus.DEACTIVATED)
    await models.Account.filter(id=members[3].account_id).update(last_name="Zwanenburg")
    client, staff = models.MemberKind.CLIENT, models.MemberKind.STAFF
    active, deactivated = models.MemberStatus.ACTIVE, models.MemberStatus.DEACTIVATED
    expected = {
        MemberFilter(): 5,
        MemberFilter(client): 2,
        MemberFilter(staff): 3,
        MemberFilter(client, active): 1,
        MemberFilter(None, deactivated): 1,
        MemberFilter(staff, deactivated): 0,
        MemberFilter(None, None, "  "): 5,
        MemberFilter(None, None, "zwanenburg"): 1,
        MemberFilter(staff, None, "Zwanenburg"): 0,
        MemberFilter(None, None, "nobody"): 0,
    }
    for _ in range(2):
        for wanted, count in expected.items():
            together = await count_members([first.id, second.id, uuid.uuid4()], wanted)
            alone = [
                (await count_members([healthspace_id], wanted))[0]
                for healthspace_id in (first.id, second.id, uuid.uuid4())
            ]
            assert together == alone, wanted
            assert together[0] == count, wanted


async def test_rows_are_read_into_the_objects_tortoise_makes(db: str) -> None:
    healthspace, members = await _members(4)
    await models.Account.filter(id=members[0].account_id).update(date_of_birth=dt.date(1980, 2, 3))
    reads = [
        Prepared(
            lambda healthspace_id: (
                models.Member.filter(healthspace_id=healthspace_id)
                .select_related("account", "healthspace")
                .annotate(surname=Lower("account__last_name"))
                .order_by("surname", "id")
            )
        ),
        Prepared(lambda ids: models.Account.filter(id__in=ids).order_by("id")),
    ]
    values = [(healthspace.id,), ([member.account_id for member in members],)]
    for read, arguments in zip(reads, values, strict=True):
        for _ in range(2):
            expected = await read._build(*arguments)
            got = await read.rows(*arguments)
            assert [model_state(row) for row in got] == [model_state(row) for row in expected]
        plan = next(iter(read._plans.values()))
        assert plan is not None and plan.reader is not None and plan.checked


async def test_ids_read_from_the_database_are_prepared(db: str) -> None:
    # asyncpg gives its own UUID type: such ids must be prepared as any other
    _, members = await _members(2)
    read_back = await models.Member.get(id=members[0].id)
    read = Prepared(lambda account_id: models.Member.filter(account_id=account_id))
    for _ in range(2):
        assert _ids(await read.rows(read_back.account_id)) == [members[0].id]
    assert [plan is not None for plan in read._plans.values()] == [True]


async def test_a_value_a_build_changes_or_also_patterns_is_not_prepared(db: str) -> None:
    healthspace, members = await _members(3)
    account = await models.Account.get(id=members[1].account_id)
    cases: list[tuple[Prepared[Any], tuple[Any, ...]]] = [
        # used as it is and inside a pattern
        (
            Prepared(
                lambda text: models.Account.filter(
                    Q(email=text) | Q(last_name__contains=text)
                ).order_by("id")
            ),
            ("Jansen 1",),
        ),
        # lowered, stripped
        (
            Prepared(lambda email: models.Account.filter(email=email.lower())),
            (account.email.upper(),),
        ),
        (
            Prepared(lambda email: models.Account.filter(email=email.strip())),
            (f" {account.email} ",),
        ),
        # a text given for an enum column (the stand-in is refused by the field)
        (
            Prepared(
                lambda healthspace_id, kind: models.Member.filter(
                    healthspace_id=healthspace_id, kind=kind
                )
            ),
            (healthspace.id, "CLIENT"),
        ),
    ]
    for read, values in cases:
        expected = _ids(await read._build(*values))
        assert expected, values
        for _ in range(2):
            assert _ids(await read.rows(*values)) == expected, values
        assert list(read._plans.values()) == [None], values


async def test_a_page_needs_a_limit(db: str) -> None:
    read = Prepared(lambda: models.Member.all().order_by("id"))
    with pytest.raises(ValueError):
        await read.rows(offset=2)
    assert await read.rows(offset=0, limit=0) == []
