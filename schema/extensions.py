"""Schema extensions that make reads cheaper without changing any answer.

Parsing and validating a GraphQL document costs about 2 ms per request and front ends send the
same few documents over and over: `ParserCache` and `ValidationCache` keep the parsed document
and its validation result for each distinct document text. Both are bounded (least recently
used out first), so a client sending endless distinct documents cannot grow the server's memory.
Validation still runs against every rule (including DisableIntrospection's) for each new
document; a cached result is the same result, as schema and rules do not change while serving.
"""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

# Distinct document texts kept; a front end uses a few dozen.
DOCUMENTS_CACHED = 512


def read_path_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories for the caching extensions, to append to the schema's extensions."""
    return [
        lambda: ParserCache(maxsize=DOCUMENTS_CACHED),
        lambda: ValidationCache(maxsize=DOCUMENTS_CACHED),
    ]
