"""Expected failures of mutations, returned in each payload's `errors` list."""

from __future__ import annotations

import strawberry

from domain.errors import DomainError, ErrorCode

# The domain's enum object itself becomes the GraphQL enum: one enum, no alias.
strawberry.enum(ErrorCode)


@strawberry.type
class UserError:
    field: list[str] | None
    code: ErrorCode
    message: str
    retry_after: int | None = strawberry.field(
        default=None,
        description="For RATE_LIMITED: seconds to wait before trying again.",
    )


def user_errors(error: DomainError) -> list[UserError]:
    """The payload `errors` for a domain error: one `UserError` per problem, in order."""
    return [
        UserError(
            field=list(p.field) if p.field else None,
            code=p.code,
            message=p.message,
            retry_after=p.retry_after,
        )
        for p in error.problems
    ]
