"""The HTTP edge (issue 12, items 1, 5 and 6): body size, batching, GET, cookie-authenticated
requests from other sites, security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
from conftest import PASSWORD, PUBLIC_URL, Person

import models
from schema.limits import QueryLimits
from schema.settings import Settings
from server import Environment, create_app

VIEWER = "query { viewer { id email } }"
SIGN_OUT = "mutation { signOut { ok } }"
INVITE_ROSTER = """
mutation Roster($input: InviteRosterInput!) { inviteRoster(input: $input) { errors { code } } }
"""


def _cookie(person: Person) -> dict[str, str]:
    return {"Cookie": f"carespace_session={person.token}"}


async def test_a_20_mb_body_is_refused_while_it_is_read(http: httpx.AsyncClient) -> None:
    # given a 20 MB body sent in chunks without a Content-Length (nothing announces its size)
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "query { viewer { id } }", "variables": {"x": "'
        for _ in range(20 * 16):
            sent.append(1)
            yield b"a" * 65536
        yield b'"}}'

    response = await http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    # then it is refused with 413 once the limit is passed, not after reading everything
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "BODY_TOO_LARGE",
        "limit": QueryLimits().max_body_bytes,
    }
    assert len(sent) * 65536 <= QueryLimits().max_body_bytes + 2 * 65536


async def test_a_declared_large_body_is_refused_before_reading(http: httpx.AsyncClient) -> None:
    body = b" " * (QueryLimits().max_body_bytes + 1)
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_10000_line_roster_fits_in_the_default_body_limit(
    http: httpx.AsyncClient,
) -> None:
    # a roster as people paste it: address, first and last name, a note on one line in ten
    lines = [
        f"firstname.lastname{i}@example-practice.org, Firstname{i}, Lastname-Longer{i}"
        + (", Please bring your insurance card and the referral letter." if i % 10 == 0 else "")
        for i in range(10_000)
    ]
    variables = {"input": {"healthspaceId": "0", "roster": "\n".join(lines)}}
    body = orjson.dumps({"query": INVITE_ROSTER, "variables": variables})
    assert len(body) < QueryLimits().max_body_bytes
    # and such a body passes the edge: GraphQL itself answers (with its own error here)
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["errors"]


async def test_a_batch_array_is_refused(http: httpx.AsyncClient) -> None:
    batch = [{"query": SIGN_OUT}] * 2
    response = await http.post("/graphql", json=batch)
    assert response.status_code == 400
    assert "data" not in response.text


async def test_a_mutation_over_get_is_refused(client: Person, http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": SIGN_OUT}, headers={"Authorization": f"Bearer {client.token}"}
    )
    assert response.status_code in {400, 405}
    session = await models.Session.get(account_id=client.account.id)
    assert session.revoked_at is None


async def test_cookie_requests_must_be_json(client: Person, http: httpx.AsyncClient) -> None:
    # a form post and a text/plain post (what a foreign page can send without preflight)
    for content_type, body in (
        ("application/x-www-form-urlencoded", f"query={SIGN_OUT}"),
        ("text/plain", orjson.dumps({"query": SIGN_OUT}).decode()),
    ):
        response = await http.post(
            "/graphql",
            content=body,
            headers={"Content-Type": content_type, **_cookie(client)},
        )
        http.cookies.clear()
        assert response.status_code == 415, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "COOKIE_NEEDS_JSON"
    session = await models.Session.get(account_id=client.account.id)
    assert session.revoked_at is None


async def test_cookie_requests_from_a_foreign_origin_are_refused(
    client: Person, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": SIGN_OUT},
        headers={"Origin": "https://evil.example", **_cookie(client)},
    )
    http.cookies.clear()
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN_ORIGIN"
    session = await models.Session.get(account_id=client.account.id)
    assert session.revoked_at is None


async def test_cookie_requests_from_the_own_site_run(
    client: Person, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Origin": PUBLIC_URL, "Host": "api.internal:8000", **_cookie(client)},
    )
    http.cookies.clear()
    assert response.json()["data"]["viewer"]["email"] == client.email


async def test_a_cookie_request_with_another_authorization_scheme_is_a_cookie_request(
    client: Person, http: httpx.AsyncClient
) -> None:
    # `Authorization: Basic ...` carries no bearer token, so the session cookie signs the
    # request in: the cookie rules (origin, JSON) apply to it as to any cookie request
    for headers in (
        {"Origin": "https://evil.example", "Content-Type": "application/json"},
        {"Content-Type": "text/plain"},
    ):
        response = await http.post(
            "/graphql",
            content=orjson.dumps({"query": SIGN_OUT}),
            headers={**headers, "Authorization": "Basic dXNlcjpwYXNz", **_cookie(client)},
        )
        http.cookies.clear()
        assert response.status_code in (403, 415), response.text
    session = await models.Session.get(account_id=client.account.id)  # type: ignore[union-attr]
    assert session.revoked_at is None


async def test_bearer_requests_are_not_affected_by_the_origin(
    client: Person, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Origin": "https://elsewhere.example", "Authorization": f"Bearer {client.token}"},
    )
    assert response.json()["data"]["viewer"]["email"] == client.email


async def test_configured_cors_origins_may_use_the_cookie(db: str, client: Person) -> None:
    # given a server that lists one browser origin
    app = create_app(
        Environment(
            database_url=db,
            settings=Settings(public_url=PUBLIC_URL),
            cors_origins=("https://app.example.org",),
        ),
        lifespan_tasks=False,
    )
    # when that origin posts with the client's session cookie
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://carespace.test"
    ) as http:
        response = await http.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"Origin": "https://app.example.org", **_cookie(client)},
        )
    # then the client is signed in
    assert response.json()["data"]["viewer"]["email"] == client.email


async def test_security_headers_on_every_answer(client: Person, http: httpx.AsyncClient) -> None:
    for response in (
        await http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {client.token}"}
        ),
        await http.post("/graphql", json={"query": "{"}),
        await http.get("/graphql", headers={"Accept": "text/html"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


async def test_the_session_cookie_is_secure_when_the_public_url_is_https(
    db: str, people: object
) -> None:
    from server import environment_from

    # given a public URL over https
    settings = environment_from({"CARESPACE_PUBLIC_URL": "https://care.example.org"}).settings
    account = await people.account()  # type: ignore[attr-defined]
    app = create_app(Environment(database_url=db, settings=settings), lifespan_tasks=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://care.example.org"
    ) as http:
        # when someone signs in
        response = await http.post(
            "/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
                "variables": {"e": account.email, "p": PASSWORD},
            },
        )
    # then the session cookie is Secure and HttpOnly
    cookie = response.headers["set-cookie"]
    assert "carespace_session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie


async def _production(db: str, query: str, variables: dict[str, object] | None = None) -> dict:
    from server import environment_from

    settings = environment_from({"CARESPACE_DEBUG": "false"}).settings
    app = create_app(Environment(database_url=db, settings=settings), lifespan_tasks=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://carespace.test"
    ) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
        graphiql = await http.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code != 200 or "graphiql" not in graphiql.text.lower()
    return response.json()


async def test_production_gives_no_suggestions_and_no_introspection(db: str) -> None:
    # when a production server gets a misspelt field, introspection and a misspelt enum,
    # then none answers with a hint or the schema
    misspelt = await _production(db, "query { viewr { id } }")
    assert "Cannot query field 'viewr'" in misspelt["errors"][0]["message"]
    assert "Did you mean" not in str(misspelt)
    introspection = await _production(db, "query { __schema { types { name } } }")
    assert introspection.get("data") is None
    bad_enum = await _production(
        db,
        "mutation($i: SignUpInput!) { signUp(input: $i) { errors { code } } }",
        {
            "i": {
                "email": "a@b.org",
                "password": "x",
                "firstName": "a",
                "lastName": "b",
                "language": "NLL",
            }
        },
    )
    assert bad_enum["errors"] and "Did you mean" not in str(bad_enum)


async def test_development_keeps_suggestions(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "query { viewr { id } }"})
    assert "Did you mean 'viewer'?" in response.json()["errors"][0]["message"]


async def test_cookie_requests_from_the_same_host_run(
    client: Person, http: httpx.AsyncClient
) -> None:
    # GraphiQL opened at the server's own address, whatever the public URL says
    response = await http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Origin": "http://carespace.test", **_cookie(client)},
    )
    http.cookies.clear()
    assert response.json()["data"]["viewer"]["email"] == client.email
