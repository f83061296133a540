"""GraphQL execution with a short path for plain leaf fields (issue 10).

A page of 100 members with their connections resolves about a thousand fields; most are plain
attributes (`id`, `createdAt`, a name) that graphql-core nevertheless walks through its whole
field machinery: a `ResolveInfo`, argument parsing, the resolver call, completion. For a field
that Strawberry itself resolves by reading an attribute (no resolver, no field extension, so no
guard or permission can apply) and whose type is a scalar or an enum, `PlainLeafExecution`
reads the attribute and serializes it directly, as long as no schema extension wraps
resolvers. Anything else, and any value that is missing, awaitable, raising or not
serializable, takes graphql-core's own path, so nulls, errors and their messages stay exactly
as they were.

It subclasses graphql-core's executor (3.3, pinned in pyproject.toml): a change of its
`execute_field` shows in tests/test_plain_leaves.py.

Fields with a resolver (`Member.connections`, `Connection.staff`, `Member.dateOfBirth`: one per
node) pass through Strawberry's wrapper on each call: argument conversion, the field extension
chain, exception handling, which for a resolver taking only `self` and `info` ends in calling it
with the source and an `Info`. `call_resolvers_directly` gives such fields (no arguments, no
field extension, hence no guard, synchronous, no exception handler in the schema) a resolver
that makes exactly that call; graphql-core's own execution, middleware and error handling stay
as they are."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

# (the attribute to read, the leaf type that serializes it)
PlainLeaf = tuple[str, Callable[[Any], Any]]


@lru_cache(maxsize=8)
def plain_leaves(schema: GraphQLSchema) -> dict[str, dict[str, PlainLeaf]]:
    """Object type name -> field name -> `PlainLeaf`, for the fields the short path may take:
    Strawberry basic fields (`StrawberryField.is_basic_field`) of a scalar or enum type."""
    found: dict[str, dict[str, PlainLeaf]] = {}
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            leaf = get_nullable_type(field.type)
            if (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and not field.args
                and is_leaf_type(leaf)
                and isinstance(leaf, (GraphQLScalarType, GraphQLEnumType))
            ):
                found.setdefault(type_name, {})[field_name] = (
                    definition.python_name,
                    leaf.serialize,
                )
    return found


def call_resolvers_directly(schema: strawberry.Schema) -> list[str]:
    """Replace, in `schema`'s graphql-core schema, the resolve function of every field that
    qualifies (see the module's docstring) with one calling its Strawberry resolver directly.
    Returns the fields changed, as "Type.field". Call once, right after building the schema."""
    converter = schema.schema_converter
    if getattr(converter, "_exception_handler_specs", None) != ():
        return []  # exception handlers (or a Strawberry that no longer says): keep its path
    info_class = schema.config.info_class
    changed = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(definition, StrawberryField) and not field.args:
                resolve = _direct_resolver(definition, info_class)
                if resolve is not None:
                    field.resolve = resolve
                    changed.append(f"{type_name}.{field_name}")
    return changed


def _direct_resolver(field: StrawberryField, info_class: type[Info]) -> Callable[..., Any] | None:
    """`field`'s resolver called as Strawberry calls it, or None when the field does not
    qualify."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.is_async or field.arguments:
        return None
    self_parameter, info_parameter = resolver.self_parameter, resolver.info_parameter
    if self_parameter is None or resolver.parent_parameter or resolver.root_parameter:
        return None
    taken = {self_parameter.name} | ({info_parameter.name} if info_parameter else set())
    if set(resolver.signature.parameters) != taken:
        return None
    function = cast(Callable[..., Any], resolver.wrapped_func)
    if info_parameter is None:

        def resolve_without_info(source: Any, info: Any) -> Any:
            return function(source)

        return resolve_without_info
    name = info_parameter.name

    def resolve(source: Any, info: Any) -> Any:  # info: graphql-core's GraphQLResolveInfo
        return function(source, **{name: info_class(_raw_info=info, _field=field)})

    return resolve


class PlainLeafExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain leaf fields answered in place."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_leaves = plain_leaves(self.schema)  # looked up once per operation

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """The completed value of one field of `source` (graphql-core's `execute_field`): for a
        plain leaf, its attribute serialized by its type; for any other field, or when the
        attribute is missing, None, awaitable or raises, or serializing it fails, graphql-core's
        own path, which then gives the value, the null or the error it always gave."""
        node = field_details_list[0].node
        middleware = self.middleware_manager
        leaf = (
            None
            if (middleware is not None and middleware.middlewares) or node.arguments
            else self._plain_leaves.get(parent_type.name, {}).get(node.name.value)
        )
        if leaf is not None:
            try:
                value = getattr(source, leaf[0])
                serialized = (
                    None
                    if value is None or self.is_awaitable(value)
                    else leaf[1](value)  # the leaf type's serialize
                )
            except Exception:  # graphql-core's own path below reports it
                serialized = None
            if serialized is not None and serialized is not Undefined:
                return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
