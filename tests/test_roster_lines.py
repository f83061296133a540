"""Reading pasted rosters: the formats people paste, and every way a line can be wrong."""

from __future__ import annotations

import pytest

from domain.roster_lines import (
    MAX_ROSTER_LINES,
    RosterLine,
    RosterTooLong,
    parse_roster,
)


def emails(lines: list[RosterLine]) -> list[str]:
    return [line.email for line in lines]


def test_one_email_per_line_with_optional_note() -> None:
    lines = parse_roster("ann@example.org\nbob@example.org, Welcome to our practice\n")

    assert [(line.number, line.email, line.note) for line in lines] == [
        (1, "ann@example.org", None),
        (2, "bob@example.org", "Welcome to our practice"),
    ]
    assert all(line.usable for line in lines)


def test_comments_and_blank_lines_are_skipped_but_keep_line_numbers() -> None:
    lines = parse_roster(
        "# patients of dr. Jansen\n\n   \nann@example.org\n  # indented comment\nbob@example.org"
    )

    assert [(line.number, line.email) for line in lines] == [
        (4, "ann@example.org"),
        (6, "bob@example.org"),
    ]


def test_windows_line_endings_bom_and_tabs() -> None:
    text = "\ufeffann@example.org\r\n\tbob@example.org\t\r\ncas@example.org\tSee you soon\r\n"

    lines = parse_roster(text)

    assert [(line.number, line.email, line.note) for line in lines] == [
        (1, "ann@example.org", None),
        (2, "bob@example.org", None),
        (3, "cas@example.org", "See you soon"),
    ]


def test_trailing_commas_and_empty_columns_are_not_a_note() -> None:
    lines = parse_roster("ann@example.org,\nbob@example.org,,,\ncas@example.org, Hello,\n")

    assert [line.note for line in lines] == [None, None, "Hello"]
    assert all(line.usable for line in lines)


def test_a_note_keeps_its_inner_commas_and_quotes_from_csv() -> None:
    lines = parse_roster(
        'ann@example.org, Welcome, see you Monday\n"bob@example.org","Hi, ""Bob"""\n'
    )

    assert [(line.email, line.note) for line in lines] == [
        ("ann@example.org", "Welcome, see you Monday"),
        ("bob@example.org", 'Hi, "Bob"'),
    ]


def test_semicolons_from_spreadsheets_separate_the_note() -> None:
    (line,) = parse_roster("ann@example.org; Welkom bij de praktijk")

    assert (line.email, line.note) == ("ann@example.org", "Welkom bij de praktijk")


@pytest.mark.parametrize(
    ("text", "email", "first", "last", "note"),
    [
        ("<ann@example.org>", "ann@example.org", "", "", None),
        ("Ann Smith <Ann@Example.org>", "ann@example.org", "Ann", "Smith", None),
        ("Jan de Vries <jan@example.org>, Welkom", "jan@example.org", "Jan", "de Vries", "Welkom"),
        ('"Vries, Jan de" <jan@example.org>', "jan@example.org", "Jan de", "Vries", None),
        ("mailto:ann@example.org", "ann@example.org", "", "", None),
    ],
)
def test_address_forms_from_mail_clients(
    text: str, email: str, first: str, last: str, note: str | None
) -> None:
    (line,) = parse_roster(text)

    assert line.usable, line.problem
    assert (line.email, line.first_name, line.last_name, line.note) == (email, first, last, note)


def test_a_note_with_angle_brackets_is_not_mistaken_for_an_address() -> None:
    (line,) = parse_roster("ann@example.org, Read <b>this</b> first")

    assert (line.email, line.note) == ("ann@example.org", "Read <b>this</b> first")


def test_addresses_are_lower_cased_and_mixed_case_repeats_are_duplicates() -> None:
    lines = parse_roster("Ann@Example.org\nbob@example.org\nANN@EXAMPLE.ORG, second note\n")

    assert emails(lines) == ["ann@example.org", "bob@example.org", "ann@example.org"]
    assert [line.duplicate_of for line in lines] == [None, None, 1]
    assert [line.usable for line in lines] == [True, True, False]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ann smith@example.org", "contains a space"),
        ("ann@example.org bob@example.org", "contains a space"),
        ("ann@@example.org", "2 @ signs"),
        ("ann@bob@example.org", "2 @ signs"),
        ("ann.example.org", "no @"),
        ("ann@example", "not a valid email address"),
        (", a note without an address", "no email address"),
        ("Ann <ann@example.org> welcome", "comma between"),
    ],
)
def test_bad_addresses_are_invalid_with_a_reason(text: str, says: str) -> None:
    (line,) = parse_roster(text)

    assert not line.usable
    assert line.problem is not None and says in line.problem


def test_a_note_over_1000_characters_makes_the_line_invalid() -> None:
    lines = parse_roster(f"ann@example.org, {'x' * 1001}\nbob@example.org, {'y' * 1000}")

    assert lines[0].problem is not None and "1,001 characters" in lines[0].problem
    assert lines[1].usable


def test_an_invalid_line_does_not_make_a_later_valid_one_a_duplicate() -> None:
    lines = parse_roster(f"ann@example.org, {'x' * 1001}\nann@example.org, short note")

    assert lines[0].problem is not None
    assert lines[1].usable


def test_up_to_10000_people_are_accepted_and_comments_do_not_count() -> None:
    text = "# header\n\n" + "\n".join(f"p{i}@example.org" for i in range(MAX_ROSTER_LINES))

    assert len(parse_roster(text)) == MAX_ROSTER_LINES


def test_more_than_10000_people_is_too_long() -> None:
    text = "\n".join(f"p{i}@example.org" for i in range(MAX_ROSTER_LINES + 1))

    with pytest.raises(RosterTooLong):
        parse_roster(text)


def test_an_empty_roster_has_no_lines() -> None:
    assert parse_roster("\ufeff\r\n# nothing yet\r\n\r\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "Ann Smith <ann@example.com>; Bob Jones <bob@example.com>; carl@example.com",
        "ann@example.com, bob@example.com,carl@example.com,",
        '"Smith, Ann" <ann@example.com>, <bob@example.com>\tmailto:carl@example.com',
    ],
)
def test_an_address_list_is_several_people_on_one_line(text: str) -> None:
    lines = parse_roster(text)

    assert [(line.number, line.email, line.note) for line in lines] == [
        (1, "ann@example.com", None),
        (1, "bob@example.com", None),
        (1, "carl@example.com", None),
    ]
    assert all(line.usable for line in lines)


def test_names_in_an_address_list_belong_to_their_own_address() -> None:
    ann, bob = parse_roster('"Smith, Ann" <ann@example.com>; Bob Jones <bob@example.com>')

    assert (ann.first_name, ann.last_name) == ("Ann", "Smith")
    assert (bob.first_name, bob.last_name) == ("Bob", "Jones")


@pytest.mark.parametrize(
    "text",
    [
        "ann@example.com, write to bob@example.com",
        "ann@example.com, bob@example.com, welcome",
        'ann@example.com, "Hi; mail bob@example.com"',
    ],
)
def test_a_note_never_holds_an_address(text: str) -> None:
    lines = parse_roster(text)

    assert lines and all(not line.usable and "own line" in (line.problem or "") for line in lines)


def test_a_mistyped_address_in_a_list_is_its_own_invalid_person() -> None:
    ann, bob = parse_roster("ann@example.com; bob@@example.com")

    assert ann.usable
    assert (bob.email, bob.usable) == ("bob@@example.com", False)


def test_the_limit_counts_people_not_lines() -> None:
    text = "\n".join(f"p{i}@example.org, q{i}@example.org" for i in range(MAX_ROSTER_LINES // 2))

    assert len(parse_roster(text)) == MAX_ROSTER_LINES
    with pytest.raises(RosterTooLong):
        parse_roster(text + "\nlast@example.org")
