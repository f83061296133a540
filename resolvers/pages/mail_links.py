"""Built-in pages at the paths the mails link to, for when no front end answers at
CARESPACE_PUBLIC_URL: accept an invitation (new account or existing), verify an email address,
choose a new password. Plain HTML and one form; the form calls the same GraphQL mutations a front
end would (static/pages.js), in English or Dutch (`?lang=nl`, else the browser's language).

The token stays out of logs: the page's script reads it from the address, keeps it in the tab's
session storage and removes it from the address bar; the access log never holds a query string
(resolvers/middleware/request_log.py)."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from resolvers.pages.security import PAGE_HEADERS
from resolvers.pages.texts import TEXTS

# path -> (page kind, the form's fields)
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "/invitations/accept": ("accept", ("firstName", "lastName", "password")),
    "/verify-email": ("verify", ()),
    "/reset-password": ("reset", ("password",)),
}


def language(request: Request) -> str:
    """`?lang=en|nl`, else the first of en/nl in Accept-Language, else English."""
    chosen = request.query_params.get("lang")
    if chosen in TEXTS:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXTS:
            return code
    return "en"


def render(kind: str, fields: tuple[str, ...], lang: str) -> str:
    """The page's HTML: the texts the script needs ride along as data attributes."""
    texts = TEXTS[lang]
    e = html.escape
    data = " ".join(
        f'data-{key.replace(".", "-").replace("_", "-")}="{e(value)}"'
        for key, value in texts.items()
    )
    inputs = "\n".join(
        f'<label>{e(texts["field." + name])} <input name="{name}" '
        f'type="{"password" if name == "password" else "text"}" '
        f'autocomplete="{"new-password" if name == "password" else "off"}"></label>'
        for name in fields
    )
    other = "nl" if lang == "en" else "en"
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{e(texts[kind + ".title"])} · Carespace</title>
<link rel="stylesheet" href="/graphql/assets/carespace-pages.css">
</head>
<body>
<main id="page" data-kind="{kind}" {data}>
<p class="languages"><a href="?lang={other}">{other.upper()}</a></p>
<h1>{e(texts[kind + ".title"])}</h1>
<p id="intro">{e(texts["loading" if kind == "accept" else kind + ".intro"])}</p>
<p id="detail"></p>
<form id="form">
{inputs}
<button type="submit">{e(texts[kind + ".submit"])}</button>
</form>
<p id="message" role="status"></p>
</main>
<script src="/graphql/assets/carespace-pages.js"></script>
</body>
</html>
"""


async def mail_link_page(request: Request) -> Response:
    """GET /invitations/accept, /verify-email or /reset-password."""
    kind, fields = PAGES[request.url.path]
    return HTMLResponse(render(kind, fields, language(request)), headers=PAGE_HEADERS)
