"""The explorer and the built-in pages in a real browser: headless Debian Chromium driven by
Playwright (the Python package, pointed at the system Chromium: no browser download). Nothing may
leave the machine: every request to another host is blocked and fails the test.

Without Chromium this is skipped with one line, unless CI=true, where it is required."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from live_server import ROOT, LiveServer, live_server

from resolvers.pages.explorer import assets_installed

ARTEFACTS = ROOT / "test-artefacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

SIGN_IN = (
    'mutation { signIn(email: "clinician@example.com", password: "demo-password-2026") '
    "{ errors { code } } }"
)
VIEWER = "{ viewer { email } }"
EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE = ".graphiql-response .CodeMirror"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not assets_installed():
        return "GraphiQL's assets are not installed (npm ci)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    missing = _missing()
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"The browser test is required with CI=true: {missing}")
    if missing:
        pytest.skip(f"BROWSER TEST SKIPPED: {missing}; CI=true makes it required")
    with live_server(tmp_path_factory.mktemp("browser")) as live:
        yield live


@pytest.fixture
def browser_page(server: LiveServer) -> Iterator[tuple[object, list[str], list[str]]]:
    """A fresh page, the requests that tried to leave the machine, and CSP complaints."""
    from playwright.sync_api import Route, sync_playwright

    outside: list[str] = []
    violations: list[str] = []
    own = urlsplit(server.url).netloc

    def only_here(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(locale="nl-NL")
        context.route("**/*", only_here)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        try:
            yield page, outside, violations
        finally:
            browser.close()


def run_in_graphiql(page: object, query: str) -> str:
    """Type a document into GraphiQL's editor, press Run, and read the answer from the page."""
    page.evaluate(f"q => document.querySelector('{EDITOR}').CodeMirror.setValue(q)", query)  # type: ignore[attr-defined]
    page.evaluate(f"() => document.querySelector('{RESPONSE}').CodeMirror.setValue('')")  # type: ignore[attr-defined]
    page.click(".graphiql-execute-button")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        f"() => document.querySelector('{RESPONSE}').CodeMirror.getValue().includes('data')"
    )
    return str(page.evaluate(f"() => document.querySelector('{RESPONSE}').CodeMirror.getValue()"))  # type: ignore[attr-defined]


def test_graphiql_runs_offline_and_signs_in_with_the_session_cookie(
    server: LiveServer, browser_page: tuple[object, list[str], list[str]]
) -> None:
    page, outside, violations = browser_page

    # given the explorer, loaded from Carespace alone
    response = page.goto(f"{server.url}/graphql")  # type: ignore[attr-defined]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(EDITOR, timeout=30_000)  # type: ignore[attr-defined]

    # when a clinician signs in there and asks who they are
    signed_in = run_in_graphiql(page, SIGN_IN)
    answer = run_in_graphiql(page, VIEWER)

    # then the second query was signed in by the cookie the first one set
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "graphiql.png"))  # type: ignore[attr-defined]
    assert '"errors": []' in signed_in
    assert '"email": "clinician@example.com"' in answer
    cookies = page.context.cookies()  # type: ignore[attr-defined]
    assert [cookie["httpOnly"] for cookie in cookies if cookie["name"] == "carespace_session"] == [
        True
    ]
    assert outside == []
    assert violations == []


def _link_in_mail(folder: Path, address: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        for path in folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
                return re.search(r"http://\S+/verify-email\?token=\S+", body).group(0)  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "no verification mail arrived"
        time.sleep(0.2)


def test_the_built_in_verify_page_verifies_in_dutch_and_drops_the_token_from_the_address(
    server: LiveServer, browser_page: tuple[object, list[str], list[str]]
) -> None:
    # given a sign-up in Dutch and the link in its mail
    page, outside, violations = browser_page
    signed_up = server.graphql(
        'mutation { signUp(input: {email: "sam@example.org", password: "a-long-secret-9",'
        ' firstName: "Sam", lastName: "Jansen", language: NL}) { errors { code } } }'
    )
    assert signed_up == {"data": {"signUp": {"errors": []}}}
    link = _link_in_mail(server.mail, "sam@example.org")
    assert link.startswith(server.url + "/verify-email?token=")  # the served port, not 8000

    # when the link is opened in the browser and the button pressed
    page.goto(link)  # type: ignore[attr-defined]
    page.wait_for_function("() => !location.search.includes('token')")  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#message:has-text('bevestigd')")  # type: ignore[attr-defined]

    # then the address is verified, the token left the address bar, and nothing left the machine
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "verify-email.png"))  # type: ignore[attr-defined]
    assert "token" not in page.url  # type: ignore[attr-defined]
    token = server.graphql(
        'mutation { signIn(email: "sam@example.org", password: "a-long-secret-9") { token } }'
    )["data"]["signIn"]["token"]
    assert server.graphql("{ viewer { emailVerified } }", token) == {
        "data": {"viewer": {"emailVerified": True}}
    }
    assert outside == []
    assert violations == []
    assert link.split("token=")[1] not in server.log.read_text()


INVITE_CLIENT = """
mutation($input: InviteClientInput!) { inviteClient(input: $input) { errors { code } } }
"""


def _accept_link(folder: Path, address: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        for path in folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
                match = re.search(r"http://\S+/invitations/accept\?token=\S+", body)
                if match:
                    return match.group(0)
        assert time.monotonic() < deadline, "no invitation mail arrived"
        time.sleep(0.2)


def test_the_built_in_accept_page_creates_the_account_and_membership(
    server: LiveServer, browser_page: tuple[object, list[str], list[str]]
) -> None:
    page, outside, violations = browser_page
    # given a clinician's invitation to a new client
    clinician = server.sign_in("clinician@example.com")
    demo = server.graphql("{ viewer { memberships { healthspace { id } } } }", clinician)
    healthspace_id = demo["data"]["viewer"]["memberships"][0]["healthspace"]["id"]
    invited = server.graphql(
        INVITE_CLIENT,
        clinician,
        input={
            "healthspaceId": healthspace_id,
            "email": "noor@example.org",
            "firstName": "Noor",
            "lastName": "Jansen",
        },
    )
    assert invited == {"data": {"inviteClient": {"errors": []}}}
    link = _accept_link(server.mail, "noor@example.org")

    # when Noor opens the link (in Dutch), chooses a password and accepts
    page.goto(link)  # type: ignore[attr-defined]
    page.wait_for_selector("#intro:has-text('Demo Practice')")  # type: ignore[attr-defined]
    page.fill("input[name=password]", "noor-secret-2026")  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#message:has-text('Welkom')")  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTEFACTS / "accept-invitation.png"))  # type: ignore[attr-defined]

    # then she has an account and is a client, connected to the inviting clinician
    token = server.graphql(
        'mutation { signIn(email: "noor@example.org", password: "noor-secret-2026") { token } }'
    )["data"]["signIn"]["token"]
    viewer = server.graphql(
        "{ viewer { lastName memberships { kind connections { staff { email } } } } }", token
    )
    assert viewer == {
        "data": {
            "viewer": {
                "lastName": "Jansen",
                "memberships": [
                    {
                        "kind": "CLIENT",
                        "connections": [{"staff": {"email": "clinician@example.com"}}],
                    }
                ],
            }
        }
    }
    assert outside == []
    assert violations == []
