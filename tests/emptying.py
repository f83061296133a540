"""Emptying the test database between tests, past the append-only triggers.

PostgreSQL's TRUNCATE does not fire row triggers; SQLite has no TRUNCATE and deletes row by
row, so there the triggers are lifted for the moment of emptying and put back."""

from __future__ import annotations

from tortoise.connection import get_connection
from tortoise.contrib.test import truncate_all_models

from models.append_only import install_statements, remove_statements


async def empty_all_tables() -> None:
    connection = get_connection("default")
    dialect = connection.capabilities.dialect
    if dialect == "postgres":
        await truncate_all_models()
        return
    for statement in remove_statements(dialect):
        await connection.execute_script(statement)
    try:
        await truncate_all_models()
    finally:
        for statement in install_statements(dialect):
            await connection.execute_script(statement)
