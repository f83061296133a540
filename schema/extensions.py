"""Schema extensions that make reads cheaper without changing any answer.

Parsing a GraphQL document costs a few tenths of a millisecond per request and front ends send
the same few documents over and over: `ParserCache` keeps the parsed document for each distinct
document text, bounded (least recently used out first), so a client sending endless distinct
documents cannot grow the server's memory. `StaticValidationCache` remembers, per document text,
that it passed graphql-core's standard rules (and the other rules that depend on the text
only). The rules that read the request's variables (the query cost rule of schema/limits.py,
marked `VARIES_WITH_VARIABLES`) are remembered per document text and a keyed digest of the
variables (`variables_key`; the variables themselves are never kept): the same text can still
be allowed with `first: 5` and refused with `first: 100000`, and front ends polling with the
same variables skip them too. A document that fails validation is never cached: it is
validated again, whole, each time.

`freeze_startup_heap` is about the same cost from the other side: a read builds thousands of
short-lived objects (rows, nodes, tasks), which triggers garbage collections, and each full
collection walked every object alive since start-up (the schema, graphql-core's and Tortoise's
structures). Measured with bench/profile_reads.py, that was about half of S1's and S4's time.
"""

from __future__ import annotations

import gc
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator

import orjson
from graphql import GraphQLError, validate
from graphql.validation import ASTValidationRule
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.schema import validate_document

# Distinct document texts kept; a front end uses a few dozen.
DOCUMENTS_CACHED = 512
# Verdicts per document and variables are remembered only for variables up to this size
# (serialized, bytes): polling front ends send a few ids and page sizes.
VARIABLES_REMEMBERED_BYTES = 2048
_VARIABLES_SECRET = secrets.token_bytes(32)


class ParsedDocuments(ParserCache):
    """strawberry's ParserCache for documents that parse. One that does not (a syntax error,
    over the token limit) is left to strawberry's own parsing step, which answers it as a
    request error like any other; ParserCache would raise it out of the extension instead."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            pass
        yield


def variables_key(variables: object) -> bytes | None:
    """A digest of the request's variables for keying a verdict that depends on them: BLAKE2b
    (16 bytes) of their canonical JSON (keys sorted), keyed with a secret of this process, so
    that the variables themselves (passwords, tokens, notes) are never kept and nobody can
    make two sets of variables share a verdict. None when they are not plain JSON or longer
    than VARIABLES_REMEMBERED_BYTES serialized: no verdict is remembered for them."""
    try:
        text = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    if len(text) > VARIABLES_REMEMBERED_BYTES:
        return None
    return hashlib.blake2b(text, key=_VARIABLES_SECRET, digest_size=16).digest()


def varies_with_variables(rule: type[ASTValidationRule]) -> bool:
    """Whether a validation rule's verdict depends on more than the document text; rules mark
    it with `VARIES_WITH_VARIABLES = True`. Such a rule's verdict is remembered per text and
    variables only when the rule also names, in `VERDICT_KEY` (hashable), everything else its
    verdict depends on (a new rule class per request is otherwise never the same key)."""
    return bool(getattr(rule, "VARIES_WITH_VARIABLES", False))


class PassedDocuments:
    """A bounded set (least recently used out first) of keys of verdicts that passed: (schema,
    document text, static rules), or those with the rules' `VERDICT_KEY`s and a
    `variables_key` digest. Shared by the requests of one schema."""

    def __init__(self, maxsize: int = DOCUMENTS_CACHED) -> None:
        self.maxsize = maxsize
        self._passed: OrderedDict[Hashable, None] = OrderedDict()
        self.hits = 0

    def __contains__(self, key: Hashable) -> bool:
        if key not in self._passed:
            return False
        self._passed.move_to_end(key)
        self.hits += 1
        return True

    def add(self, key: Hashable) -> None:
        self._passed[key] = None
        if len(self._passed) > self.maxsize:
            self._passed.popitem(last=False)

    def __len__(self) -> int:
        return len(self._passed)


class StaticValidationCache(SchemaExtension):
    """Validates with the rules that depend on the text only once per distinct text that
    passes, and with the rules that read variables (`varies_with_variables`) once per distinct
    text and variables that pass (kept apart in `passed_with_variables`, so that requests
    with ever new variables never push the texts out). Validation errors are the same as
    without the cache."""

    def __init__(self, passed: PassedDocuments, passed_with_variables: PassedDocuments) -> None:
        self.passed = passed
        self.passed_with_variables = passed_with_variables

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        rules = tuple(context.validation_rules)
        if document is not None and context.query is not None and rules:
            static = tuple(rule for rule in rules if not varies_with_variables(rule))
            per_request = [rule for rule in rules if varies_with_variables(rule)]
            schema = context.schema._schema
            # The rule classes are part of the key: a schema with another set of static rules
            # (introspection on or off) never reads another's verdict.
            key = (id(schema), context.query, static)
            errors = [] if key in self.passed else validate_document(schema, document, static)
            if not errors:
                self.passed.add(key)
            if per_request:
                verdicts = tuple(getattr(rule, "VERDICT_KEY", None) for rule in per_request)
                variables = variables_key(context.variables)
                request_key = (key, verdicts, variables)
                cacheable = variables is not None and None not in verdicts
                if not (cacheable and request_key in self.passed_with_variables):
                    varying = validate(schema, document, per_request)
                    if cacheable and not errors and not varying:
                        self.passed_with_variables.add(request_key)
                    errors = [*errors, *varying]
            context.pre_execution_errors = errors
        yield


def read_path_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories for the caching extensions, to append to the schema's extensions. Each call
    makes a fresh validation cache: build one list per schema."""
    passed, passed_with_variables = PassedDocuments(), PassedDocuments()
    return [
        lambda: ParsedDocuments(maxsize=DOCUMENTS_CACHED),
        lambda: StaticValidationCache(passed, passed_with_variables),
    ]


def freeze_startup_heap() -> None:
    """Move every object alive now (after start-up: modules, schema, database pools) out of the
    garbage collector's reach, so that collections during requests only walk what requests
    made. Call once, when the server has started. The price: a start-up object that later
    becomes part of a garbage cycle is not collected; such objects live as long as the server
    anyway."""
    gc.collect()
    gc.freeze()
