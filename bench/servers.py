"""The two servers of the read benchmark, each run as its own process by bench/reads.py:

    python -m bench.servers carespace|raw DATABASE_URL PORT

`carespace` is the real app (server.create_app, background tasks off). `raw` is the baseline:
a bare Starlette route on /graphql that does the same session check and fetches the same rows
with hand-written SQL through the raw driver (aiosqlite or asyncpg) and answers with orjson in
the shape GraphQL would, chosen by the request's operationName (S1-S4 below). Both run under
the same uvicorn settings (one worker, loop and http "auto": uvloop and httptools when
installed) and both answer GET /_bench/statements?reset=1 with the SQL statements they ran
since the last reset (counting is off until the first reset, so timed runs do not pay for it).
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# --- counting statements ---------------------------------------------------------------------


class StatementCounter(logging.Handler):
    """Counts the statements Tortoise logs at DEBUG on `tortoise.db_client`."""

    _KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if str(text).lstrip()[:6].upper().startswith(self._KINDS):
            self.count += 1


def _statements_route(read: Callable[[bool], int]) -> Route:
    async def statements(request: Request) -> Response:
        return Response(orjson.dumps({"statements": read("reset" in request.query_params)}))

    return Route("/_bench/statements", statements)


def carespace_app(database_url: str) -> Starlette:
    from schema.settings import Settings
    from server import Environment, create_app

    settings = Settings(debug=False, graphiql=False, introspection=False)
    app = create_app(
        Environment(database_url=database_url, settings=settings), lifespan_tasks=False
    )
    counter = StatementCounter()
    logger = logging.getLogger("tortoise.db_client")

    def read(reset: bool) -> int:
        count = counter.count
        if reset:
            counter.count = 0
            if counter not in logger.handlers:
                logger.addHandler(counter)
                logger.setLevel(logging.DEBUG)
        return count

    app.router.routes.insert(0, _statements_route(read))
    return app


# --- the raw baseline ------------------------------------------------------------------------

ASSISTANT_KINDS = ("CLIENT", "STAFF")
EXPIRING_WITHIN = timedelta(days=3)


class Database:
    """The raw driver behind one small interface: `rows(sql, *args)` with `?` placeholders."""

    statements = 0

    async def open(self, url: str) -> None:
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            import asyncpg

            # Tortoise's default pool for asyncpg: 1 to 5 connections.
            self.pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
        else:
            import aiosqlite

            self.sqlite = await aiosqlite.connect(url.removeprefix("sqlite://"))
            self.sqlite.row_factory = aiosqlite.Row

    async def close(self) -> None:
        await (self.pool.close() if self.postgres else self.sqlite.close())

    def _sql(self, sql: str) -> str:
        if not self.postgres:
            return sql
        parts = sql.split("?")
        return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]

    def arg(self, value: Any) -> Any:
        """UUIDs and times as each driver wants them (SQLite stores both as text)."""
        if self.postgres:
            return value
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat(" ")
        return value

    async def rows(self, sql: str, *args: Any) -> list[Any]:
        Database.statements += 1
        values = [self.arg(value) for value in args]
        if self.postgres:
            fetched: list[Any] = await self.pool.fetch(self._sql(sql), *values)
            return fetched
        async with self.sqlite.execute(sql, values) as cursor:
            return list(await cursor.fetchall())

    def when(self, value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    def json(self, value: Any) -> Any:
        return orjson.loads(value) if isinstance(value, str | bytes) else value

    @staticmethod
    def day(value: Any) -> str | None:
        return None if value is None else str(value)[:10]


async def viewer(db: Database, request: Request) -> Any | None:
    """The live session of the bearer token with its account, as permissions.sessions does."""
    import hashlib

    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    rows = await db.rows(
        "SELECT s.expires_at, a.id, a.deactivated_at FROM session s "
        "JOIN account a ON a.id = s.account_id WHERE s.token_hash = ? AND s.revoked_at IS NULL",
        hashlib.sha256(token.strip().encode()).hexdigest(),
    )
    if not rows or db.when(rows[0][0]) <= datetime.now(UTC) or rows[0][2] is not None:
        return None
    return rows[0][1]


async def staff_member(db: Database, account_id: Any, healthspace_id: str) -> Any | None:
    rows = await db.rows(
        "SELECT id, kind, roles FROM member "
        "WHERE account_id = ? AND healthspace_id = ? AND status = 'ACTIVE'",
        account_id,
        uuid.UUID(healthspace_id),
    )
    return rows[0] if rows and rows[0][1] == "STAFF" else None


ORDER = "ORDER BY lower(a.last_name), lower(a.first_name), m.id"


async def s1_my_clients(db: Database, account_id: Any, variables: dict[str, Any]) -> Any:
    mine = await staff_member(db, account_id, variables["id"])
    if mine is None:
        return {"healthspace": None}
    # The staff member's connections are all in their Healthspace: no healthspace filter, so
    # that SQLite reads the staff member's connections, not every client of the Healthspace.
    where = (
        "FROM member m JOIN account a ON a.id = m.account_id WHERE m.kind = 'CLIENT' "
        "AND m.status = 'ACTIVE' AND m.id IN (SELECT client_id FROM connection "
        "WHERE staff_id = ? AND current_key IS NOT NULL)"
    )
    args = (mine[0],)
    total = (await db.rows(f"SELECT count(*) {where}", *args))[0][0]
    rows = await db.rows(
        "SELECT m.id, a.first_name, a.last_name, a.date_of_birth, m.identification_number, "
        f"a.email {where} {ORDER} LIMIT ?",
        *args,
        variables["first"],
    )
    nodes = [
        {
            "id": str(row[0]),
            "firstName": row[1],
            "lastName": row[2],
            "dateOfBirth": db.day(row[3]),
            "identificationNumber": row[4],
            "email": row[5],
        }
        for row in rows
    ]
    return {"healthspace": {"myClients": {"totalCount": total, "nodes": nodes}}}


async def s2_viewer(db: Database, account_id: Any, variables: dict[str, Any]) -> Any:
    rows = await db.rows(
        "SELECT m.roles, h.name FROM member m JOIN healthspace h ON h.id = m.healthspace_id "
        "WHERE m.account_id = ? AND m.status = 'ACTIVE' ORDER BY m.created_at",
        account_id,
    )
    memberships = [{"roles": db.json(row[0]), "healthspace": {"name": row[1]}} for row in rows]
    return {"viewer": {"memberships": memberships}}


async def s3_task_counts(db: Database, account_id: Any, variables: dict[str, Any]) -> Any:
    from permissions.roles import Permission, invitation_kinds, permissions_of

    mine = await staff_member(db, account_id, variables["id"])
    if mine is None:
        return {"healthspace": None}
    allowed = permissions_of(db.json(mine[2]), [])
    healthspace_id = uuid.UUID(variables["id"])
    now = datetime.now(UTC)

    async def count(sql: str, *args: Any) -> int:
        counted: int = (await db.rows(sql, *args))[0][0]
        return counted

    counts: dict[str, int | None] = {
        "clientsWithoutConnection": None,
        "pendingJoinRequests": None,
        "openInvitations": None,
        "expiringInvitations": None,
        "myClientsWithTasks": 0,  # the assistant has no clients (Carespace reads that: 1 statement)
    }
    if allowed & {Permission.MANAGE_CONNECTIONS, Permission.MANAGE_OWN_CONNECTIONS}:
        counts["clientsWithoutConnection"] = await count(
            "SELECT count(*) FROM member WHERE healthspace_id = ? AND kind = 'CLIENT' AND "
            "status = 'ACTIVE' AND id NOT IN (SELECT client_id FROM connection WHERE "
            "healthspace_id = ? AND current_key IS NOT NULL)",
            healthspace_id,
            healthspace_id,
        )
    if Permission.REVIEW_JOIN_REQUESTS in allowed:
        counts["pendingJoinRequests"] = await count(
            "SELECT count(*) FROM join_request WHERE healthspace_id = ? AND status = 'PENDING'",
            healthspace_id,
        )
    kinds = invitation_kinds(allowed)
    if kinds:
        marks = ", ".join("?" * len(kinds))
        where = (
            "FROM invitation WHERE healthspace_id = ? AND status = 'PENDING' AND expires_at > ? "
            f"AND kind IN ({marks})"
        )
        counts["openInvitations"] = await count(
            f"SELECT count(*) {where}", healthspace_id, now, *kinds
        )
        counts["expiringInvitations"] = await count(
            f"SELECT count(*) {where} AND expires_at <= ?",
            healthspace_id,
            now,
            *kinds,
            now + EXPIRING_WITHIN,
        )
    return {"healthspace": {"tasks": {"counts": counts}}}


async def s4_members(db: Database, account_id: Any, variables: dict[str, Any]) -> Any:
    mine = await staff_member(db, account_id, variables["id"])
    if mine is None:
        return {"healthspace": None}
    healthspace_id = uuid.UUID(variables["id"])
    where = "FROM member m JOIN account a ON a.id = m.account_id WHERE m.healthspace_id = ? "
    where += "AND m.kind = 'CLIENT'"
    total = (await db.rows(f"SELECT count(*) {where}", healthspace_id))[0][0]
    rows = await db.rows(
        f"SELECT m.id, a.first_name, a.last_name {where} {ORDER} LIMIT ?",
        healthspace_id,
        variables["first"],
    )
    connections: dict[str, list[dict[str, Any]]] = {str(row[0]): [] for row in rows}
    if rows:
        marks = ", ".join("?" * len(rows))
        for link in await db.rows(
            "SELECT c.client_id, c.id, s.id, a.first_name, a.last_name FROM connection c "
            "JOIN member s ON s.id = c.staff_id JOIN account a ON a.id = s.account_id "
            f"WHERE c.client_id IN ({marks}) AND c.current_key IS NOT NULL ORDER BY c.created_at",
            *(row[0] for row in rows),
        ):
            connections[str(link[0])].append(
                {
                    "id": str(link[1]),
                    "staff": {"id": str(link[2]), "firstName": link[3], "lastName": link[4]},
                }
            )
    nodes = [
        {
            "id": str(row[0]),
            "firstName": row[1],
            "lastName": row[2],
            "connections": connections[str(row[0])],
        }
        for row in rows
    ]
    return {"healthspace": {"members": {"totalCount": total, "nodes": nodes}}}


Handler = Callable[[Database, Any, dict[str, Any]], Awaitable[Any]]
RAW_HANDLERS: dict[str, Handler] = {
    "S1": s1_my_clients,
    "S2": s2_viewer,
    "S3": s3_task_counts,
    "S4": s4_members,
}
UNAUTHENTICATED = orjson.dumps(
    {
        "data": None,
        "errors": [{"message": "Sign in first.", "extensions": {"code": "UNAUTHENTICATED"}}],
    }
)


def raw_app(database_url: str) -> Starlette:
    import contextlib

    db = Database()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await db.open(database_url)
        yield
        await db.close()

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        account_id = await viewer(db, request)
        if account_id is None:
            return Response(UNAUTHENTICATED, media_type="application/json")
        handler = RAW_HANDLERS[body["operationName"]]
        data = await handler(db, account_id, body.get("variables") or {})
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    def read(reset: bool) -> int:
        count = Database.statements
        if reset:
            Database.statements = 0
        return count

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), _statements_route(read)],
        lifespan=lifespan,
    )


def serve(kind: str, database_url: str, port: int) -> None:
    """Both servers under the same settings: one worker, no access log."""
    app = carespace_app(database_url) if kind == "carespace" else raw_app(database_url)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=1,
        loop="auto",
        http="auto",
        lifespan="on",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
