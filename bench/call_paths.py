"""How much of our code one request passes through: the files and distinct functions of this
repository (not tests/, bench/ or .venv/) that run while the ASGI app answers one `inviteClient`
and one `myClients` request over HTTP (httpx ASGITransport, SQLite in memory, middlewares,
session lookup and guards included). Issue 9 asks for these figures ("today inviteClient passes
through about 33 files and 55 calls of ours, myClients through about 21 files and 30 calls").

    .venv/bin/python -m bench.call_paths            # the two figures
    .venv/bin/python -m bench.call_paths --list     # and every file and function counted

Each request runs twice and the second one is traced (`sys.setprofile`), so start-up work and
first-use caches are left out. A function counts once however often it runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = ("tests", "bench", ".venv", "node_modules")
# What every request runs (middlewares, context, session, query limits): `{ __typename }`.
BASELINE = "{ __typename }"

INVITE_CLIENT = """mutation Invite($input: InviteClientInput!) {
  inviteClient(input: $input) { invitation { id email status } errors { field code message } }
}"""

MY_CLIENTS = """query MyClients($id: ID!) {
  healthspace(id: $id) { myClients(first: 50) {
    totalCount nodes { id firstName lastName dateOfBirth identificationNumber email } } }
}"""


def _ours(filename: str) -> str | None:
    """The repository-relative path of a file of ours, None for anything else."""
    if not filename.startswith("/"):  # <frozen ...>, <string>: Python's own or generated
        return None
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts and relative.parts[0] in LEFT_OUT:
        return None
    return relative.as_posix()


@dataclass
class Trace:
    """The functions of ours (file, first line, name) that ran while tracing."""

    functions: set[tuple[str, int, str]] = field(default_factory=set)
    _paths: dict[str, str | None] = field(default_factory=dict)

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        code = frame.f_code
        path = self._paths.get(code.co_filename, "")
        if path == "":
            path = self._paths[code.co_filename] = _ours(code.co_filename)
        if path is not None:
            self.functions.add((path, code.co_firstlineno, code.co_qualname))


def _figures(functions: set[tuple[str, int, str]]) -> str:
    files = {path for path, _, _ in functions}
    return f"{len(files)} files, {len(functions)} distinct functions"


async def traced(request: Callable[[], Awaitable[None]]) -> Trace:
    """Run `request` once untraced (warm-up), then once traced."""
    await request()
    trace = Trace()
    sys.setprofile(trace)
    try:
        await request()
    finally:
        sys.setprofile(None)
    return trace


async def measure() -> dict[str, Trace]:
    """Both requests against a fresh in-memory database: a clinician with INVITE_CLIENTS and
    three connected clients."""
    import httpx

    import models
    from models.database import close_database, migrate, open_database
    from permissions.roles import Permission, Role
    from permissions.tokens import hash_token, new_token
    from schema.settings import Settings
    from server import create_app

    # Where these live moved over time; the fallbacks let the script measure older commits.
    try:
        from domain.members import add_member
    except ImportError:
        from resolvers.members import add_member  # type: ignore[attr-defined,no-redef]
    try:
        from schema.settings import Environment
    except ImportError:
        from server import Environment

    url = "sqlite://:memory:"
    await open_database(url)
    try:
        await migrate(url)
        healthspace = await models.Healthspace.create(name="Call Path Practice")
        staff = await models.Account.create(
            email="clinician@example.org", first_name="Clara", last_name="Clinician"
        )
        clinician = await add_member(
            staff,
            healthspace.id,
            models.MemberKind.STAFF,
            roles=[Role.CLINICIAN],
            granted_permissions=[Permission.INVITE_CLIENTS],
        )
        key_of = getattr(models, "connection_key", lambda c, s: f"{c}:{s}")  # older commits
        for number in range(3):
            account = await models.Account.create(
                email=f"client{number}@example.org", first_name="Client", last_name=str(number)
            )
            client = await add_member(account, healthspace.id, models.MemberKind.CLIENT)
            await models.Connection.create(
                healthspace_id=healthspace.id,
                client_id=client.id,
                staff_id=clinician.id,
                current_key=key_of(client.id, clinician.id),
            )
        token = new_token()  # a session as tests/conftest.py makes one (runs on older commits)
        await models.Session.create(
            account=staff, token_hash=hash_token(token), expires_at=datetime.now(UTC) + timedelta(1)
        )
        settings = Settings(public_url="http://carespace.test")
        app = create_app(Environment(database_url=url, settings=settings), lifespan_tasks=False)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://carespace.test") as http:

            async def post(query: str, variables: dict[str, Any], field: str) -> None:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                body = response.json()
                answer = body.get("data", {}).get(field)
                if body.get("errors") or (isinstance(answer, dict) and answer.get("errors")):
                    raise RuntimeError(f"{field} failed: {body}")

            async def invite() -> None:
                invitee = {
                    "healthspaceId": str(healthspace.id),
                    "email": f"new-{uuid.uuid4().hex[:8]}@example.org",
                    "firstName": "New",
                    "lastName": "Client",
                }
                await post(INVITE_CLIENT, {"input": invitee}, "inviteClient")

            async def my_clients() -> None:
                await post(MY_CLIENTS, {"id": str(healthspace.id)}, "healthspace")

            async def typename() -> None:
                await post("{ __typename }", {}, "__typename")

            return {
                "inviteClient": await traced(invite),
                "myClients": await traced(my_clients),
                BASELINE: await traced(typename),
            }
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.call_paths")
    parser.add_argument("--list", action="store_true", help="print every file and function")
    args = parser.parse_args()
    started = datetime.now(UTC)
    traces = asyncio.run(measure())
    every = traces.pop(BASELINE)
    print(f"every request ({BASELINE}): {_figures(every.functions)}")
    for name, trace in traces.items():
        own = trace.functions - every.functions
        print(f"{name}: {_figures(trace.functions)}; beyond every request: {_figures(own)}")
        if args.list:
            for path in sorted({p for p, _, _ in trace.functions}):
                names = sorted(f for p, _, f in trace.functions if p == path)
                print(f"  {path} ({len(names)}): {', '.join(names)}")
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(f"(measured in {seconds:.1f} s; tests/, bench/ and .venv/ not counted)")


if __name__ == "__main__":
    main()
