"""Turning the rows a query read into model objects, with less work per row than Tortoise.

A page of 100 members with their accounts is 200 model objects, and a read of S4 (issue 10)
makes about 400. Tortoise's `Model._init_from_db` sets four bookkeeping attributes through
`Model.__setattr__` (a Python method that also checks relations), parses every UUID column with
`uuid.UUID(text)` and every enum column through `Enum.__call__`: together about a third of the
time a row takes. `FastRows` builds the same object (the same attributes with the same values,
checked for every model in tests/test_rows.py), writing them straight into the object's
`__dict__`, reading a UUID's 32 hex digits in one `int()` and an enum member from the enum's own
value map. A partial row (`.only()`) takes Tortoise's own path.

This overrides a private method of Tortoise (1.1, pinned below 2 in pyproject.toml); the test
compares it with Tortoise's own on every model, so a change there fails the suite, not a read.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID, SafeUUID

from tortoise.fields.data import CharEnumFieldInstance, UUIDField
from tortoise.models import Model

# The mixin is listed before `Model` in a model's bases; to the type checker it is a Model.
if TYPE_CHECKING:
    _Mixin = Model
else:
    _Mixin = object

_object_new = object.__new__
_object_setattr = object.__setattr__
# Read once: each read of an enum member from its class goes through Enum's descriptor.
_SAFETY_UNKNOWN = SafeUUID.unknown
_tortoise_init_from_db = Model._init_from_db.__func__  # type: ignore[attr-defined]


def uuid_of(value: Any) -> UUID | None:
    """A UUID column's value as `uuid.UUID`: None stays None, a UUID (asyncpg's subclass too)
    stays itself, text (SQLite) is parsed exactly as `uuid.UUID(text)` parses it. Raises
    ValueError for text that is not a UUID, as `uuid.UUID` does."""
    if type(value) is str:
        digits = value.replace("-", "")
        if len(digits) == 32:
            parsed = _object_new(UUID)
            _object_setattr(parsed, "int", int(digits, 16))  # ValueError if not hex
            _object_setattr(parsed, "is_safe", _SAFETY_UNKNOWN)
            return parsed
    if value is None or isinstance(value, UUID):
        return value
    return UUID(value)  # braces, "urn:uuid:", or the error uuid.UUID gives


def enum_member(enum_type: type[Enum], value: Any) -> Enum | None:
    """A CharEnumField column's value as its enum member, as `enum_type(value)` gives it (one
    dict lookup instead of Enum's call machinery); None stays None. Raises ValueError for a
    value that is no member's, as `enum_type(value)` does."""
    member = enum_type._value2member_map_.get(value)
    if member is not None or value is None:
        return member
    return enum_type(value)


class FastRows(_Mixin):
    """Mixed into every Carespace model (listed before `Model`): rows read from the database
    become objects through `_init_from_db` below."""

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Self:
        """The model object of one row: `kwargs` maps each column to its value as the driver
        returned it. The same object Tortoise's `Model._init_from_db` makes."""
        meta = cls._meta
        row = _object_new(cls)
        values = row.__dict__
        values["_partial"] = False
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = meta.db_pk_column not in meta.generated_db_fields
        values["_await_when_save"] = {}
        try:
            # Tortoise's grouping: values the driver already converts, values one call of the
            # field's Python type converts, and values only the field itself converts.
            for key, name, _ in meta.db_native_fields:
                values[name] = kwargs[key]
            for key, name, field in meta.db_default_fields:
                value = kwargs[key]
                values[name] = value if value is None else field.field_type(value)
            for key, name, field in meta.db_complex_fields:
                value = kwargs[key]
                kind = type(field)
                if kind is UUIDField:
                    values[name] = uuid_of(value)
                elif kind is CharEnumFieldInstance:
                    values[name] = enum_member(field.enum_type, value)  # type: ignore[attr-defined]
                else:
                    values[name] = field.to_python_value(value)
        except KeyError:  # a partial row (`.only()`): Tortoise's own, slower path
            row = _tortoise_init_from_db(cls, **kwargs)
        return row
