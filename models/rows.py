"""Turning the rows a query read into model objects, with less work per row than Tortoise.

A page of 100 members with their accounts is 200 model objects, and a read of S4 (issue 10)
makes about 400. Tortoise's `Model._init_from_db` sets four bookkeeping attributes through
`Model.__setattr__` (a Python method that also checks relations), parses every UUID column with
`uuid.UUID(text)` and every enum column through `Enum.__call__`: together about a third of the
time a row takes. `FastRows` builds the same object (the same attributes with the same values,
checked for every model in tests/test_rows.py), writing them straight into the object's
`__dict__`, reading a UUID's 32 hex digits in one `int()` and an enum member from the enum's own
value map. A partial row (`.only()`) takes Tortoise's own path.

`RowReader` (the prepared reads of models/prepared.py: pages, loaders) goes further: it sets
only the columns the driver returns ready (text, numbers) and keeps the driver's row in the
object; every other column (UUIDs on SQLite, datetimes, enums, JSON) is converted when its
attribute is first read. A page reads every column of members, accounts and connections, and
the fields asked for use a few: S4 (100 clients with their connections) converted about 3,100
values a request and now converts about 740. `_Column`, the model's attribute for each column,
makes the conversion `FastRows` would have made and keeps the result as an ordinary attribute;
an attribute set before it is read simply wins (so Tortoise's `save()` and our code see the
same values). A corrupt value therefore raises (ValueError, as `uuid.UUID` or the field
raises) where it is read, on every read, not where the row is fetched.

This overrides a private method of Tortoise (1.1, pinned below 2 in pyproject.toml); the test
compares it with Tortoise's own on every model, so a change there fails the suite, not a read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
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

    def __getstate__(self) -> dict[str, Any]:
        """The attributes pickle and `copy` take: for an object a `RowReader` made, its
        columns still unread are read first and the driver's row, which neither can copy, is
        left out."""
        values = self.__dict__
        if ROW not in values:
            return values
        for name in values[UNREAD]:
            getattr(self, name)
        return {name: value for name, value in values.items() if name not in (ROW, UNREAD)}

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


# How one column's value becomes an attribute's: None keeps it as the driver returned it.
Converter = Callable[[Any], Any] | None


# Where an object read by `RowReader` keeps the driver's row and how to read its unconverted
# columns from it (`Unread`). Not identifiers, so no attribute can have these names.
ROW = ":row"
UNREAD = ":unread"
# Attribute -> (index of its column in the row, `Converter`) of the columns not yet converted.
Unread = dict[str, tuple[int, Callable[[Any], Any]]]


class _Column:
    """A model's data attribute whose column may still wait unconverted in the driver's row
    (see the module's docstring). A non-data descriptor: once the attribute is in the object's
    `__dict__` (converted here, set by Tortoise or assigned), Python reads it from there
    without this."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        values = instance.__dict__
        unread: Unread | None = values.get(UNREAD)
        if unread is None or self.name not in unread:
            raise AttributeError(
                f"'{type(instance).__name__}' object has no attribute '{self.name}'"
            )
        index, convert = unread[self.name]
        value = values[ROW][index]
        if value is not None:
            value = convert(value)
        values[self.name] = value
        return value


def deferrable(model: type[Model]) -> None:
    """Give `model` a `_Column` for each of its data attributes, once, so that `RowReader` may
    leave columns unconverted."""
    if "_columns_deferrable" in model.__dict__:
        return
    for name in model._meta.fields_db_projection:
        if name not in model.__dict__:
            setattr(model, name, _Column(name))
    model._columns_deferrable = True  # type: ignore[attr-defined]


def _converters(model: type[Model]) -> dict[str, tuple[str, Converter]]:
    """Column -> (attribute, `Converter`) of `model` on the database in use: the conversions
    `FastRows._init_from_db` makes, decided once."""
    meta = model._meta
    found: dict[str, tuple[str, Converter]] = {}
    for key, name, _ in meta.db_native_fields:
        found[key] = (name, None)
    for key, name, field in meta.db_default_fields:
        found[key] = (name, field.field_type)  # `_Column` never converts a None
    for key, name, field in meta.db_complex_fields:
        kind = type(field)
        if kind is UUIDField:
            found[key] = (name, uuid_of)
        elif kind is CharEnumFieldInstance:
            found[key] = (name, partial(enum_member, field.enum_type))  # type: ignore[attr-defined]
        else:
            found[key] = (name, field.to_python_value)
    return found


@dataclass(frozen=True)
class _Part:
    """One model's columns in a row: the object it becomes and where it goes."""

    model: type[Model]
    # (index in the row, attribute) of the columns the driver returns ready
    ready: tuple[tuple[int, str], ...]
    unread: Unread  # the others
    custom_generated_pk: bool
    parent: int | None  # index of the part it belongs to (None: the row's own object)
    attribute: str  # the parent's attribute for it ("_account"), when it has a parent
    # The columns of a related object: all of them falsy means no related row (Tortoise's test).
    first: int
    end: int

    def read(self, row: Any) -> Model:
        made = _object_new(self.model)
        values = made.__dict__
        values["_partial"] = False
        values["_saved_in_db"] = True
        values["_custom_generated_pk"] = self.custom_generated_pk
        values["_await_when_save"] = {}
        for index, name in self.ready:
            values[name] = row[index]
        values[ROW] = row  # the other columns are converted when read (`_Column`)
        values[UNREAD] = self.unread
        return made


class RowReader:
    """Turns the rows of one SELECT that Tortoise built into model objects, as Tortoise's
    executor does (`execute_select`: the row's object, the `select_related` objects set on it,
    annotations as attributes), without making a dict of each row and each object's columns.
    Made from the statement's column names; see `row_reader`."""

    def __init__(self, parts: Sequence[_Part], annotations: Sequence[tuple[int, str]]) -> None:
        self._parts = tuple(parts)
        self._annotations = tuple(annotations)

    def __call__(self, row: Any) -> Any:
        made: list[Model | None] = []
        for part in self._parts:
            parent = None if part.parent is None else made[part.parent]
            if part.parent is not None and not any(row[part.first : part.end]):
                made.append(None)
            else:
                made.append(part.read(row))
            if parent is not None:
                _object_setattr(parent, part.attribute, made[-1])
        instance = made[0]
        assert instance is not None
        for index, name in self._annotations:
            _object_setattr(instance, name, row[index])
        return instance


def row_reader(
    model: type[Model],
    select_related_idx: Sequence[Any] | None,
    custom_fields: Sequence[str],
    keys: Sequence[str],
) -> RowReader | None:
    """The `RowReader` of a statement Tortoise built for `model` whose rows have the columns
    `keys`, with its `select_related_idx` and annotations `custom_fields` (a queryset's after
    `_make_query`). None when the statement is not one a reader can read as Tortoise would
    (`.only()`, a column it does not know): read those with Tortoise's executor."""
    positions = {key: index for index, key in enumerate(keys)}
    parts: list[_Part] = []
    paths: dict[tuple[Any, ...], int] = {}
    layout = list(select_related_idx or [(model, len(keys), None, model, (None,))])
    start = 0
    for number, (part_model, count, _, _, full_path) in enumerate(layout):
        if count == 0 or not issubclass(part_model, FastRows):
            return None
        deferrable(part_model)
        converters = _converters(part_model)
        names = keys[start : start + count]
        ready: list[tuple[int, str]] = []
        unread: Unread = {}
        for index, key in enumerate(names, start):
            field_key = key if number == 0 else key.split(".", 1)[1]
            if field_key in converters:
                name, convert = converters[field_key]
                if convert is None:
                    ready.append((index, name))
                else:
                    unread[name] = (index, convert)
            elif number != 0 or key not in custom_fields:
                return None
        meta = part_model._meta
        if len(ready) + len(unread) != len(converters):
            return None  # not every column of the model: a partial object
        path = tuple(full_path)
        parent = None if number == 0 else paths.get(path[:-1])
        if number != 0 and parent is None:
            return None
        paths[path] = number
        parts.append(
            _Part(
                model=part_model,
                ready=tuple(ready),
                unread=unread,
                custom_generated_pk=meta.db_pk_column not in meta.generated_db_fields,
                parent=parent,
                attribute=f"_{path[-1]}",
                first=start,
                end=start + count,
            )
        )
        start += count
    if any(name not in positions for name in custom_fields):
        return None
    return RowReader(parts, [(positions[name], name) for name in custom_fields])
