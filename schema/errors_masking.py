"""Which errors a client sees as they are and which are masked as "Unexpected error.".

A variable the client sent that does not fit its declared type (an Int out of range, a string
for an Int, a missing required variable, a bad ID, enum or date value, an unknown input field)
is the client's mistake, found before anything runs. The GraphQL spec answers it as a request
error naming the variable ("Variable '$n' got invalid value 2147483648; Int cannot represent
non 32-bit signed integer value: 2147483648"); graphql-core builds such errors with the
underlying coercion error as `original_error`, which a masking rule keyed on `original_error`
takes for a fault. Here they are told apart by where they point (the variable definition) and
passed through with `extensions.code` BAD_USER_INPUT, without being logged."""

from __future__ import annotations

from graphql import GraphQLError, VariableDefinitionNode
from strawberry.extensions import MaskErrors

BAD_USER_INPUT = "BAD_USER_INPUT"


def is_variable_coercion_error(error: GraphQLError) -> bool:
    """True for an error about a variable's value, raised while coercing the request's
    variables: graphql-core points it at the variable's definition and keeps the coercion
    error under it. (Validation errors about variables, such as an unused one, have no
    underlying error; they pass the mask unchanged, as every validation error does.)"""
    return (
        error.path is None
        and error.original_error is not None
        and any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ())
    )


def as_request_error(error: GraphQLError) -> GraphQLError:
    """The same message and location, coded BAD_USER_INPUT, without the underlying exception
    (so nothing below the message reaches the client or a fault log)."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions={**(error.extensions or {}), "code": BAD_USER_INPUT},
    )


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's MaskErrors (`should_mask_error` decides and logs as before), except that a
    variable coercion error is answered as the client's mistake: `as_request_error`, never
    masked, never passed to `should_mask_error`."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        client_errors = {
            id(error): as_request_error(error)
            for error in errors
            if is_variable_coercion_error(error)
        }
        others = super()._process_errors([e for e in errors if id(e) not in client_errors])
        masked = iter(others)
        return [client_errors.get(id(error)) or next(masked) for error in errors]
