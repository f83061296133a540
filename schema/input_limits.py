"""Bounded string inputs, checked once per operation before any resolver runs (issue 12,
item 2): every string argument, given inline or as a variable, at any depth of an input object,
has a maximum length by its name (emails 254, searches 200 characters and 10 words, tokens
1,000, IDs 64, passwords 1,024, anything else 10,000; a pasted roster only the body limit). The
refusal names the argument and the limit, never the value: a 1 MiB email costs no database
work and writes nothing to the log. Domain rules (e.g. names of at most 100 characters) still
apply to what passes here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from schema.extensions import PassedDocuments, variables_key

MAX_EMAIL_LENGTH = 254
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10
# Tokens are 43 characters; a longer one is answered INVALID_TOKEN by the resolver (no
# database work: it looks up a hash), a very long one is refused here.
MAX_TOKEN_LENGTH = 1000
MAX_ID_LENGTH = 64
MAX_PASSWORD_LENGTH = 1024
MAX_STRING_LENGTH = 10_000

# Argument or input field name -> its maximum length; None: bounded by the body limit only.
BY_NAME: Mapping[str, int | None] = {
    "email": MAX_EMAIL_LENGTH,
    "search": MAX_SEARCH_LENGTH,
    "token": MAX_TOKEN_LENGTH,
    "after": MAX_TOKEN_LENGTH,
    "password": MAX_PASSWORD_LENGTH,
    "roster": None,
    # A note's length is a rule of the record (domain/records.py), whose refusal is audited
    # (issue 11): it must reach the resolver.
    "body": None,
}


def limit_for(name: str) -> int | None:
    """The maximum length of a string given as argument or input field `name`."""
    if name in BY_NAME:
        return BY_NAME[name]
    if name == "id" or name.endswith(("Id", "Ids")):
        return MAX_ID_LENGTH
    return MAX_STRING_LENGTH


def _problem(name: str, message: str, **details: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "argument": name, **details})


def check_string(name: str, value: str) -> GraphQLError | None:
    """None when `value` fits argument `name`, otherwise the error to answer (no value in it)."""
    limit = limit_for(name)
    if limit is not None and len(value) > limit:
        return _problem(
            name,
            f"`{name}` may be at most {limit:,} characters long.",
            limit=limit,
            length=len(value),
        )
    if name == "search" and len(value.split()) > MAX_SEARCH_WORDS:
        return _problem(
            name, f"`search` may hold at most {MAX_SEARCH_WORDS} words.", limit=MAX_SEARCH_WORDS
        )
    return None


def _walk_value(name: str, value: Any) -> Iterator[GraphQLError]:
    if isinstance(value, str):
        error = check_string(name, value)
        if error is not None:
            yield error
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk_value(str(key), item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_value(name, item)


def _walk_node(name: str, node: ValueNode, variables: Mapping[str, Any]) -> Iterator[GraphQLError]:
    if isinstance(node, StringValueNode):
        yield from _walk_value(name, node.value)
    elif isinstance(node, VariableNode):
        yield from _walk_value(name, variables.get(node.name.value))
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _walk_node(field.name.value, field.value, variables)
    elif isinstance(node, ListValueNode):
        for item in node.values:
            yield from _walk_node(name, item, variables)


def input_errors(document: Any, variables: Mapping[str, Any]) -> list[GraphQLError]:
    """Every over-long string argument of `document` (literal or through `variables`)."""
    errors: list[GraphQLError] = []

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            errors.extend(_walk_node(node.name.value, node.value, variables))

    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            visit(definition, Arguments())
    return errors


class BoundedInputs(SchemaExtension):
    """Refuses an operation with an over-long string argument (code BAD_USER_INPUT, with
    `argument`, `limit` and `length`) after validation and before execution. A document text
    and variables that passed are remembered in `passed` (shared by the schema's requests, see
    `schema.extensions.PassedDocuments`; the variables as a keyed digest, `variables_key`) and
    not walked again."""

    def __init__(self, passed: PassedDocuments) -> None:
        self.passed = passed

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            variables = context.variables if isinstance(context.variables, Mapping) else {}
            known = variables_key(variables) if context.query is not None else None
            key = (context.query, known)
            if known is None or key not in self.passed:
                errors = input_errors(document, variables)
                if errors:
                    # A result set here means strawberry does not execute the operation at all.
                    context.result = ExecutionResult(data=None, errors=errors)
                elif known is not None:
                    self.passed.add(key)
        yield
