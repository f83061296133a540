"""Requests authenticated by the session cookie only as JSON and only from an allowed Origin
(issue 12, item 5): a page on another site can make a browser send the cookie, but then the
Origin header names that site, and a form or `text/plain` POST is the only kind it can send
without a CORS preflight. Bearer-token requests carry no ambient authority and pass as they are."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from permissions.sessions import bearer_token
from resolvers.middleware.responses import send_error


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers write the Origin header."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class CookieOrigins:
    """Refuse (403, code FORBIDDEN_ORIGIN or COOKIE_NEEDS_JSON) a request that carries the
    session cookie and no bearer token in `Authorization` when its Origin is neither one of `allowed`
    nor the server's own (the request's Host), or
    (HTTP POST) when its content type is not `application/json`. A request without an Origin
    header does not come from a cross-site page (browsers send Origin with every cross-origin
    POST and websocket), so only its content type is checked. Websockets are checked for the
    Origin too."""

    def __init__(self, app: ASGIApp, cookie: str, allowed: Iterable[str]) -> None:
        self.app = app
        self.cookie = cookie
        self.allowed = {origin_of(origin) for origin in allowed}

    def _allowed(self, origin: str, host: str | None) -> bool:
        """An allowed origin, or the server's own (the Origin names the Host the browser
        sent the request to: same-origin, e.g. GraphiQL opened at another name than the
        public URL)."""
        origin = origin.rstrip("/").lower()
        if origin in self.allowed:
            return True
        return host is not None and urlsplit(origin).netloc == host.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        # Only a bearer token keeps the cookie out of it (permissions.sessions reads the cookie
        # whenever the Authorization header holds none, e.g. `Basic ...`).
        if self.cookie not in cookies or bearer_token(headers.get("authorization")):
            await self.app(scope, receive, send)
            return
        origin = headers.get("origin")
        if origin is not None and not self._allowed(origin, headers.get("host")):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4403})
                return
            await send_error(
                send,
                403,
                "FORBIDDEN_ORIGIN",
                "Requests signed in by cookie are accepted only from this site's own pages.",
            )
            return
        if scope["type"] == "http" and scope["method"] == "POST":
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json":
                await send_error(
                    send,
                    415,
                    "COOKIE_NEEDS_JSON",
                    "Requests signed in by cookie must be sent as application/json.",
                )
                return
        await self.app(scope, receive, send)
