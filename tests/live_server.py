"""A real `python server.py serve` on a free loopback port, on a fresh SQLite file with the demo
data, for the tests that need a live server (browser, WebSocket, access log); and `run_server`,
one `server.py` command on a SQLite file in a temporary folder, with `rows` to read that file."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-password-2026"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>
    log: Path  # everything the server printed, access log included
    mail: Path  # the file mail backend's folder

    def graphql(self, query: str, token: str | None = None, **variables: object) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        return response.json()

    def sign_in(self, email: str) -> str:
        result = self.graphql(
            "mutation($email: String!, $password: String!) {"
            " signIn(email: $email, password: $password) { token errors { code } } }",
            email=email,
            password=DEMO_PASSWORD,
        )
        return str(result["data"]["signIn"]["token"])


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This process's environment without CARESPACE_*, on a SQLite file in tmp_path."""
    return {key: value for key, value in os.environ.items() if not key.startswith("CARESPACE_")} | {
        "CARESPACE_DATABASE_URL": f"sqlite://{tmp_path / 'carespace.sqlite3'}",
        "CARESPACE_MAIL_DIR": str(tmp_path / "mail"),
        "CARESPACE_MAIL_RELAY_INTERVAL": "0.2",
        **variables,
    }


@contextmanager
def live_server(tmp_path: Path, **variables: str) -> Iterator[LiveServer]:
    """Seed the demo data (password DEMO_PASSWORD), start the server, wait until it answers."""
    env = environment(tmp_path, CARESPACE_DEMO_PASSWORD=DEMO_PASSWORD, **variables)
    seeded = subprocess.run(
        [sys.executable, "server.py", "seed-demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "server.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.post(f"{url}/graphql", json={"query": "{ viewer { id } }"}, timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the server did not start within a minute"
                time.sleep(0.2)
        yield LiveServer(url=url, log=log_path, mail=tmp_path / "mail")
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_server(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CARESPACE_")
    }
    environment |= {
        "CARESPACE_DATABASE_URL": f"sqlite://{tmp_path / 'carespace.sqlite3'}",
        "CARESPACE_MAIL_DIR": str(tmp_path / "mail"),
        **variables,
    }
    return subprocess.run(
        [sys.executable, "server.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "carespace.sqlite3") as connection:
        return connection.execute(sql).fetchall()
