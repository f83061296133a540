"""One shape for the answers the HTTP edge gives itself: a GraphQL error body with a code."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Send


async def send_error(send: Send, status: int, code: str, message: str, **details: Any) -> None:
    """Answer `status` with `{"errors": [{"message", "extensions": {"code", **details}}]}`."""
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code, **details}}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
