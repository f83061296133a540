"""WebSocket sessions speaking graphql-transport-ws: `WebSocketSession` drives the ASGI app in
the test's own event loop (each operation subscribes and reads to `complete`); `subscribe` and
`receive` use a real WebSocket client (the `websockets` package) against a live server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import websockets
from conftest import PUBLIC_URL
from live_server import LiveServer

from schema.settings import Settings
from server import Environment, create_app

WS_PROTOCOL = "graphql-transport-ws"


class WebSocketSession:
    """A graphql-transport-ws connection to the ASGI app, driven in the test's own event loop."""

    def __init__(self, token: str | None) -> None:
        self.app = create_app(
            Environment(settings=Settings(public_url=PUBLIC_URL)), lifespan_tasks=False
        )
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        headers = [(b"host", b"carespace.test"), (b"sec-websocket-protocol", WS_PROTOCOL.encode())]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        self.scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("203.0.113.7", 51000),
            "server": ("carespace.test", 80),
            "subprotocols": [WS_PROTOCOL],
        }
        self.task: asyncio.Task[None] | None = None
        self.count = 0

    async def _receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def _send(self, message: dict[str, Any]) -> None:
        await self.outgoing.put(message)

    async def _next(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.outgoing.get(), timeout=10)
        if message["type"] == "websocket.send":
            return json.loads(message.get("text") or message["bytes"])
        return message

    async def __aenter__(self) -> WebSocketSession:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        await self.incoming.put({"type": "websocket.connect"})
        assert (await self._next())["type"] == "websocket.accept"
        await self._text({"type": "connection_init"})
        assert (await self._next())["type"] == "connection_ack"
        return self

    async def _text(self, payload: dict[str, Any]) -> None:
        await self.incoming.put({"type": "websocket.receive", "text": json.dumps(payload)})

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        self.count += 1
        operation = str(self.count)
        await self._text(
            {
                "id": operation,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )
        result: dict[str, Any] = {}
        while True:
            message = await self._next()
            if message.get("type") == "next":
                result = message["payload"]
            elif message.get("type") == "error":
                return {"data": None, "errors": message["payload"]}
            elif message.get("type") == "complete":
                return result
            else:
                raise AssertionError(message)

    async def __aexit__(self, *exc: object) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        assert self.task is not None
        try:
            await asyncio.wait_for(self.task, timeout=10)
        except Exception:  # closing is best effort
            self.task.cancel()


async def subscribe(
    server: LiveServer, token: str | None, query: str, variables: dict[str, Any]
) -> Any:
    """A real WebSocket to a live server, past connection_ack, with one subscription (id "1")
    to `query` sent."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    socket = await websockets.connect(
        server.url.replace("http", "ws") + "/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers=headers,
    )
    await socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await socket.recv()) == {"type": "connection_ack"}
    await socket.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )
    )
    return socket


async def receive(socket: Any) -> dict[str, Any]:
    """The next message of a `subscribe` socket, waiting at most 15 s."""
    return dict(json.loads(await asyncio.wait_for(socket.recv(), timeout=15)))
