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


async def test_logs_are_json_lines_with_the_request_id_and_no_personal_data(
    http: httpx.AsyncClient, people: object, monkeypatch: object
) -> None:
    import io
    import json
    import logging

    from resolvers.middleware.request_log import JsonFormatter
    from schema.accounts import Account

    # given a fault whose message carries an address, and logs written as JSON
    account = await people.account("private.person@example.org")  # type: ignore[attr-defined]

    def broken(row: models.Account) -> Account:
        raise ValueError(f"cannot show {row.email}")

    monkeypatch.setattr(Account, "from_row", staticmethod(broken))  # type: ignore[attr-defined]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("carespace")
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        # when a request with an id of its own fails inside
        response = await http.post(
            "/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                "variables": {"e": account.email, "p": "correct-horse-42"},
            },
            headers={"X-Request-Id": "req-42"},
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    # then the answer names the id, and every log line is JSON with it and without the address
    assert response.headers["x-request-id"] == "req-42"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all(line["request_id"] == "req-42" for line in lines)
    assert any(line["level"] == "ERROR" and "ValueError" in line["message"] for line in lines)
    assert any(line["logger"] == "carespace.access" and line["status"] == 200 for line in lines)
    assert "private.person" not in stream.getvalue()


def test_redaction_of_addresses() -> None:
    from resolvers.middleware.request_log import redact

    assert redact("550 <Someone.Else@Example.org> unknown") == "550 <<email>> unknown"
