"""Tables whose rows can never change once written: notes and audit events.

The database itself refuses an UPDATE or DELETE of their rows (a trigger on PostgreSQL and on
SQLite), so even a bug in the application cannot rewrite history. The migration that creates
the notes table installs the triggers with `install`.
"""

from __future__ import annotations

from typing import Any

APPEND_ONLY_TABLES = ("note", "audit_event")

# The message both databases raise; tests and logs look for it.
REFUSAL = "append-only table: rows cannot be changed or deleted"

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION carespace_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: {REFUSAL}', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""


def install_statements(dialect: str) -> list[str]:
    """The SQL that makes every append-only table refuse UPDATE and DELETE on `dialect`
    ("postgres" or "sqlite")."""
    if dialect == "postgres":
        statements = [_POSTGRES_FUNCTION]
        for table in APPEND_ONLY_TABLES:
            statements.append(
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION carespace_refuse_change()"
            )
        return statements
    statements = []
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{operation.lower()}" '
                f'BEFORE {operation} ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{table}: {REFUSAL}'); END"
            )
    return statements


def remove_statements(dialect: str) -> list[str]:
    """The SQL that takes the triggers away again (the migration's way back, and the test
    harness emptying a SQLite database between tests)."""
    if dialect == "postgres":
        statements = [
            f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"'
            for table in APPEND_ONLY_TABLES
        ]
        return [*statements, "DROP FUNCTION IF EXISTS carespace_refuse_change()"]
    return [
        f'DROP TRIGGER IF EXISTS "{table}_no_{operation}"'
        for table in APPEND_ONLY_TABLES
        for operation in ("update", "delete")
    ]


async def install(apps: Any, schema_editor: Any) -> None:
    """RunPython step of the migration: install the triggers for the connection's dialect."""
    client = schema_editor.client
    for statement in install_statements(client.capabilities.dialect):
        await client.execute_script(statement)


async def remove(apps: Any, schema_editor: Any) -> None:
    """RunPython step back: remove the triggers."""
    client = schema_editor.client
    for statement in remove_statements(client.capabilities.dialect):
        await client.execute_script(statement)
