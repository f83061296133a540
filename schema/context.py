"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from permissions.viewer import Viewer
from schema.loaders import Loaders
from schema.settings import Settings


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    viewer: Viewer
    loaders: Loaders = field(default_factory=Loaders)
    # What each field's guards found, by field path (see permissions.guards.found).
    guarded: dict[str, Any] = field(default_factory=dict)
    # Access-log writes of record sections read in this request; the response waits for them
    # (see schema.records.AccessLogWritten).
    audit_writes: list[Awaitable[None]] = field(default_factory=list)
