"""Carespace's composition root: the GraphQL schema built from the resolvers' root types with its
extensions, the middleware around the Starlette app, and the command line. The parts live in
schema/settings.py (the environment), resolvers/app.py (the app) and resolvers/cli.py (commands);
hooks such as schema extensions and middlewares are added here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.tools import merge_types

from resolvers import ROOT_MUTATIONS, ROOT_QUERIES, ROOT_SUBSCRIPTIONS, app, cli
from resolvers.app import FreshViewerPerOperation, Schema, SubscriptionsOverWebSocket, should_mask
from resolvers.middleware.body_limit import BodyLimit
from resolvers.middleware.headers import SecurityHeaders
from resolvers.middleware.origins import CookieOrigins
from resolvers.middleware.request_log import RequestId
from resolvers.operations import CountRequests, Health, MeasureOperations, Metrics
from resolvers.operations import routes as operation_routes
from schema.errors_masking import MaskUnexpectedErrors
from schema.execution import PlainLeafExecution, call_resolvers_directly
from schema.exposure import HideSuggestions
from schema.extensions import PassedDocuments, read_path_extensions
from schema.input_limits import BoundedInputs
from schema.limits import EnforceQueryLimits
from schema.records import AccessLogWritten
from schema.settings import ConfigurationError, Environment, Settings, environment_from

__all__ = [
    "SCHEMA_FILE",
    "ConfigurationError",
    "Environment",
    "Schema",
    "build_schema",
    "create_app",
    "environment_from",
    "export_schema",
    "main",
]

ROOT = Path(__file__).resolve().parent
SCHEMA_FILE = ROOT / "schema.graphql"

Query = merge_types("Query", tuple(ROOT_QUERIES))
Mutation = merge_types("Mutation", tuple(ROOT_MUTATIONS))
Subscription = merge_types("Subscription", tuple(ROOT_SUBSCRIPTIONS))


def build_schema(settings: Settings, metrics: Metrics | None = None) -> strawberry.Schema:
    """The schema with its extensions, in the order they wrap an operation."""
    inputs_passed = PassedDocuments()
    extensions: list[Any] = [
        FreshViewerPerOperation,
        SubscriptionsOverWebSocket,
        lambda: MeasureOperations(metrics or Metrics()),
        lambda: EnforceQueryLimits(settings.limits),
        lambda: BoundedInputs(inputs_passed),
        lambda: MaskUnexpectedErrors(should_mask_error=should_mask),
        AccessLogWritten,
        *read_path_extensions(),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    if not settings.debug:
        extensions.append(HideSuggestions)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=PlainLeafExecution,
    )
    call_resolvers_directly(schema)
    return schema


def middleware(environment: Environment, metrics: Metrics) -> list[Middleware]:
    """What wraps every request, outermost first."""
    stack: list[Middleware] = [
        Middleware(RequestId),
        Middleware(CountRequests, metrics=metrics),
        Middleware(SecurityHeaders),
    ]
    if environment.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(environment.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=True,
                max_age=600,
            )
        )
    settings = environment.settings
    stack += [
        Middleware(BodyLimit, max_bytes=settings.limits.max_body_bytes),
        Middleware(
            CookieOrigins,
            cookie=settings.session_cookie,
            allowed=(settings.public_url, *environment.cors_origins),
        ),
    ]
    return stack


def create_app(environment: Environment, *, lifespan_tasks: bool = True) -> Starlette:
    """The ASGI app (see resolvers.app.create_app), with /healthz, /readyz and /metrics."""
    metrics = Metrics()
    health = Health(environment.database_url, expect_tasks=lifespan_tasks)
    return app.create_app(
        environment,
        build_schema(environment.settings, metrics),
        middleware=middleware(environment, metrics),
        routes=operation_routes(health, metrics),
        watch_tasks=health.watch,
        lifespan_tasks=lifespan_tasks,
    )


def export_schema() -> str:
    """The schema as SDL, as committed in schema.graphql."""
    return build_schema(Settings()).as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python server.py <command>`: see resolvers/cli.py."""
    return cli.main(
        argv, create_app=create_app, export_schema=export_schema, schema_file=SCHEMA_FILE
    )


if __name__ == "__main__":
    sys.exit(main())
