"""Several processes writing one SQLite file at once: the server, `send-reminders` from cron and
`invite-roster` from a shell. Writers wait their turn (WAL, a busy timeout, BEGIN IMMEDIATE)
instead of failing with "database is locked"; every reminder goes out exactly once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import DEMO_PASSWORD, ROOT, free_port, rows, run_server

SIGN_IN = """
mutation($email: String!, $password: String!) {
  signIn(email: $email, password: $password) { token errors { code message } }
}
"""

INVITE_CLIENT = """
mutation($input: InviteClientInput!) {
  inviteClient(input: $input) { invitation { id } errors { code message } }
}
"""

HEALTHSPACE_ID = "SELECT id FROM healthspace WHERE name = 'Demo Practice'"
DUE = 200  # invitations whose reminder is due when the sweeps start
ROSTER_LINES = 200
MAX_BURST = 400  # API writes at most, while the commands run


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("CARESPACE_")} | {
        "CARESPACE_DATABASE_URL": f"sqlite://{tmp_path / 'carespace.sqlite3'}",
        "CARESPACE_MAIL_DIR": str(tmp_path / "mail"),
        **variables,
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A real server process on the file database (its relay writes too); yields its URL."""
    assert run_server(tmp_path, "seed-demo", CARESPACE_DEMO_PASSWORD=DEMO_PASSWORD).returncode == 0
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "server.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=environment(
            tmp_path, CARESPACE_MAIL_RELAY_INTERVAL="0.05", CARESPACE_REMINDER_INTERVAL="3600"
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.post(url, json={"query": "{ viewer { id } }"}, timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start within a minute"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def call(url: str, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        url, json={"query": query, "variables": variables}, headers=headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def invite(url: str, token: str, healthspace_id: str, email: str) -> dict[str, Any]:
    return call(
        url,
        token,
        INVITE_CLIENT,
        input={
            "healthspaceId": healthspace_id,
            "email": email,
            "firstName": "Pat",
            "lastName": "Ient",
        },
    )


def test_commands_and_api_writes_beside_each_other_all_succeed(tmp_path: Path, server: str) -> None:
    # Given invitations whose first reminder is due, and a roster file of new people
    token = call(server, None, SIGN_IN, email="administrator@example.com", password=DEMO_PASSWORD)[
        "data"
    ]["signIn"]["token"]
    [(healthspace_id,)] = rows(tmp_path, HEALTHSPACE_ID)
    due = tmp_path / "due.txt"
    due.write_text("".join(f"due{number}@example.org\n" for number in range(DUE)), "utf-8")
    assert run_server(tmp_path, "invite-roster", healthspace_id, str(due)).returncode == 0
    with sqlite3.connect(tmp_path / "carespace.sqlite3") as connection:
        connection.execute(
            "UPDATE invitation SET next_reminder_at = created_at WHERE email LIKE 'due%'"
        )
    roster = tmp_path / "roster.txt"
    roster.write_text(
        "".join(f"roster{number}@example.org\n" for number in range(ROSTER_LINES)),
        encoding="utf-8",
    )

    # When three reminder sweeps and a roster run start together, beside a burst of API writes
    commands = [
        subprocess.Popen(
            [sys.executable, "server.py", *args],
            cwd=ROOT,
            env=environment(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in (
            ["send-reminders"],
            ["send-reminders"],
            ["invite-roster", healthspace_id, str(roster)],
            ["send-reminders"],
        )
    ]
    answers: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    with ThreadPoolExecutor(max_workers=6) as pool:
        while any(c.poll() is None for c in commands) and len(answers) < MAX_BURST:
            assert time.monotonic() < deadline, "the commands did not finish within two minutes"
            start = len(answers)
            answers += pool.map(
                lambda n: invite(server, token, healthspace_id, f"burst{n}@example.org"),
                range(start, start + 6),
            )
    outputs = [c.communicate(timeout=120) for c in commands]

    # Then every command and every API call succeeded
    for command, (stdout, stderr) in zip(commands, outputs, strict=True):
        assert command.returncode == 0, stdout + stderr
        assert "locked" not in stderr and "Traceback" not in stderr, stderr
    assert len(answers) >= 6
    for answer in answers:
        assert "errors" not in answer, answer
        assert answer["data"]["inviteClient"]["errors"] == [], answer
    server_log = (tmp_path / "server.log").read_text()
    assert "locked" not in server_log and "Unexpected error" not in server_log, server_log

    # And every due reminder went out exactly once, whichever sweep sent it
    reminded = [
        int(stdout.split("Invitation reminders queued: ")[1].split(";")[0])
        for stdout, _ in (outputs[0], outputs[1], outputs[3])
    ]
    assert sum(reminded) == DUE
    assert rows(
        tmp_path,
        "SELECT COUNT(*), COUNT(DISTINCT to_address) FROM outbox_message "
        "WHERE template = 'invitation_reminder'",
    ) == [(DUE, DUE)]
    assert rows(
        tmp_path, "SELECT reminders_sent, COUNT(*) FROM invitation WHERE email LIKE 'due%'"
    ) == [(1, DUE)]
    assert f"sent {ROSTER_LINES}" in " ".join(outputs[2][0].split())
    assert rows(tmp_path, "SELECT COUNT(*) FROM invitation WHERE email LIKE 'roster%'") == [
        (ROSTER_LINES,)
    ]
    assert rows(tmp_path, "SELECT COUNT(*) FROM invitation WHERE email LIKE 'burst%'") == [
        (len(answers),)
    ]
