"""The check schemathesis runs against Carespace (loaded through SCHEMATHESIS_HOOKS): coded
GraphQL errors (NOT_FOUND, FORBIDDEN, BAD_USER_INPUT, ...) are answers, not faults; a 5xx
status or a masked "Unexpected error." is a fault."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def no_internal_error(ctx: Any, response: Any, case: Any) -> None:
    """Fail on any status of 500 or more and on any error answered "Unexpected error."."""
    assert response.status_code < 500, f"status {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        assert error.get("message") != "Unexpected error.", f"masked internal error: {error}"
