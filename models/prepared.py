"""Reads whose SQL Tortoise builds once, then runs again with new values (issue 10).

Tortoise turns a queryset into SQL on every await: resolving the filters, joining the
`select_related` tables and rendering the text costs 0.2-0.4 ms a statement, as much as SQLite
takes to answer it. The reads every request makes (the session, the viewer's memberships) and
those behind every list page run thousands of times with the same shape and new values.
`Prepared` wraps such a read: the first time a shape is read, Tortoise builds the SQL from
stand-in values (fresh random UUIDs, texts and numbers) and the positions where the stand-ins
land among the statement's parameters are noted; afterwards the same SQL runs with the real
values put in those positions, and a `models.rows.RowReader` made once per statement turns the
rows into the objects Tortoise would make.

A shape is what the SQL depends on besides the values: the database's dialect, the kind of
each value (UUID, text, number), the length of each list, and every other argument (an enum, a
flag, None) as it is. When Tortoise does something with a value other than pass it on as one
parameter (a `LIKE` pattern, a value written into the SQL text, a field refusing the stand-in),
or a build changes it (lower case, stripped), the stand-in is not found where it should be:
that shape is never prepared and is read by awaiting the queryset, exactly as before.

The contract of a build: it passes each UUID, text or number to the filters unchanged, and
decides nothing by them (no `if search.strip()`: what a build decides by belongs in the shape,
as an enum, a flag or None). The real values are not checked by the fields as Tortoise checks
them (a text longer than its column): pass values of the column's form."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import CHUNK_SIZE
from tortoise.models import Model
from tortoise.queryset import CountQuery, QuerySet

from models.rows import RowReader, row_reader

M = TypeVar("M", bound=Model)

# Shapes prepared per read, at most (a list's length is part of its shape).
PLANS_KEPT = 256


def _kind(value: object) -> str | None:
    """The kind of a value that becomes a stand-in (it reaches the SQL as one parameter, as
    itself or its text): "uuid" (asyncpg's UUIDs too), "str" or "int"; None for any other.
    Enums (a `StrEnum` is a str) and bools are part of the shape: a stand-in cannot be one."""
    if isinstance(value, uuid.UUID):
        return "uuid"
    if type(value) is str:
        return "str"
    if type(value) is int:
        return "int"
    return None


def _stand_in(value: object) -> object:
    """A random value of `value`'s kind that no constant of a statement equals."""
    kind = _kind(value)
    if kind == "uuid":
        return uuid.uuid4()
    if kind == "str":
        # Mixed case and spaces around: a build that lowers, uppers or strips it changes it,
        # so the stand-in is not found and the read is not prepared.
        return f" Prepared-{secrets.token_hex(8).upper()}-{secrets.token_hex(8)} "
    return 2**52 + secrets.randbelow(2**40)  # an int: a page size, an offset


def _varies(value: object) -> bool:
    """Whether `value` is put into the statement's parameters (else it is part of the shape):
    a value of a stand-in kind, or a list or tuple of them."""
    if isinstance(value, (list, tuple)):
        return all(_kind(item) is not None for item in value)
    return _kind(value) is not None


def _shape(values: Sequence[object]) -> Hashable | None:
    """The part of a read's shape its values give; None when a value can neither vary nor be
    part of a shape (a date, a list of mixed values): such a read is never prepared."""
    shape: list[Hashable] = []
    for value in values:
        if isinstance(value, (list, tuple)):
            if not _varies(value):
                return None
            shape.append((type(value).__name__, tuple(map(_kind, value))))
        elif _varies(value):
            shape.append(_kind(value))
        elif value is None or isinstance(value, (bool, Enum)):
            shape.append((type(value).__name__, value))
        else:
            return None
    return tuple(shape)


# Where one parameter comes from: (argument index, item index or None, as text).
_Source = tuple[int, int | None, bool] | None  # None: a constant of the statement


@dataclass
class _Plan:
    sql: str
    sources: tuple[_Source, ...]
    constants: tuple[object, ...]
    select_related_idx: Any
    custom_fields: tuple[str, ...]
    # The statement's column names as Tortoise wrote them, and the reader of its rows (None:
    # Tortoise's executor reads them); checked against the first rows read.
    keys: tuple[str, ...] | None = None
    reader: RowReader | None = None
    checked: bool = False

    def parameters(self, values: Sequence[Any]) -> list[object]:
        out: list[object] = []
        for source, constant in zip(self.sources, self.constants, strict=True):
            if source is None:
                out.append(constant)
                continue
            index, item, as_text = source
            value = values[index] if item is None else values[index][item]
            out.append(str(value) if as_text else value)
        return out


def _plan(query: QuerySet[Any] | CountQuery, values: Sequence[object]) -> _Plan | None:
    """The plan of `query`, built from `values` where every varying value is a stand-in;
    None when a stand-in does not reach the parameters as itself or its text."""
    stand_ins: dict[object, tuple[int, int | None]] = {}
    made = 0
    for index, value in enumerate(values):
        if isinstance(value, (list, tuple)):
            stand_ins.update({item: (index, position) for position, item in enumerate(value)})
            made += len(value)
        elif _varies(value):
            stand_ins[value] = (index, None)
            made += 1
    if len(stand_ins) != made:
        return None  # two random stand-ins came out equal: this read is not prepared
    if isinstance(query, CountQuery):
        if query._limit is not None or query._offset:
            return None  # Tortoise applies those to the count in Python
        select_related_idx: Any = None
    elif query._prefetch_map or query._prefetch_queries or query._single:
        return None
    query._make_query()
    keys: tuple[str, ...] | None = None
    reader: RowReader | None = None
    if isinstance(query, QuerySet):
        select_related_idx = query._select_related_idx
        keys = _column_names(query)
        if keys is not None:
            reader = row_reader(query.model, select_related_idx, tuple(query._annotations), keys)
    sql, parameters = query.query.get_parameterized_sql()
    sources: list[_Source] = []
    constants: list[object] = []
    found: set[object] = set()
    for parameter in parameters:
        try:
            key = parameter if parameter in stand_ins else _parse_uuid(parameter)
        except TypeError:  # an unhashable constant (a list, a JSON value)
            key = None
        where = stand_ins.get(key) if key is not None else None
        if where is None:
            sources.append(None)
            constants.append(parameter)
            continue
        found.add(key)
        as_text = isinstance(key, uuid.UUID) and isinstance(parameter, str)
        sources.append((*where, as_text))
        constants.append(None)
    texts = [str(stand_in) for stand_in in stand_ins]
    if (
        found != set(stand_ins)
        or any(text in sql for text in texts)
        or any(text in str(constant) for text in texts for constant in constants if constant)
    ):
        return None  # a value not (only) passed on as one parameter: not prepared
    return _Plan(
        sql=sql,
        sources=tuple(sources),
        constants=tuple(constants),
        select_related_idx=select_related_idx,
        custom_fields=tuple(query._annotations),
        keys=keys,
        reader=reader,
    )


async def _read_all(read: RowReader, rows: Sequence[Any]) -> list[Any]:
    """`read` of each row; every CHUNK_SIZE rows it lets the event loop run, as Tortoise's
    executor does, so that a long list does not hold up other requests."""
    made: list[Any] = []
    for start in range(0, len(rows), CHUNK_SIZE):
        if start:
            await asyncio.sleep(0)
        made.extend(read(row) for row in rows[start : start + CHUNK_SIZE])
    return made


def _column_names(query: QuerySet[Any]) -> tuple[str, ...] | None:
    """The names the driver gives the columns of `query`'s rows (after `_make_query`): each
    selected term's alias, else its column name; None for a term that has neither."""
    names = []
    for term in query.query._selects:
        name = getattr(term, "alias", None) or getattr(term, "name", None)
        if not isinstance(name, str):
            return None
        names.append(name)
    return tuple(names)


def _parse_uuid(parameter: object) -> uuid.UUID | None:
    if isinstance(parameter, str) and len(parameter) == 36:
        try:
            return uuid.UUID(parameter)
        except ValueError:
            return None
    return None


class Prepared(Generic[M]):
    """A read of model rows built by `build(*values)` (a queryset of rows, no prefetch, no
    `.get()`), prepared per shape (see the module's docstring). `rows(*values)` returns what
    `await build(*values)` returns (with a `limit`: the page from `offset`) and
    `count(*values)` what `await build(*values).count()` does, read in the same transaction."""

    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._plans: dict[Hashable, _Plan | None] = {}

    def _page(self, *values: Any) -> QuerySet[M]:
        *filters, offset, limit = values
        return self._build(*filters).offset(offset).limit(limit)

    async def rows(self, *values: Any, offset: int = 0, limit: int | None = None) -> list[M]:
        build = self._build
        if limit is not None:
            build, values = self._page, (*values, offset, limit)
        elif offset:
            raise ValueError("An offset needs a limit.")
        query = build(*values)
        db = query._choose_db()
        plan = self._plan_of("rows", db, build, values)
        if plan is None:
            return await query
        if plan.reader is not None:
            _, found = await db.execute_query(plan.sql, plan.parameters(values))
            if found and not plan.checked:
                plan.checked = True
                if tuple(found[0].keys()) != plan.keys:
                    plan.reader = None  # not the columns expected: Tortoise reads them
            if plan.reader is not None:
                return await _read_all(plan.reader, found)
        executor = db.executor_class(
            model=query.model, db=db, select_related_idx=plan.select_related_idx
        )
        rows: list[M] = await executor.execute_select(
            plan.sql, plan.parameters(values), custom_fields=list(plan.custom_fields)
        )
        return rows

    async def count(self, *values: Any) -> int:
        query = self._build(*values)
        db = query._choose_db()
        plan = self._plan_of("count", db, self._build, values)
        if plan is None:
            return await query.count()
        _, found = await db.execute_query(plan.sql, plan.parameters(values))
        return int(next(iter(dict(found[0]).values()))) if found else 0

    def _plan_of(
        self,
        kind: str,
        db: BaseDBAsyncClient,
        build: Callable[..., QuerySet[M]],
        values: Sequence[Any],
    ) -> _Plan | None:
        """The plan of this read's `kind` ("rows" or "count", built by `build`) for the shape
        of `values` on `db`, made now if it is the shape's first time; None: read it the
        ordinary way."""
        shape = _shape(values)
        if shape is None:
            return None
        key = (kind, build == self._page, db.capabilities.dialect, shape)
        if key in self._plans:
            return self._plans[key]
        if len(self._plans) >= PLANS_KEPT:
            return None  # ever new shapes (list lengths): keep memory bounded
        stand_ins = [
            [_stand_in(item) for item in value]
            if isinstance(value, (list, tuple))
            else _stand_in(value)
            if _varies(value)
            else value
            for value in values
        ]
        try:
            query = build(*stand_ins).using_db(db)
            plan = _plan(query.count() if kind == "count" else query, stand_ins)
        except Exception:  # e.g. a field refuses the stand-in: read it the ordinary way
            plan = None
        self._plans[key] = plan
        return plan
