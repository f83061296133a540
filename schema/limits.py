"""What one GraphQL request may cost: depth, aliases, tokens and an estimate of the rows it
could touch, all refused before any resolver runs (issue 12, item 1).

The cost estimate counts every field once, multiplied by the sizes of the lists it sits in: a
paged field (`first`) multiplies what is below it by `first` (or the default page size when
`first` is not given), any other list field by `default_list_size` (10). So `members → healthspace →
members` four levels deep costs about 20^4 and is refused with its computed cost, while a page of
100 members with a dozen fields each costs about 1,300. Introspection fields (`__schema`,
`__type`, `__typename`) are not counted, as in graphql-armor, so GraphiQL keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from strawberry.extensions import SchemaExtension

from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


@dataclass(frozen=True)
class QueryLimits:
    """Limits of one request; each has a CARESPACE_* setting (see `ENVIRONMENT` and README
    "Security"). Defaults are in graphql-armor's range (depth 6-10, aliases 15, tokens
    1,000-2,000)."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_cost: int = 20_000
    # Lists without `first` (memberships, connections, roles) are assumed this long.
    default_list_size: int = 10
    # Request bodies above this are refused while they are read (413), before any parsing.
    # 5 MiB holds a pasted 10,000-line roster of up to ~500 bytes a line (notes included).
    max_body_bytes: int = 5 * 1024 * 1024


# Setting name -> QueryLimits field; read by `limits_from`.
ENVIRONMENT: Mapping[str, str] = {
    "CARESPACE_MAX_QUERY_DEPTH": "max_depth",
    "CARESPACE_MAX_ALIASES": "max_aliases",
    "CARESPACE_MAX_TOKENS": "max_tokens",
    "CARESPACE_MAX_QUERY_COST": "max_cost",
    "CARESPACE_MAX_BODY_BYTES": "max_body_bytes",
}


def limits_from(
    env: Mapping[str, str], number: Callable[[Mapping[str, str], str, int], int]
) -> QueryLimits:
    """The limits named in `env`; `number(env, name, default)` reads and checks one positive
    integer (server.py's reader, which raises its ConfigurationError on a bad value)."""
    defaults = QueryLimits()
    return QueryLimits(
        **{
            field: number(env, name, getattr(defaults, field))
            for name, field in ENVIRONMENT.items()
        }
    )


def _error(code: str, message: str, **details: int) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **details})


@dataclass
class _Measure:
    depth: int = 0
    aliases: int = 0


class _Walker:
    """Walks an operation once, with the schema's types, counting depth, aliases and cost."""

    def __init__(
        self,
        context: ValidationContext,
        limits: QueryLimits,
        variables: Mapping[str, Any],
    ) -> None:
        self.limits = limits
        self.variables = variables
        self.fragments = {
            d.name.value: d
            for d in context.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.schema = context.schema
        self.measure = _Measure()

    def page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            # A size over MAX_PAGE_SIZE (or not a number) is refused by the resolver later;
            # until then it counts as the largest page there can be.
            if isinstance(value, IntValueNode):
                return min(max(0, int(value.value)), MAX_PAGE_SIZE)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and 0 <= given <= MAX_PAGE_SIZE:
                    return given
                return MAX_PAGE_SIZE
        return DEFAULT_PAGE_SIZE

    def cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        depth: int,
        seen: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        self.measure.depth = max(self.measure.depth, depth)
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                if selection.alias is not None:
                    self.measure.aliases += 1
                fields = (
                    parent.fields
                    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
                    else {}
                )
                definition = fields.get(name)
                if definition is None:
                    continue  # an unknown field: the standard rules report it
                named = get_named_type(definition.type)
                if "first" in definition.args:
                    size = self.page_size(selection)
                elif isinstance(get_nullable_type(definition.type), GraphQLList) and not (
                    isinstance(parent, GraphQLObjectType) and "pageInfo" in parent.fields
                ):
                    size = self.limits.default_list_size
                else:
                    size = 1  # one object, or the nodes of a page already counted by `first`
                total += 1 + size * self.cost(selection.selection_set, named, depth + 1, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, target, depth, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue  # unknown or cyclic: the standard rules report it
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.cost(fragment.selection_set, target, depth, seen | {name})
        return total


def limits_rule(limits: QueryLimits, variables: Mapping[str, Any]) -> type[ValidationRule]:
    """A validation rule refusing operations over `limits` with codes QUERY_TOO_DEEP,
    TOO_MANY_ALIASES or QUERY_TOO_COSTLY; the error's extensions carry the measured value and
    the limit (`depth`/`aliases`/`cost` and `limit`)."""

    class QueryLimitsRule(ValidationRule):
        # Reads the variables: its verdict is remembered per document text and variables
        # (schema/extensions.py); the limits are the rest of what it depends on.
        VARIES_WITH_VARIABLES = True
        VERDICT_KEY = limits

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            walker = _Walker(self.context, limits, variables)
            root = self.context.schema.get_root_type(node.operation)
            cost = walker.cost(node.selection_set, root, 0, frozenset())
            measure = walker.measure
            if measure.depth > limits.max_depth:
                self.report_error(
                    _error(
                        "QUERY_TOO_DEEP",
                        f"This query nests {measure.depth} levels deep; at most "
                        f"{limits.max_depth} are allowed.",
                        depth=measure.depth,
                        limit=limits.max_depth,
                    )
                )
            if measure.aliases > limits.max_aliases:
                self.report_error(
                    _error(
                        "TOO_MANY_ALIASES",
                        f"This query has {measure.aliases} aliases; at most "
                        f"{limits.max_aliases} are allowed.",
                        aliases=measure.aliases,
                        limit=limits.max_aliases,
                    )
                )
            if cost > limits.max_cost:
                self.report_error(
                    _error(
                        "QUERY_TOO_COSTLY",
                        f"This query could cost {cost:,} (fields times the sizes of the lists "
                        f"they are in); at most {limits.max_cost:,} is allowed. Ask for smaller "
                        "pages (`first`) or fewer nested lists.",
                        cost=cost,
                        limit=limits.max_cost,
                    )
                )

    return QueryLimitsRule


class EnforceQueryLimits(SchemaExtension):
    """Applies `QueryLimits` to every operation: the token limit while parsing (graphql-core
    stops reading the document), the others as a validation rule, so nothing over a limit
    reaches a resolver."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.limits.max_tokens
        variables = context.variables if isinstance(context.variables, Mapping) else {}
        context.validation_rules = (
            *context.validation_rules,
            limits_rule(self.limits, variables),
        )
        yield
        result = context.result
        for error in (result.errors if result is not None else None) or ():
            if "tokens. Parsing aborted" in error.message:  # graphql-core's max_tokens
                error.extensions = {"code": "TOO_MANY_TOKENS", "limit": self.limits.max_tokens}
