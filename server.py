"""Carespace's composition root: settings from the environment, the Starlette app, the GraphQL
schema built from the resolvers' root types, and the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types
from tortoise.contrib.starlette import RegisterTortoise

from mailer.relay import MailSettings, Relay, backend_for
from models.config import DEFAULT_DATABASE_URL, tortoise_config
from permissions.errors import ApiError
from permissions.sessions import bearer_token, session_for_token
from permissions.viewer import Viewer
from resolvers import ROOT_MUTATIONS, ROOT_QUERIES
from schema.context import Context
from schema.extensions import freeze_startup_heap, read_path_extensions
from schema.loaders import Loaders
from schema.settings import Settings

log = logging.getLogger("carespace")

ROOT = Path(__file__).resolve().parent
SCHEMA_FILE = ROOT / "schema.graphql"


class ConfigurationError(Exception):
    """Bad configuration: start-up stops with this one line."""


# --- settings from the environment -------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    database_url: str = DEFAULT_DATABASE_URL
    settings: Settings = field(default_factory=Settings)
    mail: MailSettings = field(default_factory=MailSettings)
    # How often the lifespan tasks look for due mail and due invitation reminders.
    relay_interval: float = 1.0
    reminder_interval: float = 300.0
    # Browser front ends on these origins may call the API (with the session cookie).
    cors_origins: tuple[str, ...] = ()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def _number(
    env: Mapping[str, str],
    name: str,
    default: float,
    kind: type = int,
    *,
    maximum: float | None = None,
) -> Any:
    """A positive number: zero would mean sessions that never last or a relay that never rests."""
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise ConfigurationError(f"{name} must be greater than 0, not {value!r}")
    if maximum is not None and number > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, not {value!r}")
    return number


_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
            raise ConfigurationError(
                f"CARESPACE_CORS_ORIGINS lists origins like https://app.example.org, not {origin!r}"
            )
    return origins


def environment_from(env: Mapping[str, str]) -> Environment:
    """Read and check every CARESPACE_* variable; raise ConfigurationError on the first bad one."""
    database_url = env.get("CARESPACE_DATABASE_URL") or DEFAULT_DATABASE_URL
    scheme = urlsplit(database_url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "asyncpg", "psycopg"}:
        raise ConfigurationError(
            f"CARESPACE_DATABASE_URL must start with sqlite:// or postgres://, not {scheme!r}://"
        )
    public_url = (env.get("CARESPACE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    if urlsplit(public_url).scheme not in {"http", "https"} or not urlsplit(public_url).netloc:
        raise ConfigurationError("CARESPACE_PUBLIC_URL must be an http(s) URL")
    debug = _flag(env, "CARESPACE_DEBUG", True)
    settings = Settings(
        public_url=public_url,
        session_lifetime=timedelta(hours=_number(env, "CARESPACE_SESSION_HOURS", 24 * 14)),
        debug=debug,
        graphiql=_flag(env, "CARESPACE_GRAPHIQL", debug),
        introspection=_flag(env, "CARESPACE_INTROSPECTION", debug),
        secure_cookies=_flag(env, "CARESPACE_SECURE_COOKIES", public_url.startswith("https")),
    )
    backend = env.get("CARESPACE_MAIL_BACKEND") or "file"
    if backend not in {"file", "smtp"}:
        raise ConfigurationError(f"CARESPACE_MAIL_BACKEND must be file or smtp, not {backend!r}")
    tls = (env.get("CARESPACE_SMTP_TLS") or "starttls").lower()
    if tls not in {"none", "starttls", "tls"}:
        raise ConfigurationError(f"CARESPACE_SMTP_TLS must be none, starttls or tls, not {tls!r}")
    mail = MailSettings(
        backend=backend,
        directory=env.get("CARESPACE_MAIL_DIR") or "var/mail",
        host=env.get("CARESPACE_SMTP_HOST") or "localhost",
        port=_number(env, "CARESPACE_SMTP_PORT", _SMTP_PORTS[tls], maximum=65535),
        tls=tls,
        username=env.get("CARESPACE_SMTP_USERNAME") or None,
        password=env.get("CARESPACE_SMTP_PASSWORD") or None,
        sender=env.get("CARESPACE_MAIL_FROM") or "Carespace <no-reply@carespace.local>",
    )
    if backend == "smtp" and not env.get("CARESPACE_SMTP_HOST"):
        raise ConfigurationError("CARESPACE_SMTP_HOST is required when CARESPACE_MAIL_BACKEND=smtp")
    return Environment(
        cors_origins=_origins(env.get("CARESPACE_CORS_ORIGINS") or ""),
        database_url=database_url,
        settings=settings,
        mail=mail,
        relay_interval=_number(env, "CARESPACE_MAIL_RELAY_INTERVAL", 1.0, float),
        reminder_interval=_number(env, "CARESPACE_REMINDER_INTERVAL", 300.0, float),
    )


# --- the GraphQL schema and HTTP app -------------------------------------------------------

Query = merge_types("Query", tuple(ROOT_QUERIES))
Mutation = merge_types("Mutation", tuple(ROOT_MUTATIONS))


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, ApiError):
        return False  # parse/validation errors and our own coded errors go through
    log.error("Unexpected error in %s", error.path, exc_info=original)
    return True


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Coded errors and invalid documents are answers to the client, not faults: nothing to
        log. Unexpected errors are logged with their traceback where they are masked."""


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[Any] = [
        FreshViewerPerOperation,
        lambda: MaskErrors(should_mask_error=_should_mask),
        *read_path_extensions(),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return Schema(query=Query, mutation=Mutation, extensions=extensions)


async def viewer_for(request: Request | WebSocket, settings: Settings) -> Viewer:
    """Who is asking: the live session behind the bearer token or the session cookie."""
    token = bearer_token(request.headers.get("authorization")) or request.cookies.get(
        settings.session_cookie
    )
    session = await session_for_token(token)
    return Viewer(
        account=session.account if session else None,
        session=session,
        ip_address=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
    )


class FreshViewerPerOperation(SchemaExtension):
    """A websocket keeps one context for as long as it is open, but every operation on it is a
    request of its own: the session is looked up again (signed out, expired, closed account)
    and memberships and loaders start empty, so a deactivation takes effect at once there too."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context.context
        if isinstance(context, Context) and isinstance(context.request, WebSocket):
            context.viewer = await viewer_for(context.request, context.settings)
            context.loaders = Loaders()
        yield


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=False,
        )
        self.settings = settings

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        viewer = await viewer_for(request, self.settings)
        return Context(request=request, response=response, settings=self.settings, viewer=viewer)

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)


def create_app(environment: Environment, *, lifespan_tasks: bool = True) -> Starlette:
    """The ASGI app. Its lifespan opens the database and runs the mail relay and the reminder
    schedule; tests drive the app without a lifespan and run those steps themselves."""
    graphql = GraphQLApp(build_schema(environment.settings), environment.settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(environment.database_url)):
            freeze_startup_heap()
            tasks = background_tasks(environment) if lifespan_tasks else []
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    middleware = []
    if environment.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(environment.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=True,
                max_age=600,
            )
        )
    return Starlette(
        routes=[Route("/graphql", graphql), WebSocketRoute("/graphql", graphql)],
        middleware=middleware,
        lifespan=lifespan,
    )


def background_tasks(environment: Environment) -> list[asyncio.Task[None]]:
    from resolvers.reminders import run_reminder_schedule

    relay = Relay(backend_for(environment.mail))
    return [
        asyncio.create_task(relay.run(environment.relay_interval), name="mail-relay"),
        asyncio.create_task(
            run_reminder_schedule(environment.settings, environment.reminder_interval),
            name="invitation-reminders",
        ),
    ]


# --- the command line ------------------------------------------------------------------------


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


def main(argv: list[str] | None = None) -> int:
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
    export.add_argument("--output", default=str(SCHEMA_FILE))
    commands.add_parser("send-reminders", help="send due invitation reminders once (for cron)")
    roster = commands.add_parser("invite-roster", help="invite a roster file into a Healthspace")
    roster.add_argument("healthspace_id")
    roster.add_argument("file")
    roster.add_argument("--inviter", help="email of the staff member who invites")
    roster.add_argument("--default-note", default="")
    roster.add_argument("--dry-run", action="store_true")
    roster.add_argument("--require-existing-account", action="store_true")
    args = parser.parse_args(argv)

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
    return asyncio.run(_run(args, environment))


async def _run(args: argparse.Namespace, environment: Environment) -> int:
    from resolvers import commands

    if args.command == "serve":
        await _with_database(environment, _nothing)
        return await _serve(environment, args.host, args.port)
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


async def _serve(environment: Environment, host: str, port: int) -> int:
    import uvicorn

    app = create_app(environment)
    print(f"Carespace is serving GraphQL at http://{host}:{port}/graphql", flush=True)
    if environment.settings.graphiql:
        print(f"Open http://{host}:{port}/graphql in a browser for GraphiQL.", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", lifespan="on")
    await uvicorn.Server(config).serve()
    return 0


def export_schema() -> str:
    return build_schema(Settings()).as_str() + "\n"


if __name__ == "__main__":
    sys.exit(main())
