"""Subscriptions end to end: a real WebSocket client (the `websockets` package) speaks
graphql-transport-ws to a live uvicorn on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer, live_server
from websocket_session import receive, subscribe

TASKS_CHANGED = """
subscription($id: ID!) {
  tasksChanged(healthspaceId: $id) { openInvitations clientsWithoutConnection myClientsWithTasks }
}
"""
MY_HEALTHSPACE = "{ viewer { memberships { healthspace { id } } } }"
SIGN_OUT = "mutation { signOut { errors { code } } }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("websocket")) as live:
        yield live


def healthspace_id(server: LiveServer, token: str) -> str:
    data = server.graphql(MY_HEALTHSPACE, token)["data"]
    return str(data["viewer"]["memberships"][0]["healthspace"]["id"])


async def test_staff_get_the_task_counts_and_lose_them_when_they_sign_out(
    server: LiveServer, tmp_path: Path
) -> None:
    # given an assistant subscribed to their Healthspace's tasks
    token = server.sign_in("assistant@example.com")
    socket = await subscribe(server, token, TASKS_CHANGED, {"id": healthspace_id(server, token)})
    try:
        assert socket.subprotocol == "graphql-transport-ws"
        first = await receive(socket)
        assert first == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "tasksChanged": {
                        "openInvitations": 0,
                        "clientsWithoutConnection": 0,
                        "myClientsWithTasks": 0,
                    }
                }
            },
        }

        # when their session ends
        assert server.graphql(SIGN_OUT, token) == {"data": {"signOut": {"errors": []}}}

        # then the subscription ends with the error a new request would get
        ended = await receive(socket)
        assert ended["type"] == "next"
        assert ended["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await receive(socket) == {"id": "1", "type": "complete"}
    finally:
        await socket.close()


async def test_clients_and_strangers_are_refused(server: LiveServer) -> None:
    client = server.sign_in("client1@example.com")
    hid = healthspace_id(server, client)

    for token, code in ((client, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        socket = await subscribe(server, token, TASKS_CHANGED, {"id": hid})
        try:
            answer = await receive(socket)
            assert answer["type"] == "error", answer
            assert answer["payload"][0]["extensions"]["code"] == code
        finally:
            await socket.close()
