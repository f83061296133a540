"""Structured logs (issue 12, item 8): one JSON object a line, each with the request id of the
request it belongs to, and no personal data: no client addresses, no query strings, no
argument values (see error_log.py), and any email address in a message replaced by
`<email>` as a last safety net."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "carespace_request_id", default=None
)
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_EMAIL = re.compile(r"[^\s<>\"'(),;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

access_log = logging.getLogger("carespace.access")


def redact(text: str) -> str:
    """`text` with every email address replaced by `<email>`."""
    return _EMAIL.sub("<email>", text)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ["error", "traceback"], ...}`;
    extra fields given as `extra={"fields": {...}}` are merged in. Messages and tracebacks are
    passed through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": REQUEST_ID.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """Send every logger's records to stderr, one JSON object a line (`fmt="json"`) or as
    plain text (`fmt="text"`, still redacted of email addresses)."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:

        class Text(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                return redact(super().format(record))

        handler.setFormatter(Text("%(levelname)s %(name)s [%(request_id)s]: %(message)s"))
        handler.addFilter(_with_request_id)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _with_request_id(record: logging.LogRecord) -> bool:
    record.request_id = REQUEST_ID.get() or "-"
    return True


class RequestId:
    """Give every HTTP request an id (a well-formed `X-Request-Id` header, else a new one),
    answer it in `X-Request-Id`, and log one access line: method, path, status, duration in
    milliseconds (no query string, no client address)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id") or ""
        request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
            REQUEST_ID.reset(token)
