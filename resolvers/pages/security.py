"""The content security policy of every page Carespace serves itself (the explorer and the
built-in mail-link pages): scripts, styles and requests only from Carespace's own origin. `data:`
is allowed for fonts and images because GraphiQL's stylesheet embeds its fonts; nothing there
leaves the origin."""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The mail-link pages carry a token in their address: never hand it on to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
