"""Top-level GraphQL errors with a machine-readable `extensions.code`; these are never masked."""

from __future__ import annotations

from graphql import GraphQLError


class ApiError(GraphQLError):
    code = "INTERNAL"
    default_message = "Unexpected error."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message, extensions={"code": self.code})


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    default_message = "Sign in first."


class Forbidden(ApiError):
    code = "FORBIDDEN"
    default_message = "You are not allowed to do this."


class NotFound(ApiError):
    code = "NOT_FOUND"
    default_message = "Not found."


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"
    default_message = "Invalid input."
