"""Operations (issue 12, item 8): /healthz, /readyz, Prometheus metrics at /metrics, and the
schema extension that measures GraphQL operations by name.

Metrics (prometheus-client, one registry per app so tests and several apps do not mix):
`carespace_http_requests_total{method,status}`, `carespace_graphql_operations_total{operation,
outcome}` (outcome ok / error), `carespace_graphql_duration_seconds{operation}`,
`carespace_outbox_backlog` (mail waiting to be sent), `carespace_outbox_failed` (mail given up
on), `carespace_reminder_sweeps_total{outcome}`. Operation names are what clients send, so
only names of up to 60 word characters count, and at most `MAX_OPERATION_NAMES` of them;
others are counted as "other"."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from mailer import outbox
from models.config import tortoise_config

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_]\w{0,59}$")


class Metrics:
    """The app's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "carespace_http_requests",
            "HTTP requests answered, by method and status code.",
            ["method", "status"],
            registry=self.registry,
        )
        self.operations = Counter(
            "carespace_graphql_operations",
            "GraphQL operations, by operation name and outcome (ok, error).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "carespace_graphql_duration_seconds",
            "Time to answer a GraphQL operation, by operation name.",
            ["operation"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "carespace_outbox_backlog", "Mails waiting to be sent.", registry=self.registry
        )
        self.outbox_failed = Gauge(
            "carespace_outbox_failed", "Mails given up on after retries.", registry=self.registry
        )
        self._names: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        """The label for operation `name`: itself when well-formed and among the first
        MAX_OPERATION_NAMES seen, "anonymous" without a name, "other" otherwise."""
        if not name:
            return "anonymous"
        if not _NAME.match(name):
            return "other"
        if name not in self._names:
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
        return name


class MeasureOperations(SchemaExtension):
    """Counts and times every GraphQL operation in `metrics` by name and outcome."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        label = self.metrics.operation_label(context.operation_name)
        result = context.result
        failed = bool(context.pre_execution_errors) or bool(result is not None and result.errors)
        self.metrics.operations.labels(label, "error" if failed else "ok").inc()
        self.metrics.duration.labels(label).observe(time.perf_counter() - started)


class CountRequests:
    """ASGI middleware counting HTTP responses by method and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.requests.labels(scope["method"], str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)


@dataclass
class Health:
    """What /readyz looks at: the database URL and the lifespan's background tasks (the mail
    relay among them), set by server.py's lifespan."""

    database_url: str
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    expect_tasks: bool = True

    def watch(self, tasks: list[asyncio.Task[None]]) -> None:
        """Look at these background tasks from now on (the lifespan's, once started)."""
        self.tasks = tasks


async def readiness(health: Health) -> dict[str, str]:
    """ "ok" or a reason for each of: database, migrations, relay."""
    checks: dict[str, str] = {}
    try:
        connection = get_connection("default")
        await connection.execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable ({type(error).__name__})"
        checks["migrations"] = "unknown"
    if checks["database"] == "ok":
        apps = tortoise_config(health.database_url)["apps"]
        try:
            pending = await MigrationExecutor(get_connection("default"), apps).plan()
            checks["migrations"] = "ok" if not pending else f"{len(pending)} not applied"
        except Exception as error:
            checks["migrations"] = f"unknown ({type(error).__name__})"
    relay = next((t for t in health.tasks if t.get_name() == "mail-relay"), None)
    if relay is not None and not relay.done():
        checks["relay"] = "ok"
    else:
        checks["relay"] = "not running" if health.expect_tasks or relay else "not started here"
    return checks


def routes(health: Health, metrics: Metrics) -> list[Route]:
    """/healthz (200 while the process answers), /readyz (200 when every check is ok, else
    503 with the checks) and /metrics (Prometheus text format)."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await readiness(health)
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    async def metrics_endpoint(request: Request) -> Response:
        try:
            pending, failed = await outbox.backlog()
            metrics.outbox_backlog.set(pending)
            metrics.outbox_failed.set(failed)
        except Exception:  # the database is down: the other metrics still tell something
            pass
        body = generate_latest(metrics.registry) + generate_latest()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
