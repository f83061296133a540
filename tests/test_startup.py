"""A newcomer's first hour at the terminal: every bad configuration is one line naming the
variable and the problem, with exit code 2 (read from the real command); a taken port is one line
at once; running `seed-demo` twice keeps the demo password; `serve --port` moves the mail links."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from live_server import DEMO_PASSWORD, ROOT, environment, live_server

POSTGRES = os.environ.get("CARESPACE_TEST_DATABASE_URL", "")
POSTGRES_SERVER = (
    POSTGRES if POSTGRES.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> bool:
    parts = urlsplit(POSTGRES_SERVER)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2).close()
        return True
    except OSError:
        return False


def on_postgres(path: str, user: str | None = None) -> str:
    parts = urlsplit(POSTGRES_SERVER)
    netloc = parts.netloc if user is None else f"{user}@{parts.hostname}:{parts.port or 5432}"
    return parts._replace(netloc=netloc, path=path).geturl()


def run(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "server.py", *args],
        cwd=ROOT,
        env=environment(tmp_path, **variables),
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command's only line of output (on stderr), after checking the exit code."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite://", "sqlite:// needs a file"),
        ("postgres://postgres@127.0.0.1:abc/carespace", "port that is not a number"),
        ("postgres://postgres@127.0.0.1:5432", "names no database"),
        ("postgres://postgres@127.0.0.1:5432/", "names no database"),
        ("postgres://postgres@127.0.0.1:1/carespace", "cannot reach the database server"),
    ],
)
def test_a_bad_database_url_is_one_line(tmp_path: Path, url: str, problem: str) -> None:
    line = one_line(run(tmp_path, "migrate", CARESPACE_DATABASE_URL=url))

    assert line.startswith("carespace: configuration error: CARESPACE_DATABASE_URL")
    assert problem in line


@pytest.mark.parametrize(
    ("path", "user", "problem"),
    [
        (
            "/carespace_missing_database",
            None,
            "database 'carespace_missing_database' does not exist",
        ),
        # The test server trusts local users, so an unknown role stands in for a wrong password:
        # both are the server refusing the sign-in (SQLSTATE class 28).
        ("/test", "nobody:wrong-password", "refused the user or password"),
    ],
)
def test_a_database_that_refuses_is_one_line(
    tmp_path: Path, path: str, user: str | None, problem: str
) -> None:
    if not postgres_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required with CI=true: {POSTGRES_SERVER}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_SERVER}")

    line = one_line(run(tmp_path, "migrate", CARESPACE_DATABASE_URL=on_postgres(path, user)))

    assert line.startswith("carespace: configuration error: CARESPACE_DATABASE_URL")
    assert problem in line
    assert "wrong-password" not in line  # the password is not printed


def test_a_port_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    line = one_line(run(tmp_path, "serve", "--port", "80a"))

    assert (
        line
        == "carespace: configuration error: --port (PORT) must be a number from 1 to 65535, not '80a'"
    )


def test_a_taken_port_is_one_line_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()

        line = one_line(run(tmp_path, "serve", "--port", str(port)))

    assert f"--port (PORT) {port} on 127.0.0.1 is not available" in line
    assert time.monotonic() - started < 20  # not the 30 s shutdown wait of a started server


def test_seed_demo_keeps_the_demo_password_unless_one_is_given(tmp_path: Path) -> None:
    # given demo data seeded with a generated password
    first = run(tmp_path, "seed-demo")
    [line] = [line for line in first.stdout.splitlines() if line.startswith("Demo password: ")]
    generated = line.removeprefix("Demo password: ").split()[0]

    # when it is seeded again, then again with a chosen password
    again = run(tmp_path, "seed-demo")
    chosen = run(tmp_path, "seed-demo", CARESPACE_DEMO_PASSWORD=DEMO_PASSWORD)

    # then the second run keeps the password and the third sets the chosen one for every account
    assert "Demo password: unchanged" in again.stdout
    assert f"Demo password: {DEMO_PASSWORD}" in chosen.stdout
    # The generated password worked until a chosen one replaced it.
    import sqlite3

    from argon2 import PasswordHasher

    with sqlite3.connect(tmp_path / "carespace.sqlite3") as connection:
        hashes = [row[0] for row in connection.execute("SELECT password_hash FROM account")]
    assert len(hashes) == 5
    for password_hash in hashes:
        assert PasswordHasher().verify(password_hash, DEMO_PASSWORD)
    assert generated != DEMO_PASSWORD


def test_mail_links_follow_the_served_port_unless_the_public_url_is_set(tmp_path: Path) -> None:
    # given a server on its own port, and one with a public URL set
    signup = (
        'mutation { signUp(input: {email: "sam@example.org", password: "a-long-secret-9",'
        ' firstName: "Sam", lastName: "Jansen"}) { errors { code } } }'
    )
    for folder, variables, expected in (
        ("served", {}, None),
        (
            "public",
            {"CARESPACE_PUBLIC_URL": "https://care.example.org"},
            "https://care.example.org",
        ),
    ):
        (tmp_path / folder).mkdir()
        with live_server(tmp_path / folder, **variables) as server:
            # when someone signs up, then the mail links to the served port or the public URL
            assert server.graphql(signup) == {"data": {"signUp": {"errors": []}}}
            deadline = time.monotonic() + 30
            while not list(server.mail.glob("*.eml")):
                assert time.monotonic() < deadline, "no verification mail"
                time.sleep(0.2)
            [mail] = list(server.mail.glob("*.eml"))
            text = mail.read_text()
        assert f"{expected or server.url}/verify-email?token=" in text.replace("=\n", "")
