"""One log line per unexpected error, without any value from the request (issue 12, item 6):
the exception's type, the field path and the code locations of its traceback, but not the
exception's message or any local variable, which may hold arguments (an email, a password, a
token) or rows."""

from __future__ import annotations

import logging
import traceback

from graphql import GraphQLError

log = logging.getLogger("carespace")


def unexpected_error_line(error: GraphQLError) -> str:
    """`Unexpected ValueError in signIn: file.py:12 in f <- ...` for a masked error: type,
    path and frames (innermost last), never the message."""
    original = error.original_error or error
    frames = traceback.extract_tb(original.__traceback__)
    where = " <- ".join(f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames)
    path = ".".join(str(part) for part in error.path or ()) or "(operation)"
    return f"Unexpected {type(original).__name__} in {path}: {where}"


def log_unexpected(error: GraphQLError) -> None:
    """Log `unexpected_error_line(error)` once at ERROR level."""
    log.error("%s", unexpected_error_line(error))
