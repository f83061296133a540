"""Reading a pasted roster: one person per line, `email, personal note`, `#` comments; a
pasted address list (`Ann <ann@x.org>; bob@x.org`) is several people.

Pure text handling, no database: what people paste from spreadsheets, mail clients and
Windows editors (a BOM, CRLF, tabs, semicolons, trailing commas, quotes, `Name <a@b.c>`) is
read the way they meant it; anything else becomes an INVALID line with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from domain.validation import MAX_NAME_LENGTH, MAX_NOTE_LENGTH, normalized_email, refused_character

MAX_ROSTER_LINES = 10_000
# Room for 10,000 lines each with a long address and a note of the maximum length.
MAX_ROSTER_CHARS = MAX_ROSTER_LINES * (254 + MAX_NOTE_LENGTH + 100)

# Between the address and its note: a comma as documented, or what spreadsheets paste.
_SEPARATORS = ",;\t"
# Invisible characters that editors and web pages slip into pasted text.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060"), None)
# `Name <address>` or `<address>`; a name never holds an @, so a note with <b> is no match.
_ANGLE_FORM = re.compile(r"^(?P<name>[^<>@]*)<(?P<address>[^<>]*)>(?P<rest>.*)$")


class RosterTooLong(ValueError):
    def __init__(self, lines: int) -> None:
        super().__init__(f"The roster has more than {MAX_ROSTER_LINES:,} people in it.")
        self.lines = lines


@dataclass(frozen=True, slots=True)
class RosterLine:
    number: int  # 1-based line number in the pasted text
    email: str  # lower-cased when valid; as written otherwise
    note: str | None  # this line's own note; None when the default note applies
    first_name: str = ""  # from a `Name <address>` form
    last_name: str = ""
    problem: str | None = None  # why the line is INVALID
    duplicate_of: int | None = None  # the earlier line with the same person

    @property
    def usable(self) -> bool:
        """Neither invalid nor a repeat: this line names a person to invite."""
        return self.problem is None and self.duplicate_of is None


def parse_roster(text: str, *, max_lines: int = MAX_ROSTER_LINES) -> list[RosterLine]:
    """Every person of `text` in order (blank and `#` lines skipped; a line listing several
    addresses gives one entry per address, all with that line's number), duplicates marked.

    Raises RosterTooLong beyond `max_lines` people, before reading further."""
    if len(text) > MAX_ROSTER_CHARS:
        raise RosterTooLong(text.count("\n") + 1)
    lines: list[RosterLine] = []
    for number, line in _person_lines(text):
        for person in parse_line(number, line):
            if len(lines) == max_lines:
                raise RosterTooLong(max_lines + 1)
            lines.append(person)
    return mark_duplicates(lines)


def _person_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(text.translate(_INVISIBLE).splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def parse_line(number: int, line: str) -> list[RosterLine]:
    """The people of one non-blank, non-comment line: `address[, note]`, or an address list as
    mail clients paste it (`Ann <ann@x.org>; bob@x.org`, `;` or `,` between people), one entry
    per address. A note never holds an address (issue 7 item 1): a line whose note holds one,
    or that mixes several people with a note, is INVALID for each of its people, so nobody's
    address is ever mailed to someone else."""
    char = refused_character(line.replace("\t", " "))  # a tab separates columns here
    if char is not None:
        shown = "".join("\ufffd" if c != "\t" and refused_character(c) else c for c in line)
        return [
            RosterLine(
                number,
                shown,
                None,
                problem=f"This line holds a control or text-direction character (U+{ord(char):04X}).",
            )
        ]
    name = ""
    angle = _ANGLE_FORM.match(line)
    if angle:
        name, address, rest = angle["name"], angle["address"], angle["rest"].strip()
        if rest and rest[0] not in _SEPARATORS:
            return [
                RosterLine(
                    number, line, None, problem="Put a comma between the address and the note."
                )
            ]
        note_text = rest[1:] if rest else ""
    else:
        cut = _first_separator(line)
        address, note_text = (line, "") if cut < 0 else (line[:cut], line[cut + 1 :])
    if "@" not in note_text:  # the common case: no other person, no address in the note
        return [_person(number, name, address, _note(note_text))]
    parts = [part.strip() for part in _split(note_text)]
    parts = [part for part in parts if _unquoted(part)]
    others = [part for part in parts if _is_person(part)]
    if not others:
        person = _person(number, name, address, _note(note_text))
        if person.problem is None and person.note and _ADDRESS_IN_TEXT.search(person.note):
            person = replace(person, problem=_NOTE_WITH_ADDRESS)
        return [person]
    people = [_person(number, name, address, None)]
    for part in others:
        other = _ANGLE_FORM.match(_unquoted(part))
        if other:
            people.append(_person(number, other["name"], other["address"], None))
        else:
            people.append(_person(number, "", part, None))
    if len(others) < len(parts):
        people = [replace(person, problem=person.problem or _PEOPLE_AND_NOTE) for person in people]
    return people


_NOTE_WITH_ADDRESS = (
    "The note holds an email address: put each person on their own line, and no address in a "
    "note (it would be mailed to the person on this line)."
)
_PEOPLE_AND_NOTE = (
    "This line lists several people and a note: put each person on their own line with their "
    "own note."
)
# Something that reads as an address inside free text.
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>,;@\"']+@[^\s<>,;@\"']+\.[^\s<>,;@\"']+")


def _is_person(part: str) -> bool:
    """Whether a separated part of a line is one more person: `Name <address>`, `<address>`,
    `mailto:address`, or a word with an @ in it (a mistyped address is still a person, never
    a note)."""
    text = _unquoted(part)
    angle = _ANGLE_FORM.match(text)
    if angle and not angle["rest"].strip():
        return True
    if text[:7].lower() == "mailto:":
        return True
    return "@" in text and not any(character.isspace() for character in text)


def _split(text: str) -> list[str]:
    """`text` cut at separators outside double quotes and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    depth = 0
    for character in text:
        if character == '"':
            quoted = not quoted
        elif character == "<" and not quoted:
            depth += 1
        elif character == ">" and not quoted and depth:
            depth -= 1
        elif character in _SEPARATORS and not quoted and not depth:
            parts.append("".join(current))
            current = []
            continue
        current.append(character)
    parts.append("".join(current))
    return parts


def _person(number: int, name: str, address: str, note: str | None) -> RosterLine:
    address = _unquoted(address.strip())
    if address[:7].lower() == "mailto:":
        address = address[7:]
    first_name, last_name = _names(_unquoted(name.strip()))
    email = normalized_email(address)
    problem = _address_problem(address) if email is None else None
    if problem is None and note is not None and len(note) > MAX_NOTE_LENGTH:
        problem = f"The note has {len(note):,} characters; at most {MAX_NOTE_LENGTH:,} are allowed."
    return RosterLine(
        number=number,
        email=email or address,
        note=note,
        first_name=first_name,
        last_name=last_name,
        problem=problem,
    )


def mark_duplicates(lines: list[RosterLine]) -> list[RosterLine]:
    """Later entries naming a person already named (whatever the letter case, on another line
    or the same one) point at the first one's line. Invalid entries never claim an address."""
    seen: set[str] = set()
    first_line: dict[str, int] = {}
    marked: list[RosterLine] = []
    for line in lines:
        if line.problem is None:
            if line.email in seen:
                line = replace(line, duplicate_of=first_line[line.email])
            else:
                seen.add(line.email)
                first_line[line.email] = line.number
        marked.append(line)
    return marked


def _first_separator(line: str) -> int:
    positions = [line.find(separator) for separator in _SEPARATORS]
    return min((p for p in positions if p >= 0), default=-1)


def _unquoted(text: str) -> str:
    for quote in ('"', "'"):
        if len(text) >= 2 and text[0] == quote and text[-1] == quote:
            return text[1:-1].replace(quote * 2, quote).strip()
    return text


def _note(text: str) -> str | None:
    """The note after the separator; empty columns and trailing separators are not a note."""
    note = _unquoted(text.strip().rstrip(_SEPARATORS + " ").strip())
    return note or None


def _names(display_name: str) -> tuple[str, str]:
    """(first name, surname) from `Jan de Vries` or `Vries, Jan de`."""
    if "," in display_name:
        last, _, first = display_name.partition(",")
    else:
        first, _, last = display_name.partition(" ")
    return first.strip()[:MAX_NAME_LENGTH], last.strip()[:MAX_NAME_LENGTH]


def _address_problem(address: str) -> str:
    if not address:
        return "There is no email address on this line."
    shown = address if len(address) <= 80 else address[:77] + "..."
    if any(character.isspace() for character in address):
        return f"{shown!r} contains a space: put one address per line and a comma before a note."
    ats = address.count("@")
    if ats == 0:
        return f"{shown!r} is not an email address: it has no @."
    if ats > 1:
        return f"{shown!r} is not an email address: it has {ats} @ signs."
    return f"{shown!r} is not a valid email address."
