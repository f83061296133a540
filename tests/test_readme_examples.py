"""Every GraphQL example in the README validates against the schema: the docs a front-end
developer pastes from cannot drift from the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import DocumentNode, parse, validate

from schema.settings import Settings
from server import build_schema

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
# Placeholders the README uses where a real id, token or password goes.
PLACEHOLDER = re.compile(r'"(?:…[^"]*|<[^">]+>)"')


def test_the_readme_has_graphql_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda text: text.split("{")[0].strip()[:40])
def test_readme_example_is_valid_against_the_schema(example: str) -> None:
    schema = build_schema(Settings())._schema
    document = parse(PLACEHOLDER.sub('"00000000-0000-4000-8000-000000000000"', example))
    # A block may show several operations one after the other; each must stand on its own.
    errors = [
        error
        for operation in document.definitions
        for error in validate(schema, DocumentNode(definitions=(operation,)))
    ]

    assert errors == [], f"README example does not validate:\n{example}\n{errors}"
