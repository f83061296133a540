"""Schema extensions that make reads cheaper without changing any answer.

Parsing a GraphQL document costs a few tenths of a millisecond per request and front ends send
the same few documents over and over: `ParserCache` keeps the parsed document for each distinct
document text, bounded (least recently used out first), so a client sending endless distinct
documents cannot grow the server's memory. Validation is not cached: the query cost rule
(schema/limits.py) reads the request's variables (`first: $n`), so the same text can be
allowed with one set of variables and refused with another.

`freeze_startup_heap` is about the same cost from the other side: a read builds thousands of
short-lived objects (rows, nodes, tasks), which triggers garbage collections, and each full
collection walked every object alive since start-up (the schema, graphql-core's and Tortoise's
structures). Measured with bench/profile_reads.py, that was about half of S1's and S4's time.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension

# Distinct document texts kept; a front end uses a few dozen.
DOCUMENTS_CACHED = 512


class DocumentCache(ParserCache):
    """`ParserCache` for documents that parse. A document that does not (a syntax error, over
    the token limit) is left to strawberry's own parse step, which answers it as a request
    error that the other extensions see (EnforceQueryLimits gives TOO_MANY_TOKENS its code);
    raised from this hook instead, it skipped them. Failures are not cached either way."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


def read_path_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories for the caching extensions, to append to the schema's extensions."""
    return [lambda: DocumentCache(maxsize=DOCUMENTS_CACHED)]


def freeze_startup_heap() -> None:
    """Move every object alive now (after start-up: modules, schema, database pools) out of the
    garbage collector's reach, so that collections during requests only walk what requests
    made. Call once, when the server has started. The price: a start-up object that later
    becomes part of a garbage cycle is not collected; such objects live as long as the server
    anyway."""
    gc.collect()
    gc.freeze()
