"""`schema.execution.PlainLeafExecution` answers plain leaf fields in place, and
`call_resolvers_directly` calls plain resolvers without Strawberry's wrapper (issue 10): the same
answers, nulls and error messages as the standard path, and never for a field that carries an
extension (a guard), arguments or an async resolver."""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from graphql import ExecutionResult
from strawberry.extensions import FieldExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.execution import (
    LEAF_SETS_KEPT,
    PlainLeafExecution,
    call_resolvers_directly,
    plain_leaves,
)
from schema.plain_fields import getter_of, plain_field, row_field
from schema.settings import Settings
from server import build_schema


class Hidden(FieldExtension):
    """Stands in for a guard: answers "hidden" whatever the attribute holds."""

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        return "hidden"


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Row:
    name: str
    maybe: str | None
    count: int
    colour: Colour
    secret: str = strawberry.field(extensions=[Hidden()])

    @strawberry.field
    def shouted(self) -> str:
        return self.name.upper()

    @strawberry.field
    def asked(self, info: strawberry.Info) -> str:
        return f"{self.name} for {info.context['who']} at {info.path.key}"

    @strawberry.field
    def failing(self, info: strawberry.Info) -> str | None:
        raise ValueError(f"no {info.field_name} for {self.name}")

    @strawberry.field
    def later(self) -> str:
        async def value() -> str:
            return "awaited"

        return value()  # type: ignore[return-value]

    @strawberry.field
    def times(self, n: int = 2) -> str:
        return self.name * n

    @strawberry.field
    async def slowly(self) -> str:
        return self.name

    @strawberry.field(extensions=[Hidden()])
    def guarded(self) -> str:
        return self.name


ROWS: list[Any] = []


@strawberry.type
class Thing:
    ok: str
    name: str


@strawberry.type
class Waiting:
    number: int

    @strawberry.field
    async def later(self) -> int:
        if self.number == 2:
            raise ValueError("not 2")
        return self.number


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Pet(Named):
    sound: str


class RaisingThing:
    """A source whose attribute read raises: an error on that one field, not the answer."""

    ok = "fine"

    @property
    def name(self) -> str:
        raise ValueError("boom")


class Model:
    """Stands in for a model row that a type wraps (schema.plain_fields)."""

    def __init__(self, number: int, born: str | None) -> None:
        self.number = number
        self.born = born


async def _later(value: str) -> str:
    return value


@strawberry.type
class Wrapping:
    row: strawberry.Private[Model]
    id: strawberry.ID = row_field("number", convert=lambda number: f"n{number}")
    born: str | None = row_field("born")
    born_twice: str | None = row_field("born", convert=lambda born: born * 2)
    later: str = plain_field(lambda source: _later(f"later {source.row.number}"))
    broken: str | None = plain_field(lambda source: source.row.missing)


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row]:
        return list(ROWS)

    @strawberry.field
    def wrapped(self) -> list[Wrapping]:
        return [Wrapping(row=Model(1, "1980")), Wrapping(row=Model(2, None))]

    @strawberry.field
    def things(self) -> list[Thing | None]:
        return [RaisingThing()]  # type: ignore[list-item]

    @strawberry.field
    def strict_things(self) -> list[Thing] | None:
        return [Thing(ok="a", name="b"), RaisingThing()]  # type: ignore[list-item]

    @strawberry.field
    def gaps(self) -> list[Thing] | None:
        return [Thing(ok="a", name="b"), None]  # type: ignore[list-item]

    @strawberry.field
    def waits(self) -> list[Waiting | None]:
        return [Waiting(number=1), Waiting(number=2)]

    @strawberry.field
    def named(self) -> list[Named]:
        return [Pet(name="Rex", sound="woof")]

    @strawberry.field
    def pet(self) -> Pet:
        return Pet(name="Rex", sound="woof")

    @strawberry.field
    def thing(self) -> Thing | None:
        return RaisingThing()  # type: ignore[return-value]

    @strawberry.field
    def no_thing(self) -> Thing:
        return None  # type: ignore[return-value]

    @strawberry.field
    def tuple_things(self) -> list[Thing]:
        return (Thing(ok="a", name="b"),)  # type: ignore[return-value]

    @strawberry.field
    def nested(self) -> list[list[Thing | None]]:
        return [[Thing(ok="a", name="b"), RaisingThing()], []]  # type: ignore[list-item]


plain = strawberry.Schema(Query, types=[Pet], execution_context_class=PlainLeafExecution)
DIRECT = call_resolvers_directly(plain)
standard = strawberry.Schema(Query, types=[Pet])


async def both(document: str, variables: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """The answer of the short path and of graphql-core's own, as (data, error messages)."""
    answers = []
    for schema in (plain, standard):
        result = await schema.execute(
            document, variable_values=variables, context_value={"who": "me"}
        )
        answers.append((result.data, [error.message for error in result.errors or []]))
    return answers[0], answers[1]


async def test_plain_fields_answer_as_graphql_core_does() -> None:
    ROWS[:] = [Row(name="Ada", maybe=None, count=3, colour=Colour.RED, secret="s3cr3t")]
    short, standard_answer = await both(
        "{ rows { name maybe count colour first: name shouted secret } }"
    )
    assert short == standard_answer
    assert short[0] == {
        "rows": [
            {
                "name": "Ada",
                "maybe": None,
                "count": 3,
                "colour": "RED",
                "first": "Ada",
                "shouted": "ADA",
                "secret": "hidden",
            }
        ]
    }


async def test_a_field_with_an_extension_never_takes_the_short_path() -> None:
    leaves = plain_leaves(plain._schema)["Row"]
    assert {"name", "maybe", "count", "colour"} <= set(leaves)
    assert "secret" not in leaves
    assert "shouted" not in leaves


async def test_nulls_and_bad_values_fail_as_on_graphql_cores_path() -> None:
    ROWS[:] = [
        Row(name=None, maybe=None, count=1, colour=Colour.RED, secret=""),  # type: ignore[arg-type]
        Row(name="b", maybe=None, count="many", colour=Colour.RED, secret=""),  # type: ignore[arg-type]
    ]
    short, standard_answer = await both("{ rows { name count } }")
    assert short == standard_answer
    assert short[0] is None
    assert short[1] and "Cannot return null for non-nullable field Row.name." in short[1]


async def test_fields_of_a_wrapped_row_answer_as_graphql_core_does() -> None:
    leaves = plain_leaves(plain._schema)["Wrapping"]
    assert set(leaves) == {"id", "born", "bornTwice", "later", "broken"}
    short, standard_answer = await both("{ wrapped { id born bornTwice later broken } }")
    assert short == standard_answer
    assert short[0] == {
        "wrapped": [
            {
                "id": "n1",
                "born": "1980",
                "bornTwice": "19801980",
                "later": "later 1",
                "broken": None,
            },
            {"id": "n2", "born": None, "bornTwice": None, "later": "later 2", "broken": None},
        ]
    }
    assert short[1] == ["'Model' object has no attribute 'missing'"] * 2


def test_the_carespace_schema_has_no_guarded_field_on_the_short_path() -> None:
    schema = build_schema(Settings())
    checked = 0
    for type_name, fields in plain_leaves(schema._schema).items():
        graphql_type = schema._schema.type_map[type_name]
        for field_name in fields:
            field = graphql_type.fields[field_name]  # type: ignore[union-attr]
            definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
            resolver = definition.base_resolver
            # an attribute, or a plain field's getter: never a resolver of another kind
            assert resolver is None or getter_of(resolver.wrapped_func), (type_name, field_name)
            assert not definition.extensions, (type_name, field_name)
            checked += 1
    assert {"id", "firstName", "createdAt"} <= set(plain_leaves(schema._schema)["Member"])
    assert checked > 50


async def test_an_attribute_that_raises_fails_only_its_field() -> None:
    short, standard_answer = await both("{ things { ok name } }")
    assert short == standard_answer
    assert short == ({"things": [None]}, ["boom"])


async def test_list_items_complete_as_on_graphql_cores_path() -> None:
    cases = {
        # a non-null item that fails nulls its list; a null item of non-null type too
        "{ strictThings { ok name } }": ({"strictThings": None}, ["boom"]),
        "{ gaps { ok } }": (
            {"gaps": None},
            ["Cannot return null for non-nullable field Query.gaps."],
        ),
        # an awaited field that fails nulls only its nullable item
        "{ waits { number later } }": ({"waits": [{"number": 1, "later": 1}, None]}, ["not 2"]),
        # an object type with an interface (an `is_type_of`) completes the standard way
        "{ named { name ... on Pet { sound } } }": (
            {"named": [{"name": "Rex", "sound": "woof"}]},
            [],
        ),
    }
    for document, expected in cases.items():
        short, standard_answer = await both(document)
        assert short == standard_answer, document
        assert short == expected, document


async def test_objects_and_lists_complete_as_on_graphql_cores_path() -> None:
    cases = {
        "{ pet { name sound } }": ({"pet": {"name": "Rex", "sound": "woof"}}, []),
        "{ thing { ok name } }": ({"thing": None}, ["boom"]),
        "{ noThing { ok } }": (None, ["Cannot return null for non-nullable field Query.noThing."]),
        "{ tupleThings { ok name } }": ({"tupleThings": [{"ok": "a", "name": "b"}]}, []),
        "{ nested { ok name } }": ({"nested": [[{"ok": "a", "name": "b"}, None], []]}, ["boom"]),
        "query($no: Boolean!) { thing { ok name @include(if: $no) } }": (
            {"thing": {"ok": "fine"}},
            [],
        ),
        "{ first: pet { ... on Pet { sound } } second: pet { name } }": (
            {"first": {"sound": "woof"}, "second": {"name": "Rex"}},
            [],
        ),
    }
    for document, expected in cases.items():
        short, standard_answer = await both(document, {"no": False})
        assert short == standard_answer, document
        assert short == expected, document


async def test_resolvers_called_directly_answer_as_strawberry_does() -> None:
    ROWS[:] = [Row(name="Ada", maybe=None, count=3, colour=Colour.RED, secret="s")]
    direct, standard_answer = await both(
        "{ rows { shouted asked failing later times(n: 3) slowly guarded } }"
    )
    assert direct == standard_answer
    assert direct[0] == {
        "rows": [
            {
                "shouted": "ADA",
                "asked": "Ada for me at asked",
                "failing": None,
                "later": "awaited",
                "times": "AdaAdaAda",
                "slowly": "Ada",
                "guarded": "hidden",
            }
        ]
    }
    assert direct[1] == ["no failing for Ada"]


def test_only_plain_resolvers_are_called_directly() -> None:
    assert {"Row.shouted", "Row.asked", "Row.failing", "Row.later"} <= set(DIRECT)
    assert not {"Row.times", "Row.slowly", "Row.guarded", "Row.name"} & set(DIRECT)


def test_the_carespace_schema_calls_no_guarded_resolver_directly() -> None:
    schema = build_schema(Settings())
    direct = call_resolvers_directly(schema)
    assert {"Member.connections", "Member.dateOfBirth", "Connection.staff"} <= set(direct)
    for coordinate in direct:
        type_name, field_name = coordinate.split(".")
        field = schema._schema.type_map[type_name].fields[field_name]  # type: ignore[union-attr]
        definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
        assert not definition.extensions, coordinate
        assert not field.args, coordinate
        assert not definition.is_async, coordinate


async def test_fields_keep_the_order_the_document_asks_for() -> None:
    ROWS[:] = [Row(name="Ada", maybe="m", count=3, colour=Colour.RED, secret="s")]
    document = "{ rows { later count shouted name maybe: name first: colour secret asked } }"
    short, standard_answer = await both(document)
    assert json.dumps(short) == json.dumps(standard_answer)
    assert list(short[0]["rows"][0]) == [
        "later",
        "count",
        "shouted",
        "name",
        "maybe",
        "first",
        "secret",
        "asked",
    ]


@strawberry.type
class Tick:
    name: str
    n: int


@strawberry.type
class Ticks:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[Tick]:
        for n in range(2 * LEAF_SETS_KEPT):
            yield Tick(name="t", n=n)


async def test_a_long_subscription_does_not_grow_the_leaf_memory() -> None:
    contexts: list[PlainLeafExecution] = []

    class Counted(PlainLeafExecution):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            contexts.append(self)

    schema = strawberry.Schema(Query, subscription=Ticks, execution_context_class=Counted)
    events = await schema.subscribe("subscription { ticks { name n } }")
    assert not isinstance(events, ExecutionResult)
    answers = [event async for event in events]
    assert len(answers) == 2 * LEAF_SETS_KEPT
    assert answers[-1].data == {"ticks": {"name": "t", "n": 2 * LEAF_SETS_KEPT - 1}}
    assert contexts and all(len(context._leaves_of) <= LEAF_SETS_KEPT for context in contexts)
