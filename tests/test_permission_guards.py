"""Every root field names its access rule: a PermissionExtension from `permissions.guards.guard`
with at least one permission class. A field without one fails this test by name."""

from __future__ import annotations

import strawberry
from strawberry.permission import BasePermission, PermissionExtension

from permissions.guards import IsAuthenticated, Public, guard
from schema.settings import Settings
from server import build_schema

ROOT_TYPES = ("Query", "Mutation", "Subscription")


def is_guarded(field: object) -> bool:
    return any(
        isinstance(extension, PermissionExtension)
        and extension.permissions
        and all(isinstance(p, BasePermission) for p in extension.permissions)
        for extension in getattr(field, "extensions", ())
    )


def unguarded_root_fields(schema: strawberry.Schema) -> list[str]:
    """`Type.field` for every root field without a permission guard."""
    missing: list[str] = []
    for type_name in ROOT_TYPES:
        definition = schema.get_type_by_name(type_name)
        if definition is None:
            continue
        for field in definition.fields:  # type: ignore[union-attr]
            if not is_guarded(field):
                missing.append(
                    f"{type_name}.{schema.config.name_converter.get_graphql_name(field)}"
                )
    return missing


def test_every_root_field_of_the_schema_carries_a_permission_guard() -> None:
    schema = build_schema(Settings())

    missing = unguarded_root_fields(schema)

    assert not missing, (
        "These root fields have no permission guard; declare one with "
        "`extensions=[guard(...)]` (Public() when anyone may call it): " + ", ".join(missing)
    )


def test_the_schema_has_the_root_fields_of_the_foundation() -> None:
    # when the schema's root fields are listed
    schema = build_schema(Settings())
    names = {
        f"{type_name}.{schema.config.name_converter.get_graphql_name(field)}"
        for type_name in ("Query", "Mutation")
        for field in schema.get_type_by_name(type_name).fields  # type: ignore[union-attr]
    }

    # then the foundation's fields are among them
    # The walk above is only worth something if it saw the fields it should guard.
    assert {
        "Query.viewer",
        "Query.healthspace",
        "Query.healthspaces",
        "Query.member",
        "Mutation.signUp",
        "Mutation.signIn",
        "Mutation.updateHealthspace",
        "Mutation.deactivateMember",
        "Mutation.leaveHealthspace",
    } <= names


def test_the_check_names_an_unguarded_field() -> None:
    # given a schema with a forgotten field and an empty guard
    @strawberry.type
    class Query:
        @strawberry.field(extensions=[guard(Public())])
        def open(self) -> int:
            return 1

        @strawberry.field
        def forgotten(self) -> int:
            return 2

        @strawberry.field(extensions=[guard()])
        def empty_guard(self) -> int:
            return 3

    @strawberry.type
    class Mutation:
        @strawberry.mutation(extensions=[guard(IsAuthenticated())])
        def act(self) -> int:
            return 4

        @strawberry.mutation
        def unchecked(self) -> int:
            return 5

    schema = strawberry.Schema(query=Query, mutation=Mutation)

    # then the check names exactly those fields
    assert unguarded_root_fields(schema) == [
        "Query.forgotten",
        "Query.emptyGuard",
        "Mutation.unchecked",
    ]
