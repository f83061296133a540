"""Operations (issue 12, item 8): /healthz, /readyz and Prometheus metrics."""

from __future__ import annotations

import httpx
from conftest import Person

import models
from mailer import messages, outbox


async def test_healthz_answers_while_the_process_runs(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_checks_database_migrations_and_relay(http: httpx.AsyncClient) -> None:
    # the test app runs no lifespan tasks: the relay is reported as not running
    response = await http.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"] == "ok"
    assert checks["relay"] != "ok"


async def test_metrics_count_operations_errors_and_the_outbox(
    http: httpx.AsyncClient, client: Person
) -> None:
    # given two named operations, one of them failing, and a mail waiting
    await client("query Me { viewer { id } }")
    await client("query Broken { viewer { nope } }")
    await outbox.enqueue(
        messages.verify_email(to="x@example.org", language="en", first_name="X", link="http://x")
    )

    text = (await http.get("/metrics")).text

    assert 'carespace_graphql_operations_total{operation="Me",outcome="ok"} 1.0' in text
    assert 'carespace_graphql_operations_total{operation="Broken",outcome="error"} 1.0' in text
    assert 'carespace_graphql_duration_seconds_count{operation="Me"} 1.0' in text
    assert 'carespace_http_requests_total{method="POST",status="200"} 2.0' in text
    assert "carespace_outbox_backlog 1.0" in text
    assert "carespace_outbox_failed 0.0" in text
    assert "carespace_reminder_sweeps_total" in text or "carespace_reminder_sweeps" in text
    assert await models.OutboxMessage.all().count() == 1


async def test_operation_names_cannot_flood_the_metrics(http: httpx.AsyncClient) -> None:
    from resolvers.operations import MAX_OPERATION_NAMES, Metrics

    metrics = Metrics()
    labels = {metrics.operation_label(f"Op{i}") for i in range(MAX_OPERATION_NAMES + 50)}
    assert len(labels) == MAX_OPERATION_NAMES + 1 and "other" in labels
    assert metrics.operation_label("x" * 500) == "other"
