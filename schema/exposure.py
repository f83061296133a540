"""What a production server does not tell about its schema (issue 12, item 6): no "Did you
mean …?" suggestions in errors, which would reveal field, type and enum names to someone
guessing with introspection off."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """`message` with every "Did you mean …?" sentence removed."""
    return _SUGGESTION.sub("", message)


def _strip(errors: Iterable[GraphQLError] | None) -> None:
    for error in errors or ():
        error.message = without_suggestions(error.message)


class HideSuggestions(SchemaExtension):
    """Removes suggestions from validation errors and from errors of the result (variable
    values that do not fit their type); used when CARESPACE_DEBUG is off."""

    def on_validate(self) -> Iterator[None]:
        yield
        _strip(self.execution_context.pre_execution_errors)

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None:
            _strip(result.errors)
