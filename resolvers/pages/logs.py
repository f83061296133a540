"""Keeping one-time tokens out of the access log: uvicorn logs each request's path with its query
string, and the mail links carry `?token=…`."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"(?i)\b(token=)[^&#\s]*")


def without_tokens(text: str) -> str:
    """`/verify-email?token=abc&lang=nl` -> `/verify-email?token=[redacted]&lang=nl`."""
    return _TOKEN.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    """Rewrites the arguments of uvicorn's access lines; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def access_log_without_tokens() -> None:
    """Install the filter on uvicorn's access logger (once)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())
