"""GraphQL execution with short paths for plain leaf fields and resolved objects (issue 10).

A page of 100 members with their connections resolves about a thousand fields; most are plain
attributes (`id`, `createdAt`, a name) that graphql-core nevertheless walks through its whole
field machinery: a `ResolveInfo`, argument parsing, the resolver call, completion. For a field
that Strawberry itself resolves by reading an attribute, or that reads the row or account a type
wraps (`schema.plain_fields`), with no field extension (so no guard or permission can apply)
and a scalar or enum type, `PlainLeafExecution` reads the value and serializes it directly, as
long as no schema extension wraps resolvers. Anything else, and any value that is missing,
awaitable, raising or not serializable, takes graphql-core's own path, so nulls, errors and
their messages stay exactly as they were. Likewise a resolved object (of a type without
`is_type_of`) or list goes straight to its fields or items (`complete_value`,
`complete_list_item_value`): graphql-core's steps in between only pass such a value on.

It subclasses graphql-core's executor (3.3, pinned in pyproject.toml) and replaces its loop over
an object's fields (`execute_fields`), so that a plain leaf costs neither a path nor a call, and
the two completion steps above; a change of graphql-core there shows in
tests/test_plain_leaves.py, which runs the same documents through both.

Fields with a resolver (`Member.connections`, `Connection.staff`, `Member.dateOfBirth`: one per
node) pass through Strawberry's wrapper on each call: argument conversion, the field extension
chain, exception handling, which for a resolver taking only `self` and `info` ends in calling it
with the source and an `Info`. `call_resolvers_directly` gives such fields (no arguments, no
field extension, hence no guard, synchronous, no exception handler in the schema) a resolver
that makes exactly that call; graphql-core's own execution, middleware and error handling stay
as they are."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import lru_cache
from operator import attrgetter
from typing import Any, cast

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from schema.plain_fields import getter_of

# Field sets whose plain leaves one operation remembers (a query has a few dozen).
LEAF_SETS_KEPT = 256
# (how to read its value from the object, the leaf type that serializes it)
PlainLeaf = tuple[Callable[[Any], Any], Callable[[Any], Any]]


@lru_cache(maxsize=8)
def plain_leaves(schema: GraphQLSchema) -> dict[str, dict[str, PlainLeaf]]:
    """Object type name -> field name -> `PlainLeaf`, for the fields the short path may take:
    Strawberry basic fields (`StrawberryField.is_basic_field`, read as an attribute) and
    `schema.plain_fields` fields (read by their getter), of a scalar or enum type, without
    arguments or field extensions."""
    found: dict[str, dict[str, PlainLeaf]] = {}
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            leaf = get_nullable_type(field.type)
            if not isinstance(definition, StrawberryField) or definition.extensions:
                continue
            getter = (
                attrgetter(definition.python_name)
                if definition.is_basic_field
                else getter_of(definition.base_resolver and definition.base_resolver.wrapped_func)
            )
            if (
                getter is not None
                and not field.args
                and is_leaf_type(leaf)
                and isinstance(leaf, (GraphQLScalarType, GraphQLEnumType))
            ):
                found.setdefault(type_name, {})[field_name] = (getter, leaf.serialize)
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
        middleware = self.middleware_manager
        # No short path when middleware (a schema extension's `resolve`) wraps every resolver.
        self._plain_leaves = (
            {} if middleware is not None and middleware.middlewares else plain_leaves(self.schema)
        )
        # id(grouped field set) -> (it, the PlainLeaf or None of each of its fields, in order)
        self._leaves_of: dict[int, tuple[GroupedFieldSet, list[PlainLeaf | None]]] = {}
        # id(return type) -> `_object_or_list_of` it (the schema keeps the types alive)
        self._shapes: dict[int, tuple[Any, bool] | None] = {}

    def _plain_leaves_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[PlainLeaf | None]:
        """The `PlainLeaf` of each field of the set (None: not a plain leaf, or given
        arguments). graphql-core collects the set once for all objects of a list, so this is
        worked out once per list (kept with the set, so that its id is not reused)."""
        known = self._leaves_of.get(id(grouped_field_set))
        if known is not None:
            return known[1]
        if len(self._leaves_of) >= LEAF_SETS_KEPT:
            # A subscription's events share this context and collect their fields anew.
            self._leaves_of.clear()
        of_type = self._plain_leaves.get(parent_type.name, {})
        leaves = [
            None if details[0].node.arguments else of_type.get(details[0].node.name.value)
            for details in grouped_field_set.values()
        ]
        self._leaves_of[id(grouped_field_set)] = (grouped_field_set, leaves)
        return leaves

    def _object_or_list_of(self, return_type: GraphQLOutputType) -> tuple[Any, bool] | None:
        """(the object type, False) when `return_type` is an object type without `is_type_of`,
        possibly non-null; (the item type, True) when it is a list, possibly non-null; else
        None. Worked out once per type."""
        if id(return_type) in self._shapes:
            return self._shapes[id(return_type)]
        inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        shape: tuple[Any, bool] | None = None
        if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
            shape = (inner, False)
        elif isinstance(inner, GraphQLList):
            shape = (inner.of_type, True)
        self._shapes[id(return_type)] = shape
        return shape

    def _straight_to_fields(
        self, return_type: GraphQLOutputType, field_details_list: FieldDetailsList, value: Any
    ) -> tuple[GraphQLObjectType, GroupedFieldSet] | None:
        """(its object type, the fields to execute) when `value`, of `return_type`, may go
        straight to its fields: an object type without `is_type_of` (non-null or not), a value
        that is not None, an exception or an awaitable, and no deferred fragment. Else None."""
        shape = self._object_or_list_of(return_type)
        if (
            shape is None
            or shape[1]
            or value is None
            or isinstance(value, Exception)
            or self.is_awaitable(value)
        ):
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            shape[0], field_details_list
        )
        return None if new_defer_usages else (shape[0], grouped_field_set)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's (3.3), with a resolved object (of an object type without
        `is_type_of`) or list going straight to its fields or items: for such a value
        graphql-core's steps in between (non-null, list, object, sub-fields) only pass it on.
        A non-null type is satisfied: fields give a dict, items a list. Anything else (None,
        an exception, an awaitable, a deferred fragment, any other iterable) takes
        graphql-core's own path."""
        if position_context is None and result is not None:
            shape = self._object_or_list_of(return_type)
            if shape is not None and shape[1] and type(result) is list:
                return self.complete_iterable_value(
                    shape[0], field_details_list, info, path, result, None
                )
            straight = self._straight_to_fields(return_type, field_details_list, result)
            if straight is not None:
                return self.execute_fields(straight[0], result, path, straight[1], None)
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        item_path: Path,
        position_context: Any,
    ) -> bool:
        """graphql-core's (3.3), with an item of an object type that has no `is_type_of`
        completed by `execute_fields` at once: for such an item (not None, no deferred fragment)
        graphql-core's calls in between (the value, non-null, object and sub-field steps) do
        nothing else. Errors are handled as graphql-core handles them; anything else takes
        graphql-core's own path. Returns True when the completed item is awaitable."""
        straight = (
            None
            if position_context is not None
            else self._straight_to_fields(item_type, field_details_list, item)
        )
        if straight is None:
            return super().complete_list_item_value(
                item,
                complete_results,
                item_type,
                field_details_list,
                info,
                item_path,
                position_context,
            )
        try:
            completed = self.execute_fields(straight[0], item, item_path, straight[1], None)
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            complete_results.append(None)
            return False
        if not self.is_awaitable(completed):
            complete_results.append(completed)
            return False

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                return None

        complete_results.append(await_completed())
        return True

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields` (3.3), with each plain leaf answered in place: its
        attribute serialized by its type. When the attribute is missing, None, awaitable or
        raises, or serializing it fails, the field takes graphql-core's own `execute_field`,
        which then gives the value, the null or the error it always gave."""
        leaves = self._plain_leaves_of(parent_type, grouped_field_set)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for leaf, (response_name, field_details_list) in zip(
                leaves, grouped_field_set.items(), strict=True
            ):
                if leaf is not None:
                    try:
                        value = leaf[0](source_value)
                        if type(value) is str:  # most leaves; never awaitable
                            serialized = leaf[1](value)
                        elif value is None:
                            serialized = None
                        elif is_awaitable(value):
                            serialized = None
                            if isinstance(value, Coroutine):
                                value.close()  # never started; the resolver makes another
                        else:
                            serialized = leaf[1](value)  # the leaf type's serialize
                    except Exception:  # graphql-core's own path below reports it
                        serialized = None
                    if serialized is not None and serialized is not Undefined:
                        results[response_name] = serialized
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()
