"""The invitations of a roster run's SENT lines, their mails and their audit events, built and
written in bulk (domain/roster.py decides who is invited)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

import models
from domain.invitation_status import pending_key
from domain.invitations import (
    Links,
    invitation_message,
    kept_language,
    mail_language,
    new_invitation,
)
from domain.people import display_name
from domain.roster_lines import RosterLine
from mailer import outbox
from mailer.messages import Message
from models.bulk import BulkTable, copy_of
from permissions.audit import audit_event, record_events
from permissions.tokens import hash_token, new_token
from permissions.viewer import Viewer


class RosterInvitations:
    """The first invitation comes from new_invitation (the single-invite rules: expiry, reminder
    schedule, pending key, language); the others are copies of it with their own PER_LINE
    values, because constructing 10,000 models would cost more than all the rest of the run.
    `write` stores them with one statement per table (models.bulk)."""

    PER_LINE = (
        "id",
        "email",
        "first_name",
        "last_name",
        "note",
        "language",
        "token_hash",
        "pending_key",
    )
    MAIL_PER_LINE = ("id", "template", "to_address", "subject", "text_body", "html_body")

    def __init__(
        self,
        viewer: Viewer,
        inviter: models.Member,
        healthspace: models.Healthspace,
        clinicians: list[uuid.UUID],
        links: Links,
        batch: models.RosterBatch | None,
        now: datetime,
    ) -> None:
        self.viewer = viewer
        self.inviter = inviter
        self.healthspace = healthspace
        self.clinicians = clinicians
        self.links = links
        self.batch = batch
        self.now = now
        self.made: list[models.Invitation] = []
        self.mails: list[Message] = []
        self._first: models.Invitation | None = None
        self._inviter_name = display_name(viewer.account)
        # Letters and digits only: no escaping in text or HTML changes it.
        self._stand_in = "token" + secrets.token_hex(16)
        self._shapes: dict[tuple[str, str, str], Message] = {}
        self._healthspace_id = str(healthspace.id)

    def add(self, line: RosterLine, note: str, account: Mapping[str, Any] | None) -> uuid.UUID:
        """Prepare the invitation and mail of one SENT line; `account` is the invitee's account
        row (language, names) when they have one. Returns the new invitation's id."""
        first_name = line.first_name or (account["first_name"] if account else "")
        last_name = line.last_name or (account["last_name"] if account else "")
        account_language = str(account["language"]) if account else None
        language = kept_language(account_language, self.viewer.account)
        invitation, token = self._new(line.email, first_name, last_name, note, language)
        mail = self._mail(invitation, token, mail_language(invitation, account_language))
        self.made.append(invitation)  # only now: the two lists stay in step
        self.mails.append(mail)
        return invitation.id

    def _mail(self, invitation: models.Invitation, token: str, language: str) -> Message:
        """invitation_message's mail. It differs between invitations only in the address, the
        language, the name, the note and the token, so it is composed once per language, name
        and note with a stand-in token that each invitation's own token then replaces."""
        key = (language, invitation.first_name, invitation.note)
        shape = self._shapes.get(key)
        if shape is None:
            shape = invitation_message(
                invitation,
                self._stand_in,
                healthspace=self.healthspace,
                inviter_name=self._inviter_name,
                language=language,
                links=self.links,
            )
            if self._stand_in not in shape.text or self._stand_in not in shape.html:
                raise RuntimeError("the invitation mail does not carry its link")
            self._shapes[key] = shape
        return Message(
            template=shape.template,
            to=invitation.email,
            subject=shape.subject.replace(self._stand_in, token),
            text=shape.text.replace(self._stand_in, token),
            html=shape.html.replace(self._stand_in, token),
        )

    def _new(
        self, email: str, first_name: str, last_name: str, note: str, language: str
    ) -> tuple[models.Invitation, str]:
        if self._first is None:
            self._first, token = new_invitation(
                healthspace=self.healthspace,
                kind=models.MemberKind.CLIENT,
                email=email,
                first_name=first_name,
                last_name=last_name,
                note=note,
                connect_to=self.clinicians,
                invited_by=self.inviter,
                language=language,
                batch=self.batch,
                now=self.now,
            )
            # Set now, not at insert time, so that every copy and the payload carry it.
            self._first.created_at = self.now
            return self._first, token
        token = new_token()
        invitation = copy_of(
            self._first,
            id=uuid.uuid4(),
            email=email,
            first_name=first_name,
            last_name=last_name,
            note=note,
            language=language,
            token_hash=hash_token(token),
            pending_key=pending_key(self._healthspace_id, email),
        )
        return invitation, token

    async def write(self, connection: BaseDBAsyncClient) -> None:
        """One INSERT per table (COPY on PostgreSQL): invitations, mails, audit events."""
        first = self._first
        if first is None:
            return
        invitations = BulkTable(connection, first, self.PER_LINE)
        await invitations.insert(
            invitations.convert(
                [getattr(row, column) for column in self.PER_LINE] for row in self.made
            )
        )
        # The outbox's own row for a mail supplies the columns all mails share.
        mails = BulkTable(
            connection, outbox.outbox_row(self.mails[0], self.now), self.MAIL_PER_LINE
        )
        await mails.insert(
            mails.convert(
                (uuid.uuid4(), mail.template, mail.to, mail.subject, mail.text, mail.html)
                for mail in self.mails
            )
        )
        template = audit_event(
            self.viewer,
            "INVITATION_CREATED",
            healthspace_id=self.healthspace.id,
            actor=self.inviter,
        )
        await record_events(
            [
                copy_of(
                    template,
                    id=uuid.uuid4(),
                    subject_id=row.id,
                    details={"kind": row.kind, "email": row.email},
                )
                for row in self.made
            ],
            connection=connection,
            varying=("id", "subject_id", "details"),
        )
