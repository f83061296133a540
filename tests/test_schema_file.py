"""The committed schema.graphql is what the server serves: clients and reviewers read it."""

from __future__ import annotations

import difflib

import pytest

from server import SCHEMA_FILE, export_schema


def test_schema_graphql_is_up_to_date() -> None:
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    current = export_schema()

    if committed != current:
        diff = difflib.unified_diff(
            committed.splitlines(), current.splitlines(), "schema.graphql", "served", lineterm=""
        )
        pytest.fail(
            "schema.graphql is stale: run `python server.py export-schema` and commit it.\n"
            + "\n".join(list(diff)[:60]),
            pytrace=False,
        )


def test_the_export_is_the_sdl_of_the_served_schema() -> None:
    sdl = export_schema()

    assert sdl.endswith("}\n")
    assert "type Query {" in sdl and "type Mutation {" in sdl
    assert "signIn(email: String!, password: String!): SignInPayload!" in sdl
