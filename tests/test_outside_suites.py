"""Outside test suites against a live server (issue 12, item 7): the GraphQL-over-HTTP audit
of the npm package graphql-http, and schemathesis in GraphQL mode as an administrator, a
clinician, a client and anonymous. The server is `server.py serve` in a process of its own on
a free loopback port, with the demo data on a SQLite file of its own (these suites run once, in
the SQLite pass of `make test`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import ROOT, free_port

PASSWORD = "demo-horse-4242"
# Fixed: the same cases every run. Cases per root field and role; the four roles together
# stay well under two minutes on the project's 2-core machine.
SEED = 20261130
CASES = 10
ROLES = {
    "anonymous": None,
    "administrator": "administrator@example.com",
    "clinician": "clinician@example.com",
    "client": "client1@example.com",
}

pytestmark = pytest.mark.skipif(
    not os.environ.get("CARESPACE_TEST_DATABASE_URL", "sqlite").startswith("sqlite"),
    reason="the outside suites run once, in the SQLite pass",
)


def _required(what: str) -> None:
    """Skip for lack of a tool, except under CI=true, where it must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required with CI=true")
    pytest.skip(f"{what} is not installed (make setup installs it)")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(GraphQL URL, server log path) of a served Carespace with the demo data."""
    home = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {
        **os.environ,
        "CARESPACE_DATABASE_URL": f"sqlite://{home / 'carespace.sqlite3'}",
        "CARESPACE_MAIL_DIR": str(home / "mail"),
        "CARESPACE_DEMO_PASSWORD": PASSWORD,
        "CARESPACE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CARESPACE_LOG_FORMAT": "json",
        "CARESPACE_MAIL_RELAY_INTERVAL": "60",
    }
    python = sys.executable
    subprocess.run(
        [python, "server.py", "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    log_path = home / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [python, "server.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"the server did not get ready:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield f"{base}/graphql", log_path
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_graphql_over_http_audit_has_no_failures_and_no_warnings(
    live_server: tuple[str, Path],
) -> None:
    # given node, graphql-http and the live server
    node = shutil.which("node")
    if node is None:
        _required("node")
    if not (ROOT / "node_modules" / "graphql-http").is_dir():
        _required("the npm package graphql-http (npm ci)")
    url, _ = live_server
    # when the GraphQL-over-HTTP audit runs
    audit = subprocess.run(
        [node, "tests/outside/graphql_http_audit.mjs", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it reports no error and no warning
    lines = [json.loads(line) for line in audit.stdout.splitlines() if line.startswith("{")]
    summary = lines[-1]
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert summary["error"] == 0 and summary["warn"] == 0, lines
    assert summary["ok"] >= 50


def _token(url: str, email: str) -> str:
    response = httpx.post(
        url,
        json={
            "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            "variables": {"e": email, "p": PASSWORD},
        },
        timeout=30,
    )
    token = response.json()["data"]["signIn"]["token"]
    assert token, response.text
    return token


@pytest.mark.parametrize("role", list(ROLES))
def test_schemathesis_finds_no_internal_error(live_server: tuple[str, Path], role: str) -> None:
    # given the live server and this role's token
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        _required("schemathesis")
    url, log_path = live_server
    email = ROLES[role]
    headers = ["-H", f"Authorization: Bearer {_token(url, email)}"] if email else []
    before = log_path.read_text().count("Unexpected")
    # when schemathesis fuzzes every operation
    run = subprocess.run(
        [
            str(st),
            "run",
            url,
            "--max-examples",
            str(CASES),
            "--seed",
            str(SEED),
            "--phases",
            "fuzzing",
            "--checks",
            "no_internal_error",
            # Signing out would test the rest anonymously: the anonymous run does that.
            "--exclude-name",
            "Mutation.signOut",
            "--no-color",
            *headers,
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
            "PYTHONPATH": str(ROOT / "tests" / "outside"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    # then no operation answered with an internal error
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert log_path.read_text().count("Unexpected") == before
