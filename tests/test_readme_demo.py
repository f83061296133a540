"""The README's examples run on the demo data that `make serve` seeds: its searches find the
people it shows (e.g. "jansen")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from conftest import data_of, execute
from graphql import OperationDefinitionNode, parse, print_ast
from live_server import DEMO_PASSWORD

import models
from resolvers import commands
from schema.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
SIGN_IN = "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }"


def readme_operation(containing: str) -> str:
    """The README's one GraphQL operation whose text contains `containing`."""
    found = [
        print_ast(operation)
        for block in re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
        for operation in parse(block).definitions
        if isinstance(operation, OperationDefinitionNode) and containing in print_ast(operation)
    ]
    assert len(found) == 1, found
    return found[0]


async def sign_in(http: httpx.AsyncClient, email: str) -> str:
    result = data_of(await execute(http, SIGN_IN, {"e": email, "p": DEMO_PASSWORD}))
    return str(result["signIn"]["token"])


async def test_the_readme_searches_find_demo_people(http: httpx.AsyncClient, db: str) -> None:
    # given the demo data
    assert await commands.seed_demo(Settings(), DEMO_PASSWORD) == 0
    demo = await models.Healthspace.get(name=commands.DEMO_HEALTHSPACE)
    assistant = await sign_in(http, "assistant@example.com")
    clinician = await sign_in(http, "clinician@example.com")

    # when the README's member search and client search run as printed
    members: dict[str, Any] = data_of(
        await execute(http, readme_operation('search: "jansen"'), {"id": str(demo.id)}, assistant)
    )
    my_clients = data_of(
        await execute(
            http,
            readme_operation("myClients").replace('"<id>"', f'"{demo.id}"'),
            token=clinician,
        )
    )

    # then they find the demo client Chris Jansen
    page = members["healthspace"]["members"]
    assert page["totalCount"] == 1
    assert [(m["firstName"], m["lastName"]) for m in page["nodes"]] == [("Chris", "Jansen")]
    clients = my_clients["healthspace"]["myClients"]
    assert [(c["firstName"], c["lastName"]) for c in clients["nodes"]] == [("Chris", "Jansen")]
