"""The built-in pages at the mail links' paths and the explorer's page: their language, their
content security policy, and tokens kept out of the access log."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from live_server import live_server

from resolvers.pages.explorer import assets_installed
from schema.settings import Settings
from server import Environment, create_app

PAGES = ["/invitations/accept", "/verify-email", "/reset-password"]


def client_for(settings: Settings) -> httpx.AsyncClient:
    app = create_app(Environment(settings=settings), lifespan_tasks=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://carespace.test"
    )


@pytest.mark.parametrize("path", PAGES)
async def test_each_mail_link_page_answers_in_english_or_dutch_under_the_policy(path: str) -> None:
    # when a mail link page is asked for in English, in Dutch, and with a chosen language
    async with client_for(Settings()) as http:
        english = await http.get(f"{path}?token=abc")
        dutch = await http.get(f"{path}?token=abc", headers={"Accept-Language": "nl-NL,nl;q=0.9"})
        chosen = await http.get(f"{path}?token=abc&lang=en", headers={"Accept-Language": "nl"})

    # then it answers in that language, under a policy that allows no inline code
    assert english.status_code == 200
    assert '<html lang="en">' in english.text
    assert '<html lang="nl">' in dutch.text
    assert '<html lang="en">' in chosen.text
    for response in (english, dutch):
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "<script>" not in response.text  # no inline code: the policy would refuse it
        assert "abc" not in response.text  # the page never echoes the token


async def test_the_reset_page_speaks_dutch() -> None:
    async with client_for(Settings()) as http:
        page = await http.get("/reset-password", headers={"Accept-Language": "nl"})

    assert "Kies een nieuw wachtwoord" in page.text
    assert 'name="password"' in page.text


async def test_with_a_front_end_the_pages_are_not_served() -> None:
    async with client_for(Settings(builtin_pages=False)) as http:
        for path in PAGES:
            assert (await http.get(f"{path}?token=abc")).status_code == 404


async def test_the_explorer_is_served_from_carespace_under_the_policy() -> None:
    if not assets_installed():
        pytest.skip("GraphiQL's assets are not installed (npm ci)")
    async with client_for(Settings()) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        script = await http.get("/graphql/assets/graphiql.js")
        outside_the_list = await http.get("/graphql/assets/..%2Fpackage.json")
        unknown = await http.get("/graphql/assets/lodash.js")

    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "https://" not in page.text
    assert 'src="/graphql/assets/graphiql.js"' in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert (outside_the_list.status_code, unknown.status_code) == (404, 404)


def test_a_live_server_never_writes_a_token_into_its_access_log(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        for path in PAGES:
            assert (
                httpx.get(f"{server.url}{path}?token=tok-{path.strip('/')}-42").status_code == 200
            )
        # The access line is written after the answer is sent: give the last one a moment.
        deadline = time.monotonic() + 5
        log = server.log.read_text()
        while sum(path in log for path in PAGES) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
            log = server.log.read_text()

    # One access line per page, written without the query string
    assert sum(path in log for path in PAGES) == 3, log
    assert "-42" not in log and "token=" not in log


async def test_without_the_npm_assets_the_explorer_falls_back_to_the_cdn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As on a machine without Node, where `npm ci` could not run.
    monkeypatch.setattr("resolvers.app.assets_installed", lambda: False)
    async with client_for(Settings()) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "https://unpkg.com/graphiql" in page.text
    # The fallback page's policy lets it load from that CDN (resolvers/middleware/headers.py)
    assert "https://unpkg.com" in page.headers["content-security-policy"]
