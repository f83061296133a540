"""The SQLite engine Carespace uses: Tortoise's, with writers that wait their turn.

SQLite lets one writer at a time into a database file. The server, `send-reminders` from cron
and `invite-roster` from a shell are separate processes on the same file, so they meet:

- WAL journal mode: readers never block the writer, nor the writer them (Tortoise's default,
  kept here explicitly);
- a busy timeout (BUSY_TIMEOUT_MS): a statement that finds the file locked waits for it
  instead of failing at once with "database is locked";
- write transactions that take the lock at their start (`BEGIN IMMEDIATE`). A deferred `BEGIN`
  reads first and asks for the write lock later; if another process committed in between, the
  snapshot is stale and SQLite fails the write at once, busy timeout or not. Taking the lock up
  front turns that into an ordinary wait. Every `in_transaction()` here is a write transaction,
  so every one begins IMMEDIATE;
- reads that do not queue behind each other (`WaitingSqliteClient.execute_query`). Tortoise
  hands its one connection to one statement at a time through an asyncio lock, so each SELECT
  waited for the previous one's answer to travel back through the event loop, while the event
  loop was busy building other requests' answers: SQLite's thread sat idle, and a server under
  load did its SQL and its Python one after the other. When no transaction or other statement
  holds the lock, a SELECT now goes straight to the connection's queue, which aiosqlite's
  thread works through in order; a transaction still takes the lock, and a SELECT queued
  before its BEGIN runs before it, so no read ever lands inside another's transaction.

Selected by `models.config.tortoise_config` for sqlite:// URLs (engine "models.sqlite")."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.exceptions import TransactionManagementError

# How long a writer waits for another process's write to finish before giving up (ms).
BUSY_TIMEOUT_MS = 30_000


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    """Tortoise's transaction on SQLite, begun with BEGIN IMMEDIATE."""

    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class WaitingSqliteClient(SqliteClient):
    """SqliteClient with WAL, a busy timeout and IMMEDIATE write transactions (see module)."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        # The busy timeout first: setting the journal mode may itself have to wait for a lock.
        pragmas = {"busy_timeout": BUSY_TIMEOUT_MS, "journal_mode": "WAL", **kwargs}
        super().__init__(file_path, **pragmas)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)

    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[Any]]:
        """Tortoise's: (rows changed, or else rows read; the rows). A SELECT while nothing
        holds the connection's lock goes straight to the connection's queue (see module)."""
        if not self._reads_directly(query):
            answer: tuple[int, Sequence[Any]] = await super().execute_query(query, values)
            return answer
        rows = await self._select(query, values)
        return len(rows), rows

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """Tortoise's: the rows as dicts; a SELECT as in `execute_query`."""
        if not self._reads_directly(query):
            found: list[dict[str, Any]] = await super().execute_query_dict(query, values)
            return found
        return [dict(row) for row in await self._select(query, values)]

    def _reads_directly(self, query: str) -> bool:
        """Whether `query` skips the lock: a SELECT while nothing holds the connection."""
        return (
            self._connection is not None and not self._lock.locked() and query.startswith("SELECT")
        )

    @translate_exceptions
    async def _select(self, query: str, values: list[Any] | None) -> Sequence[Any]:
        assert self._connection is not None
        query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise sends it
        self.log.debug("%s: %s", query, values)
        return list(await self._connection.execute_fetchall(query, values))

    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            await connection.execute("BEGIN IMMEDIATE")
            try:
                await connection.executemany(query, values)
            except Exception:
                await connection.rollback()
                raise
            else:
                await connection.commit()


client_class = WaitingSqliteClient
