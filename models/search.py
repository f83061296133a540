"""The one normalising function of search: stored search columns and every search query use it,
so that "celik", "Çelik" and "ÇELIK" find the same rows on SQLite and PostgreSQL alike.

A model with a search column mixes in `SearchColumn`, names the columns it is made of in
`SEARCHED_FIELDS` and sets `manager = SearchManager()` in its Meta: the column then follows every
save, `bulk_create` and queryset `update` of those columns."""

from __future__ import annotations

import unicodedata
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

MODEL = TypeVar("MODEL", bound=Model)

# The mixin is listed before `Model` in a model's bases; to the type checker it is a Model, so
# its `super()` calls are checked against Model's methods.
if TYPE_CHECKING:
    _Mixin = Model
else:
    _Mixin = object

# Separates the parts of a search column; normalised search words never contain it.
SEPARATOR = "\n"


def search_key(text: str) -> str:
    """`text` for comparing: compatibility-decomposed (NFKD), combining marks (accents) removed,
    case-folded, runs of whitespace made one space, trimmed. "  Çelik " -> "celik"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def search_column(*parts: str | None) -> str:
    """The stored search text of a row: the key of each part, one per line."""
    return SEPARATOR.join(search_key(part or "") for part in parts)


class SearchColumn(_Mixin):
    """Mixed into a model whose `search_text` column is `search_column` of `SEARCHED_FIELDS`."""

    SEARCHED_FIELDS: ClassVar[tuple[str, ...]] = ()

    def refresh_search_text(self) -> None:
        self.search_text = search_column(*(getattr(self, name) for name in self.SEARCHED_FIELDS))

    async def save(
        self,
        using_db: BaseDBAsyncClient | None = None,
        update_fields: Iterable[str] | None = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        self.refresh_search_text()
        if update_fields is not None:
            update_fields = [*update_fields, "search_text"]
        await super().save(using_db, update_fields, force_create, force_update)

    @classmethod
    def bulk_create(cls, objects: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        rows = list(objects)
        for row in rows:
            row.refresh_search_text()
        return super().bulk_create(rows, *args, **kwargs)


class _Reindexed:
    """An update of searched columns followed by recomputing those rows' search text."""

    def __init__(self, queryset: SearchQuerySet[Any], values: dict[str, Any]) -> None:
        self.queryset = queryset
        self.values = values

    async def run(self) -> int:
        ids = list(await self.queryset.values_list("id", flat=True))
        changed: int = await QuerySet.update(self.queryset, **self.values)
        if ids:
            for row in await self.queryset.model.filter(id__in=ids):
                await row.save(update_fields=[])
        return changed

    def __await__(self) -> Generator[Any, None, int]:
        return self.run().__await__()


class SearchQuerySet(QuerySet[MODEL]):
    def update(self, **kwargs: Any) -> Any:
        searched = getattr(self.model, "SEARCHED_FIELDS", ())
        if not set(kwargs) & set(searched):
            return super().update(**kwargs)
        return _Reindexed(self, kwargs)


class SearchManager(Manager):
    def get_queryset(self) -> QuerySet[Any]:
        return SearchQuerySet(self._model)
