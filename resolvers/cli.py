"""The command line: `python server.py <command>`. server.py hands in how to build the app and
the schema; the commands themselves live in resolvers/commands.py."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette

from resolvers.middleware.request_log import configure_logging
from resolvers.pages.explorer import assets_installed
from schema.settings import ConfigurationError, Environment, environment_from

T = TypeVar("T")
AppFactory = Callable[[Environment], Starlette]


def parser(schema_file: Path) -> argparse.ArgumentParser:
    """The commands and their arguments."""
    parser = argparse.ArgumentParser(prog="server.py", description="Carespace API server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve /graphql (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default="8000")
    commands.add_parser("migrate", help="apply the committed migrations")
    commands.add_parser("seed-demo", help="create the demo Healthspace and sign-ins (idempotent)")
    create = commands.add_parser("create-healthspace", help="create a Healthspace")
    create.add_argument("name")
    create.add_argument("administrator_email")
    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default=str(schema_file))
    commands.add_parser("send-reminders", help="send due invitation reminders once (for cron)")
    roster = commands.add_parser("invite-roster", help="invite a roster file into a Healthspace")
    roster.add_argument("healthspace_id")
    roster.add_argument("file")
    roster.add_argument("--inviter", help="email of the staff member who invites")
    roster.add_argument("--default-note", default="")
    roster.add_argument("--dry-run", action="store_true")
    roster.add_argument("--require-existing-account", action="store_true")
    return parser


def main(
    argv: list[str] | None,
    *,
    create_app: AppFactory,
    export_schema: Callable[[], str],
    schema_file: Path,
) -> int:
    """Run one command; the exit code: 0 done, 2 bad configuration or input."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    try:
        args = parser(schema_file).parse_args(argv)
        if args.command == "export-schema":
            Path(args.output).write_text(export_schema())
            print(f"Wrote {args.output}")
            return 0
        environment = environment_from(os.environ)
        if args.command == "serve":
            environment = serving_environment(environment, os.environ, args.host, args.port)
        return asyncio.run(_run(args, environment, create_app))
    except ConfigurationError as error:
        print(f"carespace: configuration error: {error}", file=sys.stderr)
        return 2


def _port(value: str) -> int:
    """`--port`: a number from 1 to 65535, else one line (argparse would print its usage)."""
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigurationError(f"--port (PORT) must be a number from 1 to 65535, not {value!r}")
    return int(value)


def serving_environment(
    environment: Environment, env: Mapping[str, str], host: str, port: int
) -> Environment:
    """`serve --port 8123` makes email links point at that port, unless CARESPACE_PUBLIC_URL
    says where the public address is."""
    if env.get("CARESPACE_PUBLIC_URL"):
        return environment
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    settings = replace(environment.settings, public_url=f"http://{shown}:{port}")
    return replace(environment, settings=settings)


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def database_problem(error: BaseException, url: str) -> str | None:
    """One line for a database that cannot be used (unreachable, refused sign-in, missing), or
    None for anything else (a fault, shown with its traceback)."""
    from asyncpg.exceptions import InvalidAuthorizationSpecificationError, InvalidCatalogNameError
    from tortoise.exceptions import DBConnectionError

    name = f"CARESPACE_DATABASE_URL ({_redacted(url)})"
    parts = urlsplit(url)
    if isinstance(error, InvalidAuthorizationSpecificationError):
        return f"{name}: the database server refused the user or password: {error}"
    if isinstance(error, DBConnectionError) and isinstance(
        error.__cause__, InvalidCatalogNameError
    ):
        database = parts.path.strip("/")
        return f"{name}: database {database!r} does not exist (create it: createdb {database})"
    if isinstance(error, DBConnectionError) and isinstance(
        error.__cause__, OSError | sqlite3.Error
    ):
        error = error.__cause__
    if isinstance(error, sqlite3.Error):
        return f"{name}: cannot open the SQLite file: {error}"
    if isinstance(error, OSError):
        where = f"{parts.hostname}:{parts.port or 5432}"
        return f"{name}: cannot reach the database server at {where}: {error.strerror or error}"
    return None


async def _with_database(environment: Environment, work: Callable[[], Awaitable[T]]) -> T:
    from models.database import close_database, migrate, open_database

    if environment.database_url.startswith("sqlite://"):
        path = environment.database_url.removeprefix("sqlite://")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        await open_database(environment.database_url)
        await migrate(environment.database_url)
    except Exception as error:
        await close_database()
        problem = database_problem(error, environment.database_url)
        if problem is None:
            raise
        raise ConfigurationError(problem) from None
    try:
        return await work()
    finally:
        await close_database()


async def _run(args: argparse.Namespace, environment: Environment, create_app: AppFactory) -> int:
    from resolvers import commands

    if args.command == "serve":
        listening = bound_socket(args.host, args.port)  # before migrating: a taken port fails fast
        await _with_database(environment, _nothing)
        return await _serve(create_app(environment), environment, listening)
    if args.command == "migrate":
        await _with_database(environment, _nothing)
        print(f"Database is up to date: {environment.database_url}")
        return 0
    if args.command == "seed-demo":
        return await _with_database(
            environment,
            lambda: commands.seed_demo(
                environment.settings, os.environ.get("CARESPACE_DEMO_PASSWORD") or None
            ),
        )
    if args.command == "create-healthspace":
        return await _with_database(
            environment,
            lambda: commands.create_healthspace(
                environment.settings, args.name, args.administrator_email
            ),
        )
    if args.command == "send-reminders":
        return await _with_database(
            environment, lambda: commands.send_reminders(environment.settings)
        )
    if args.command == "invite-roster":
        return await _with_database(
            environment,
            lambda: commands.invite_roster_file(
                environment.settings,
                healthspace_id=args.healthspace_id,
                path=args.file,
                inviter_email=args.inviter,
                default_note=args.default_note,
                dry_run=args.dry_run,
                require_existing_account=args.require_existing_account,
            ),
        )
    raise AssertionError(args.command)


async def _nothing() -> int:
    return 0


def bound_socket(host: str, port: int) -> socket.socket:
    """The listening socket for `serve`, bound now so that a taken port is one line at once
    (ConfigurationError) instead of a traceback after start-up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        raise ConfigurationError(
            f"--port (PORT) {port} on {host} is not available ({error.strerror}): "
            "is Carespace already running? Choose another, e.g. make serve PORT=8123"
        ) from None
    listening.set_inheritable(True)
    return listening


async def _serve(app: Starlette, environment: Environment, listening: socket.socket) -> int:
    import uvicorn

    host, port = listening.getsockname()[:2]

    print(f"Carespace is serving GraphQL at http://{host}:{port}/graphql", flush=True)
    if environment.settings.graphiql:
        print(f"Open http://{host}:{port}/graphql in a browser for GraphiQL.", flush=True)
        if not assets_installed():
            print("GraphiQL's assets are not installed (npm ci): it loads them from a CDN.")
    configure_logging(os.environ.get("CARESPACE_LOG_FORMAT") or "json")
    # Carespace writes its own access line (no query string, so no token; no address).
    config = uvicorn.Config(
        app, host=host, port=port, lifespan="on", log_config=None, access_log=False
    )
    await uvicorn.Server(config).serve(sockets=[listening])
    return 0
