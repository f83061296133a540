"""`python server.py invite-roster HEALTHSPACE FILE`: the roster invite from a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import People, Person
from live_server import DEMO_PASSWORD, rows, run_server

import models
from resolvers import commands
from schema.settings import Settings

ROSTER = "\ufeff# from the old system\r\nann@example.org, Welcome Ann\r\nclient1@example.com\r\nbad address\r\nANN@example.org\r\n"


def test_invite_roster_from_the_command_line(tmp_path: Path) -> None:
    # given the demo data and a roster file
    assert run_server(tmp_path, "seed-demo", CARESPACE_DEMO_PASSWORD=DEMO_PASSWORD).returncode == 0
    roster = tmp_path / "roster.txt"
    roster.write_text(ROSTER, encoding="utf-8")

    # when the roster is run dry and then for real from the command line
    dry = run_server(tmp_path, "invite-roster", "Demo Practice", str(roster), "--dry-run")
    real = run_server(
        tmp_path,
        "invite-roster",
        "Demo Practice",
        str(roster),
        "--inviter",
        "Clinician@Example.com",
        "--default-note",
        "See you soon",
    )

    # then the dry run writes nothing, and the real one reports, invites and mails the new person
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing was written or sent." in dry.stdout
    assert "ready to send              1" in dry.stdout
    assert real.returncode == 0, real.stderr
    assert "inviting  [##############################]      4/4" in real.stderr
    assert "roster invited by clinician@example.com" in real.stdout
    assert "sent                       1" in real.stdout
    assert "already connected          1" in real.stdout  # the demo clinician's client
    assert "line 4: INVALID 'bad address'" in real.stdout
    assert "line 5: DUPLICATE 'ann@example.org': Same person as line 2." in real.stdout
    assert rows(tmp_path, "SELECT email, note FROM invitation") == [
        ("ann@example.org", "Welcome Ann")
    ]
    assert rows(
        tmp_path, "SELECT to_address FROM outbox_message WHERE template = 'invitation'"
    ) == [("ann@example.org",)]
    assert rows(tmp_path, "SELECT COUNT(*) FROM roster_batch") == [(1,)]


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "roster.txt"
    path.write_text("a@example.org\nb@example.org, Hello B\n", encoding="utf-8")
    return path


async def test_without_inviter_the_first_administrator_invites(
    administrator: Person,
    healthspace: models.Healthspace,
    roster_file: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await commands.invite_roster_file(
        settings, healthspace_id=str(healthspace.id), path=str(roster_file)
    )

    assert code == 0
    invitations = await models.Invitation.all().order_by("email")
    assert [(i.email, i.note) for i in invitations] == [
        ("a@example.org", ""),
        ("b@example.org", "Hello B"),
    ]
    assert {str(i.invited_by_id) for i in invitations} == {administrator.id}
    assert "Invitation mails in the outbox: 2." in capsys.readouterr().out


async def test_a_clinician_who_may_not_invite_is_refused(
    clinician: Person,
    healthspace: models.Healthspace,
    roster_file: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await commands.invite_roster_file(
        settings,
        healthspace_id=str(healthspace.id),
        path=str(roster_file),
        inviter_email=clinician.email,
    )

    assert code == 2
    assert "may not invite clients" in capsys.readouterr().err
    assert await models.Invitation.all().count() == 0


@pytest.mark.parametrize(
    ("healthspace_id", "path", "says"),
    [
        ("no-such-place", "roster", "No Healthspace is called 'no-such-place'"),
        ("", "missing.txt", "Cannot read"),
    ],
)
async def test_unknown_healthspace_or_file(
    healthspace: models.Healthspace,
    roster_file: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    healthspace_id: str,
    path: str,
    says: str,
) -> None:
    code = await commands.invite_roster_file(
        settings,
        healthspace_id=healthspace_id or str(healthspace.id),
        path=str(roster_file) if path == "roster" else str(roster_file.parent / path),
    )

    assert code == 2
    assert says in capsys.readouterr().err


async def test_a_refused_roster_says_why(
    administrator: Person,
    healthspace: models.Healthspace,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "long.txt"
    path.write_text("\n".join(f"p{i}@example.org" for i in range(10_001)), encoding="utf-8")

    code = await commands.invite_roster_file(
        settings, healthspace_id=str(healthspace.id), path=str(path)
    )

    assert code == 1
    assert "(ROSTER_TOO_LONG)" in capsys.readouterr().err
    assert await models.RosterBatch.all().count() == 0


async def test_a_windows_spreadsheet_export_is_read(
    administrator: Person,
    people: People,
    healthspace: models.Healthspace,
    tmp_path: Path,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a semicolon-separated cp1252 export and one known account
    path = tmp_path / "export.csv"
    path.write_bytes(
        "rene@example.org;Bienvenue Ren\xe9\r\nnobody@example.org\r\n".encode("cp1252")
    )
    await people.account("rene@example.org")

    # when the file is sent, requiring an existing account
    code = await commands.invite_roster_file(
        settings,
        healthspace_id=str(healthspace.id),
        path=str(path),
        require_existing_account=True,
    )

    # then the note is read right, and the address without an account is listed
    out = capsys.readouterr().out
    assert code == 0
    assert (await models.Invitation.get(email="rene@example.org")).note == "Bienvenue René"
    assert "Not on Carespace yet" in out and "  nobody@example.org" in out


def test_the_progress_bar_redraws_one_line_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = commands.ProgressBar(terminal)
    for done in (0, 500, 1000):
        bar.show("preparing", done, 1000)
    bar.finish()

    drawn = terminal.getvalue()
    assert drawn.count("\r") == 3 and drawn.endswith("1,000/1,000\n")
    assert "[###############...............]    500/1,000" in drawn


def test_the_progress_bar_prints_finished_phases_elsewhere() -> None:
    log = io.StringIO()
    bar = commands.ProgressBar(log)
    for done in (0, 500, 1000):
        bar.show("saving", done, 1000)

    assert log.getvalue() == "saving    [##############################]  1,000/1,000\n"
