"""Checks of user input shared by every domain; each failure is a `DomainError` with a field."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email

from domain.errors import DomainError, ErrorCode

MAX_NOTE_LENGTH = 1000
MAX_NAME_LENGTH = 100

# Text-direction formatting characters (Unicode bidi classes LRE, RLE, PDF, LRO, RLO, LRI, RLI,
# FSI, PDI) and the invisible direction marks LRM, RLM, ALM: they reorder what a reader sees, so
# "Dr. Evil<U+202E>gnp.exe" displays as someone else's name.
_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# Control characters, surrogates (a lone one cannot be stored as UTF-8), and the Unicode line and
# paragraph separators, which break a line as CR/LF do.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_LINE_BREAKS = frozenset("\n")


def normalized_email(value: str) -> str | None:
    """The address in the one form Carespace stores and compares, or None when it is not a
    usable address.

    Syntax is checked by `email-validator` (RFC 5322/6531 as mail servers accept them, without any
    DNS look-up). Internationalised domains are accepted and turned into their ASCII (IDNA) form,
    so `anna@münchen.de` and `anna@xn--mnchen-3ya.de` are one address; the whole address is then
    lower-cased. Refused: a non-ASCII part before the @ (it has no ASCII form to store, and many
    mail servers cannot deliver it), quoted local parts, IP-address domains, display names and
    special-use domains such as `.local` or `localhost` that no mail reaches."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False, allow_smtputf8=False)
    except (EmailNotValidError, UnicodeError):
        return None
    return checked.ascii_email.lower() if checked.ascii_email else None


def shown(value: str, length: int = 40) -> str:
    """At most `length` characters of `value` (stripped) for an error message, "…" marking a cut:
    messages never echo a long input back (issue 12, item 2)."""
    text = value.strip()
    return text if len(text) <= length else text[:length] + "…"


def require_email(value: str, field: str = "email") -> str:
    """`normalized_email(value)`, or DomainError INVALID_EMAIL on `[field]` when it is none."""
    email = normalized_email(value)
    if email is None:
        raise DomainError(
            ErrorCode.INVALID_EMAIL, f"{shown(value)!r} is not a valid email address.", [field]
        )
    return email


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of `text` that user text may not hold, or None.

    Refused everywhere: control characters (NUL, tab, escape, DEL, C1...), lone surrogates, the
    Unicode line/paragraph separators and bidi override/isolate/mark characters. With
    `multiline`, a line feed is allowed (carriage returns are turned into line feeds by
    `require_text` before this check)."""
    for char in text:
        if multiline and char in _LINE_BREAKS:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return char
    return None


def storable_text(text: str) -> str:
    """`text` with what no database column can hold (NUL, which PostgreSQL refuses, and lone
    surrogates, which are not UTF-8) replaced by U+FFFD: for text kept as the person wrote it,
    such as a pasted roster or a mistyped address in the audit log, not for checked input."""
    if text.isprintable() or not any(c == "\0" or "\ud800" <= c <= "\udfff" for c in text):
        return text
    return "".join("\ufffd" if c == "\0" or "\ud800" <= c <= "\udfff" else c for c in text)


def require_text(
    value: str | None,
    field: str | Sequence[str],
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """`value` trimmed, checked and ready to store ("" for None).

    One-line text (names, titles, identification numbers; the default) may hold no control or
    bidi-override characters at all; `multiline` text (notes, messages, descriptions) may also
    hold line breaks, stored as `\\n` (CRLF and CR become LF). Raises DomainError on `[field]`:
    REQUIRED when empty but `required`, INVALID_CHARACTERS for a refused character, TOO_LONG
    above `max_length` characters. `field` is an argument's name or the path to an input
    field (`["input", "title"]`)."""
    path = [field] if isinstance(field, str) else list(field)
    name = path[-1]
    text = (value or "").strip()
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if required and not text:
        raise DomainError(ErrorCode.REQUIRED, f"{name} is required.", path)
    char = refused_character(text, multiline=multiline)
    if char is not None:
        kind = "line breaks, " if not multiline and char in "\r\n" else ""
        raise DomainError(
            ErrorCode.INVALID_CHARACTERS,
            f"{name} may not contain {kind}control or text-direction characters "
            f"(found U+{ord(char):04X}).",
            path,
        )
    if len(text) > max_length:
        raise DomainError(
            ErrorCode.TOO_LONG, f"{name} may be at most {max_length} characters.", path
        )
    return text


def checked_date_of_birth(value: dt.date | None, today: dt.date) -> dt.date | None:
    if value is not None and (value > today or value.year < 1900):
        raise DomainError(
            ErrorCode.INVALID, "This is not a possible date of birth.", ["dateOfBirth"]
        )
    return value
