"""The HTTP side of Carespace: who is asking (`viewer_for`), the GraphQL endpoint on /graphql
(HTTP and WebSocket), and the Starlette app with its lifespan (database, mail relay, reminder
schedule). server.py decides what goes in: the schema, its extensions and the middleware."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, OperationDefinitionNode, OperationType, ValidationRule
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import SchemaExtension
from tortoise.contrib.starlette import RegisterTortoise

from mailer.relay import Relay, backend_for
from models.config import tortoise_config
from permissions.errors import ApiError
from permissions.sessions import bearer_token, session_for_token
from permissions.viewer import Viewer
from resolvers.middleware.error_log import log_unexpected
from resolvers.middleware.graphql_response import GraphQLResponseMedia
from resolvers.pages.explorer import asset, assets_installed, explorer_page
from resolvers.pages.mail_links import PAGES, mail_link_page
from schema.context import Context
from schema.extensions import freeze_startup_heap
from schema.loaders import Loaders
from schema.settings import Environment, Settings

log = logging.getLogger("carespace")


def should_mask(error: GraphQLError) -> bool:
    """Mask (as "Unexpected error.") and log anything that is not a parse/validation error or
    one of our coded errors."""
    original = error.original_error
    if original is None or isinstance(original, ApiError):
        return False  # parse/validation errors and our own coded errors go through
    log_unexpected(error)
    return True


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Coded errors and invalid documents are answers to the client, not faults: nothing to
        log. Unexpected errors are logged with their traceback where they are masked."""


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

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and isinstance(context.request, WebSocket):
            context.viewer = await viewer_for(context.request, context.settings)
            context.loaders = Loaders()
        yield


class _NoSubscriptionOverHttp(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if node.operation == OperationType.SUBSCRIPTION:
            self.report_error(
                GraphQLError(
                    "Subscriptions run over a websocket (graphql-transport-ws) on /graphql, "
                    "not over HTTP.",
                    node,
                    extensions={"code": "BAD_REQUEST"},
                )
            )


class SubscriptionsOverWebSocket(SchemaExtension):
    """A subscription sent over HTTP (POST, or GET) is a request error (BAD_REQUEST) found in
    validation, before any resolver runs. Strawberry lets it through to plain execution, where
    the resolver's stream cannot be completed: "Unexpected error." and a logged fault (issue 12:
    no input gives an unexpected error). Websocket operations are not touched."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        if not isinstance(getattr(context.context, "request", None), WebSocket):
            context.validation_rules = (*context.validation_rules, _NoSubscriptionOverHttp)
        yield


class GraphQLApp(GraphQLResponseMedia, GraphQL[Context, None]):
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

    async def render_graphql_ide(self, request: Request) -> Response:
        """The explorer from Carespace's own assets, or strawberry's CDN page without them."""
        if assets_installed():
            return explorer_page()
        return await super().render_graphql_ide(request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(
    environment: Environment,
    schema: strawberry.Schema,
    *,
    middleware: Sequence[Middleware] = (),
    routes: Sequence[BaseRoute] = (),
    watch_tasks: Callable[[list[asyncio.Task[None]]], None] | None = None,
    lifespan_tasks: bool = True,
) -> Starlette:
    """The ASGI app. Its lifespan opens the database and runs the mail relay and the reminder
    schedule; tests drive the app without a lifespan and run those steps themselves."""
    graphql = GraphQLApp(schema, environment.settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(environment.database_url)):
            freeze_startup_heap()
            tasks = background_tasks(environment) if lifespan_tasks else []
            if watch_tasks is not None:
                watch_tasks(tasks)
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    served: list[BaseRoute] = [
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        Route("/graphql/assets/{name}", asset),
        *routes,
    ]
    if environment.settings.builtin_pages:
        served += [Route(path, mail_link_page) for path in PAGES]
    return Starlette(routes=served, middleware=list(middleware), lifespan=lifespan)


def background_tasks(environment: Environment) -> list[asyncio.Task[None]]:
    """The lifespan's workers: the outbox relay and the invitation reminder schedule."""
    from domain.reminders import run_reminder_schedule

    relay = Relay(backend_for(environment.mail))
    return [
        asyncio.create_task(relay.run(environment.relay_interval), name="mail-relay"),
        asyncio.create_task(
            run_reminder_schedule(environment.settings, environment.reminder_interval),
            name="invitation-reminders",
        ),
    ]
