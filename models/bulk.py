"""Writing many rows of one model in one statement, without a model object's cost per row.

PostgreSQL gets COPY; SQLite gets Tortoise's own INSERT statement through executemany. Values
go through each field's `to_db_value`, once for what all rows share and per row for the rest,
with fast paths for UUID and plain text columns (a roster run converts tens of thousands).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.fields import CharField, Field, TextField, UUIDField
from tortoise.models import Model

# Logged like Tortoise's own statements, so statement counters see COPY too.
_statements = logging.getLogger("tortoise.db_client")

M = TypeVar("M", bound=Model)


class BulkTable:
    """Rows of one model: every column holds `template`'s value, converted for the database once,
    except the `varying` columns, whose values each row brings (in that order)."""

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
        self.names: list[str] = list(names)
        self.shared = [
            fields[name].to_db_value(getattr(template, name), template) for name in names
        ]
        self.slots = [
            (names.index(name), _converter(fields[name], template, self.postgres))
            for name in varying
        ]

    def convert(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        """Each row's `varying` values in their database form, within the shared ones."""
        values: list[list[Any]] = []
        for row in rows:
            converted = self.shared.copy()
            for (slot, convert), value in zip(self.slots, row, strict=True):
                converted[slot] = convert(value)
            values.append(converted)
        return values

    async def insert(self, values: list[list[Any]]) -> None:
        """One statement for all `values` (from `convert`); IntegrityError on a constraint."""
        if not values:
            return
        if self.postgres:
            await _copy(self.connection, self.model._meta.db_table, self.columns, values)
        else:
            await self.connection.execute_many(self.executor.insert_query, values)


def copy_of(template: M, **values: Any) -> M:
    """An unsaved copy of `template` with `values` replaced, without the model's constructor
    (which costs more than the rest of a bulk run). `values` must not name a relation."""
    row = type(template).__new__(type(template))
    row.__dict__.update(template.__dict__, **values)
    return row


async def insert_rows(
    connection: BaseDBAsyncClient, rows: Sequence[Model], varying: Sequence[str] | None = None
) -> None:
    """Insert unsaved `rows` of one model in one statement: the `varying` columns are sent per
    row, the others once, as the first row has them. Left out, `varying` is found by comparing
    every row with the first (10,000 rows cost some milliseconds: pass it when known)."""
    if not rows:
        return
    first = rows[0]
    if varying is None:
        executor = connection.executor_class(model=type(first), db=connection)
        names, _ = executor._prepare_insert_columns()
        # Compared before any conversion: converting fills auto_now_add values in on the first.
        varying = [
            name
            for name in names
            if any(getattr(row, name) != getattr(first, name) for row in rows)
        ]
    table = BulkTable(connection, first, varying)
    await table.insert(table.convert([getattr(row, name) for name in varying] for row in rows))


def _converter(column: Field[Any], template: Model, postgres: bool) -> Callable[[Any], Any]:
    """A value's database form: Tortoise's to_db_value, with fast paths for common columns."""
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

    _statements.debug("%s: %d rows", f"COPY {table} ({', '.join(columns)}) FROM STDIN", len(values))
    async with connection.acquire_connection() as raw:
        try:
            await raw.copy_records_to_table(table, columns=columns, records=values)
        except asyncpg.IntegrityConstraintViolationError as error:
            raise IntegrityError(error) from error
