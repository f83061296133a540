"""The command line, run as a person would: `python server.py <command>` in a subprocess, on a
fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from live_server import DEMO_PASSWORD, ROOT, free_port, rows, run_server

DEMO_SIGN_INS = [
    "administrator@example.com",
    "assistant@example.com",
    "clinician@example.com",
    "client1@example.com",
    "client2@example.com",
]


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = run_server(tmp_path, "migrate")

    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert rows(tmp_path, "SELECT COUNT(*) FROM account") == [(0,)]


def test_seed_demo_prints_the_five_sign_ins_and_can_run_twice(tmp_path: Path) -> None:
    # when the demo data is seeded twice
    first = run_server(tmp_path, "seed-demo", CARESPACE_DEMO_PASSWORD=DEMO_PASSWORD)
    second = run_server(tmp_path, "seed-demo", CARESPACE_DEMO_PASSWORD=DEMO_PASSWORD)

    # then both runs print the sign-ins and the data is there once
    for result in (first, second):
        assert result.returncode == 0, result.stderr
        for email in DEMO_SIGN_INS:
            assert email in result.stdout
        assert f"Demo password: {DEMO_PASSWORD}" in result.stdout
    assert rows(tmp_path, "SELECT name FROM healthspace") == [("Demo Practice",)]
    assert sorted(email for (email,) in rows(tmp_path, "SELECT email FROM account")) == sorted(
        DEMO_SIGN_INS
    )
    assert rows(tmp_path, "SELECT kind, COUNT(*) FROM member GROUP BY kind ORDER BY kind") == [
        ("CLIENT", 2),
        ("STAFF", 3),
    ]
    # The clinician is connected to both clients, once each.
    assert rows(tmp_path, "SELECT COUNT(*) FROM connection WHERE ended_at IS NULL") == [(2,)]
    for (password_hash,) in rows(tmp_path, "SELECT password_hash FROM account"):
        assert PasswordHasher().verify(str(password_hash), DEMO_PASSWORD)


def test_seed_demo_generates_and_prints_a_password_when_none_is_set(tmp_path: Path) -> None:
    result = run_server(tmp_path, "seed-demo")

    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("Demo password: ")]
    password = line.removeprefix("Demo password: ").split()[0]
    assert len(password) >= 10
    [(password_hash,)] = rows(
        tmp_path, "SELECT password_hash FROM account WHERE email = 'clinician@example.com'"
    )
    assert PasswordHasher().verify(str(password_hash), password)


def test_seed_demo_refuses_a_weak_demo_password(tmp_path: Path) -> None:
    result = run_server(tmp_path, "seed-demo", CARESPACE_DEMO_PASSWORD="demo")

    assert result.returncode == 2
    assert "CARESPACE_DEMO_PASSWORD" in result.stdout + result.stderr


def test_create_healthspace_makes_the_healthspace(tmp_path: Path) -> None:
    result = run_server(tmp_path, "create-healthspace", "Praktijk Noord", "Boss@Example.com")

    assert result.returncode == 0, result.stdout + result.stderr
    assert rows(tmp_path, "SELECT name FROM healthspace") == [("Praktijk Noord",)]


@pytest.mark.parametrize(("name", "email"), [("Praktijk Noord", "not-an-email"), ("  ", "a@b.nl")])
def test_create_healthspace_refuses_bad_arguments(tmp_path: Path, name: str, email: str) -> None:
    result = run_server(tmp_path, "create-healthspace", name, email)

    assert result.returncode != 0
    assert rows(tmp_path, "SELECT COUNT(*) FROM healthspace") == [(0,)]


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    output = tmp_path / "schema.graphql"

    result = run_server(tmp_path, "export-schema", "--output", str(output))

    assert result.returncode == 0, result.stderr
    assert "type Mutation {" in output.read_text()


def test_serve_answers_graphql_and_its_relay_delivers_mail(tmp_path: Path) -> None:
    # given a served Carespace on a free port
    port = free_port()
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CARESPACE_")
    } | {
        "CARESPACE_DATABASE_URL": f"sqlite://{tmp_path / 'carespace.sqlite3'}",
        "CARESPACE_MAIL_DIR": str(tmp_path / "mail"),
        "CARESPACE_MAIL_RELAY_INTERVAL": "0.2",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "server.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        deadline = time.monotonic() + 60
        while True:
            try:
                viewer = httpx.post(url, json={"query": "{ viewer { id } }"}, timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start within a minute"
                time.sleep(0.2)
        assert viewer.json() == {"data": {"viewer": None}}

        # when someone signs up
        signed_up = httpx.post(
            url,
            json={
                "query": "mutation($input: SignUpInput!) { signUp(input: $input) { errors { code } } }",
                "variables": {
                    "input": {
                        "email": "anna@example.org",
                        "password": "correct-horse-42",
                        "firstName": "Anna",
                        "lastName": "Jansen",
                    }
                },
            },
            timeout=30,
        )
        assert signed_up.json() == {"data": {"signUp": {"errors": []}}}

        # then the relay writes the verification mail as a .eml file
        mail_dir = tmp_path / "mail"
        while not list(mail_dir.glob("*.eml")):
            assert time.monotonic() < deadline, "the relay did not deliver the verification mail"
            time.sleep(0.2)
        [mail] = list(mail_dir.glob("*.eml"))
        assert "anna@example.org" in mail.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
