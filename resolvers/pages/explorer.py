"""The GraphiQL explorer on GET /graphql, served with its assets from Carespace itself.

The assets come from the npm registry at set-up time (package.json and package-lock.json at the
top level, installed by `make serve` / `make test` with `npm ci` into node_modules/). Only the
files listed in ASSETS are served, from /graphql/assets/<name>. When they are missing (no Node on
this machine) strawberry's own page is served, which loads them from a public CDN."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from resolvers.pages.security import PAGE_HEADERS

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class Asset:
    path: Path
    media_type: str


ASSETS: dict[str, Asset] = {
    "react.js": Asset(NODE_MODULES / "react/umd/react.production.min.js", "text/javascript"),
    "react-dom.js": Asset(
        NODE_MODULES / "react-dom/umd/react-dom.production.min.js", "text/javascript"
    ),
    "js.cookie.js": Asset(NODE_MODULES / "js-cookie/dist/js.cookie.min.js", "text/javascript"),
    "graphiql.js": Asset(NODE_MODULES / "graphiql/graphiql.min.js", "text/javascript"),
    "graphiql.css": Asset(NODE_MODULES / "graphiql/graphiql.min.css", "text/css"),
    "explorer.js": Asset(
        NODE_MODULES / "@graphiql/plugin-explorer/dist/index.umd.js", "text/javascript"
    ),
    "explorer.css": Asset(NODE_MODULES / "@graphiql/plugin-explorer/dist/style.css", "text/css"),
    # Carespace's own: the page's start-up script and styles (no inline code under the CSP).
    "carespace-explorer.js": Asset(STATIC / "explorer.js", "text/javascript"),
    "carespace-explorer.css": Asset(STATIC / "explorer.css", "text/css"),
    "carespace-pages.js": Asset(STATIC / "pages.js", "text/javascript"),
    "carespace-pages.css": Asset(STATIC / "pages.css", "text/css"),
}


def assets_installed() -> bool:
    """Whether `npm ci` has put every explorer asset in node_modules/."""
    return all(asset.path.is_file() for asset in ASSETS.values())


def explorer_page() -> Response:
    """The explorer's HTML with the content security policy."""
    return HTMLResponse((STATIC / "explorer.html").read_text(), headers=PAGE_HEADERS)


async def asset(request: Request) -> Response:
    """GET /graphql/assets/{name}: one of ASSETS, or 404."""
    found = ASSETS.get(request.path_params["name"])
    if found is None or not found.path.is_file():
        return PlainTextResponse("Not found", status_code=404)
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return FileResponse(found.path, media_type=found.media_type, headers=headers)
