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
  so every one begins IMMEDIATE.

Selected by `models.config.tortoise_config` for sqlite:// URLs (engine "models.sqlite")."""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
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
