"""GraphQL over HTTP's `application/graphql-response+json` (issue 12, item 7): a client that
accepts it gets that content type, and a request error (the document does not parse or
validate, or the variables do not fit) is answered 400 without a `data` entry, as the
GraphQL-over-HTTP specification says. Clients accepting only `application/json` keep the
legacy answers (200 for everything that reached GraphQL)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

GRAPHQL_RESPONSE = "application/graphql-response+json"


def accepts_graphql_response(request: Any) -> bool:
    """Whether the request's Accept header names `application/graphql-response+json`."""
    headers = getattr(request, "headers", None)
    return headers is not None and GRAPHQL_RESPONSE in (headers.get("accept") or "").lower()


def is_request_error(result: ExecutionResult) -> bool:
    """No data and only errors without a path: the operation never started executing."""
    return (
        result.data is None
        and bool(result.errors)
        and all(not error.path for error in result.errors or ())
    )


class GraphQLResponseMedia:
    """Mixin for strawberry's ASGI `GraphQL` view (listed before it)."""

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = await super().process_result(request, result)  # type: ignore[misc]
        if accepts_graphql_response(request) and is_request_error(result):
            data.pop("data", None)
            request.state.graphql_request_error = True
        return data

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = await super().run(request, *args, **kwargs)  # type: ignore[misc]
        if (
            isinstance(request, Request)
            and isinstance(response, Response)
            and accepts_graphql_response(request)
            and (response.headers.get("content-type") or "").startswith("application/json")
        ):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if getattr(request.state, "graphql_request_error", False):
                response.status_code = 400
        return response
