"""Search conditions over the normalised search columns (models.search): one normalising
function for the stored columns and the typed words, so case and accents never matter and SQLite
answers as PostgreSQL does (issue 7, item 11)."""

from __future__ import annotations

import datetime as dt

from tortoise.expressions import Q

from models.search import search_key

# Dates of birth are typed the ISO way or the Dutch way (31-12-1980, 31/12/1980, 31.12.1980).
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")


def as_date(text: str) -> dt.date | None:
    """The date a search word spells, or None."""
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def member_search(text: str) -> Q:
    """Members whose name, email or identification number contains `text` (any case, any
    accents). Filters a Member query."""
    key = search_key(text)
    return (
        Q(account__search_text__contains=key)
        | Q(account__email__contains=key)
        | Q(search_text__contains=key)
    )


def client_search(text: str) -> Q:
    """The seeds' client search: every word must match the surname, first name,
    identification number or (when it is a date) the date of birth. Filters a Member query."""
    condition = Q()
    for word in text.split():
        key = search_key(word)
        match = Q(account__search_text__contains=key) | Q(search_text__contains=key)
        born = as_date(word)
        if born is not None:
            match |= Q(account__date_of_birth=born)
        condition &= match
    return condition


def healthspace_search(text: str) -> Q:
    """Healthspaces whose name contains `text` (any case, any accents)."""
    return Q(search_text__contains=search_key(text))
