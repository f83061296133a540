"""The command line: `python server.py <command>`. server.py hands in how to build the app and
the schema; the commands themselves live in resolvers/commands.py."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from schema.settings import ConfigurationError, Environment, environment_from

AppFactory = Callable[[Environment], Starlette]


def parser(schema_file: Path) -> argparse.ArgumentParser:
    """The commands and their arguments."""
    parser = argparse.ArgumentParser(prog="server.py", description="Carespace API server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve /graphql (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
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
    args = parser(schema_file).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "export-schema":
        Path(args.output).write_text(export_schema())
        print(f"Wrote {args.output}")
        return 0
    try:
        environment = environment_from(os.environ)
    except ConfigurationError as error:
        print(f"carespace: configuration error: {error}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, environment, create_app))


async def _with_database(environment: Environment, work: Callable[[], Any]) -> Any:
    from models.database import close_database, migrate, open_database

    if environment.database_url.startswith("sqlite://"):
        path = environment.database_url.removeprefix("sqlite://")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    await open_database(environment.database_url)
    try:
        await migrate(environment.database_url)
        return await work()
    finally:
        await close_database()


async def _run(args: argparse.Namespace, environment: Environment, create_app: AppFactory) -> int:
    from resolvers import commands

    if args.command == "serve":
        await _with_database(environment, _nothing)
        return await _serve(create_app(environment), environment, args.host, args.port)
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


async def _serve(app: Starlette, environment: Environment, host: str, port: int) -> int:
    import uvicorn

    print(f"Carespace is serving GraphQL at http://{host}:{port}/graphql", flush=True)
    if environment.settings.graphiql:
        print(f"Open http://{host}:{port}/graphql in a browser for GraphiQL.", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", lifespan="on")
    await uvicorn.Server(config).serve()
    return 0
