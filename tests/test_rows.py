"""models/rows.py builds the model objects of rows read from the database: the objects must be
exactly those Tortoise's own `Model._init_from_db` builds, for every model, on SQLite and on
PostgreSQL (each driver returns its own Python values: text or native UUIDs, dates, JSON)."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import pickle
import uuid
from itertools import count
from typing import Any

import pytest
from helpers import model_state
from tortoise import Tortoise, fields
from tortoise.connection import get_connection
from tortoise.models import Model

import models
from models.rows import ROW, FastRows, enum_member, row_reader, uuid_of

_tortoise_init_from_db = Model._init_from_db.__func__  # type: ignore[attr-defined]
_numbers = count(1)


def _value(field: fields.Field[Any], filled: bool) -> Any:
    """A value for a data column: every nullable one None unless `filled`."""
    if field.null and not filled:
        return None
    number = next(_numbers)
    enum_type = getattr(field, "enum_type", None)
    if enum_type is not None and issubclass(enum_type, enum.Enum):
        return list(enum_type)[number % len(enum_type)]
    if isinstance(field, fields.UUIDField):
        return uuid.uuid4()
    if isinstance(field, fields.DatetimeField):
        return dt.datetime(2026, 11, 30, 12, 0, number % 60, 123456, tzinfo=dt.UTC)
    if isinstance(field, fields.DateField):
        return dt.date(1980, 1, 1 + number % 28)
    if isinstance(field, fields.BooleanField):
        return number % 2 == 0
    if isinstance(field, fields.JSONField):
        return {"days": [1, 2], "on": True, "name": f"n{number}"}
    if isinstance(field, (fields.IntField, fields.SmallIntField, fields.BigIntField)):
        return number
    if isinstance(field, (fields.CharField, fields.TextField)):
        length = getattr(field, "max_length", None) or 40
        return f"v{number}-Çelik"[:length]
    raise AssertionError(f"no test value for {type(field).__name__}")


async def _row(model: type[Model], filled: bool) -> Model:
    """One row of `model` written to the database, with a new row for each relation it has."""
    meta = model._meta
    relations = meta.fk_fields | meta.o2o_fields
    relation_columns = {meta.fields_map[name].source_field for name in relations}
    values: dict[str, Any] = {}
    for name, field in meta.fields_map.items():
        if name in relations:
            if field.null and not filled:
                values[name] = None
            else:
                related = field.related_model  # type: ignore[attr-defined]
                values[name] = await _row(related, filled=True)
        elif name in relation_columns or name not in meta.fields_db_projection:
            continue  # a relation's column (set through it) or a reverse relation
        elif not (field.pk and field.generated):
            values[name] = _value(field, filled)
    return await model.create(**values)


@pytest.mark.parametrize("filled", [True, False], ids=["values", "nulls"])
async def test_every_model_reads_as_tortoise_reads_it(db: str, filled: bool) -> None:
    connection = get_connection("default")
    checked = []
    for model in Tortoise.apps["models"].values():
        assert issubclass(model, FastRows), f"{model.__name__} does not mix in FastRows"
        written = await _row(model, filled)
        query = model.filter(pk=written.pk)
        query._make_query()
        sql, parameters = query.query.get_parameterized_sql()
        _, raw = await connection.execute_query(sql, parameters)
        assert len(raw) == 1
        ours = model._init_from_db(**dict(raw[0]))
        theirs = _tortoise_init_from_db(model, **dict(raw[0]))
        assert type(ours) is model
        assert model_state(ours) == model_state(theirs), model.__name__
        reader = row_reader(model, None, (), tuple(raw[0].keys()))
        assert reader is not None, model.__name__
        assert model_state(reader(raw[0])) == model_state(theirs), model.__name__
        for name in model._meta.db_fields:
            attribute = model._meta.fields_db_projection_reverse[name]
            assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), name
        read = await model.get(pk=written.pk)
        assert read.pk == written.pk
        checked.append(model.__name__)
    assert {"Member", "Account", "Connection", "AuditEvent"} <= set(checked)


async def _read_by_reader(model: type[Model], pk: Any) -> tuple[Model, Any]:
    """The object a `RowReader` makes of the row with primary key `pk`, and that row."""
    query = model.filter(pk=pk)
    query._make_query()
    sql, parameters = query.query.get_parameterized_sql()
    _, raw = await get_connection("default").execute_query(sql, parameters)
    reader = row_reader(model, None, (), tuple(raw[0].keys()))
    assert reader is not None
    return reader(raw[0]), raw[0]


async def test_a_column_is_converted_when_its_attribute_is_first_read(db: str) -> None:
    written = await _row(models.Member, filled=True)
    read, _ = await _read_by_reader(models.Member, written.pk)
    assert "kind" not in vars(read) and "created_at" not in vars(read)
    assert read.kind is written.kind
    assert vars(read)["kind"] is written.kind  # kept: the next read is an attribute's
    assert "created_at" not in vars(read)
    assert read.created_at == written.created_at
    assert read.identification_number == written.identification_number  # text: set at once


async def test_an_attribute_set_before_it_is_read_wins_and_saves(db: str) -> None:
    written = await _row(models.Member, filled=True)
    read, _ = await _read_by_reader(models.Member, written.pk)
    other = next(status for status in models.MemberStatus if status is not written.status)
    read.status = other
    assert read.status is other
    await read.save()
    again = await models.Member.get(pk=written.pk)
    assert again.status is other
    columns = models.Member._meta.fields_db_projection
    assert {name: getattr(again, name) for name in columns} == {
        **{name: getattr(written, name) for name in columns},
        "status": other,
    }


async def test_a_corrupt_column_raises_where_it_is_read(db: str) -> None:
    written = await _row(models.Member, filled=True)
    _, raw = await _read_by_reader(models.Member, written.pk)
    keys = tuple(raw.keys())
    corrupt = tuple("nonsense" if key == "kind" else raw[key] for key in keys)
    reader = row_reader(models.Member, None, (), keys)
    assert reader is not None
    read = reader(corrupt)
    assert read.id == written.id
    with pytest.raises(ValueError):
        _ = read.kind
    with pytest.raises(ValueError):  # not kept: every read says so
        _ = read.kind


async def test_a_read_row_pickles_and_copies_with_its_values(db: str) -> None:
    written = await _row(models.Member, filled=True)
    reference, _ = await _read_by_reader(models.Member, written.pk)
    expected = model_state(reference)
    for made in (
        pickle.loads(pickle.dumps((await _read_by_reader(models.Member, written.pk))[0])),
        copy.deepcopy((await _read_by_reader(models.Member, written.pk))[0]),
        copy.copy((await _read_by_reader(models.Member, written.pk))[0]),
    ):
        assert ROW not in vars(made)
        assert model_state(made) == expected


def test_a_column_attribute_no_row_holds_is_missing() -> None:
    made = models.Member.__new__(models.Member)
    with pytest.raises(AttributeError, match="'Member' object has no attribute 'kind'"):
        _ = made.kind
    assert ROW not in vars(made)


async def test_a_partial_row_takes_tortoises_path(db: str) -> None:
    member = await _row(models.Member, filled=True)
    partial = await models.Member.filter(pk=member.pk).only("id", "kind").first()
    assert partial is not None
    assert partial._partial is True
    assert (partial.id, partial.kind) == (member.pk, member.kind)


async def test_select_related_rows_are_full_objects(db: str) -> None:
    member = await _row(models.Member, filled=True)
    read = await models.Member.filter(pk=member.pk).select_related("account").get()
    assert isinstance(read.id, uuid.UUID) and read.id == member.pk
    assert read.account.email == (await models.Account.get(pk=member.account_id)).email


@pytest.mark.parametrize(
    "text",
    [
        "12345678-1234-5678-1234-567812345678",
        "12345678123456781234567812345678",
        "{12345678-1234-5678-1234-567812345678}",
        "urn:uuid:12345678-1234-5678-1234-567812345678",
        "ABCDEF01-1234-5678-1234-567812345678",
    ],
)
def test_uuid_of_reads_text_as_uuid_does(text: str) -> None:
    parsed = uuid_of(text)
    assert parsed == uuid.UUID(text)
    assert type(parsed) is uuid.UUID
    assert parsed is not None and parsed.is_safe is uuid.SafeUUID.unknown
    assert str(parsed) == str(uuid.UUID(text)) and hash(parsed) == hash(uuid.UUID(text))


@pytest.mark.parametrize(
    "text", ["", "not-a-uuid", "12345678-1234-5678-1234-56781234567g", "1234-5678", "x" * 32]
)
def test_uuid_of_refuses_what_uuid_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        uuid.UUID(text)
    with pytest.raises(ValueError):
        uuid_of(text)


def test_uuid_of_keeps_none_and_uuids() -> None:
    value = uuid.uuid4()
    assert uuid_of(None) is None
    assert uuid_of(value) is value


def test_enum_member_reads_values_as_the_enum_does() -> None:
    assert enum_member(models.MemberKind, "CLIENT") is models.MemberKind.CLIENT
    assert enum_member(models.MemberKind, models.MemberKind.STAFF) is models.MemberKind.STAFF
    assert enum_member(models.MemberKind, None) is None
    with pytest.raises(ValueError):
        models.MemberKind("client")
    with pytest.raises(ValueError):
        enum_member(models.MemberKind, "client")
