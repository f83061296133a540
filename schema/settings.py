"""What the API needs to know about its deployment; read from the environment by server.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from schema.limits import QueryLimits


@dataclass(frozen=True)
class Settings:
    public_url: str = "http://127.0.0.1:8000"
    session_lifetime: timedelta = timedelta(days=14)
    email_token_lifetime: timedelta = timedelta(days=2)
    debug: bool = True
    graphiql: bool = True
    introspection: bool = True
    secure_cookies: bool = False
    session_cookie: str = "carespace_session"
    # Least time between two sends of one invitation by hand ("resend").
    resend_interval: timedelta = timedelta(minutes=5)
    # What one request may cost (schema/limits.py).
    limits: QueryLimits = field(default_factory=QueryLimits)

    def link(self, path: str) -> str:
        return self.public_url.rstrip("/") + path
