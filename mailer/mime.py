"""An outgoing message as RFC 5322 bytes: multipart/alternative with a text and an HTML part,
CRLF line ends, ready for SMTP DATA or an .eml file.

Written out by hand because email.message.EmailMessage costs about 2 ms per message, most of
the time budget of a bulk send (a roster of a few thousand invitations).
"""

from __future__ import annotations

import binascii
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol
from uuid import UUID


class OutgoingMessage(Protocol):
    """What delivery needs of a message: an outbox row, or anything shaped like one."""

    @property
    def id(self) -> UUID: ...
    @property
    def to_address(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text_body(self) -> str: ...
    @property
    def html_body(self) -> str: ...


@dataclass(frozen=True)
class Sender:
    header: str  # the From header, encoded
    address: str  # the envelope sender (MAIL FROM)
    domain: str  # for Message-IDs

    @classmethod
    def parse(cls, sender: str) -> Sender:
        name, address = parseaddr(sender)
        if "@" not in address:
            raise ValueError(f"not a mail address: {sender!r}")
        return cls(
            header=_checked(formataddr((name, address), charset="utf-8")),
            address=address,
            domain=address.rpartition("@")[2],
        )


def render(message: OutgoingMessage, sender: Sender, now: datetime) -> bytes:
    """The message as sent. The Message-ID derives from the outbox id, so that a duplicate
    delivery is recognisable. Raises ValueError for a header that cannot be sent."""
    # "=_" never occurs in quoted-printable text (a literal "=" becomes "=3D").
    boundary = f"=_{message.id.hex}"
    headers = (
        f"From: {sender.header}\r\n"
        f"To: {_checked(message.to_address)}\r\n"
        f"Subject: {_encoded(header_text(message.subject), 'Subject')}\r\n"
        f"Date: {format_datetime(now)}\r\n"
        f"Message-ID: <{message.id}@{sender.domain}>\r\n"
        # RFC 3834: keeps vacation responders from answering a no-reply address.
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'
        "\r\n"
    )
    return b"".join(
        (
            # An address with non-ASCII characters stays UTF-8 (RFC 6532, sent with SMTPUTF8).
            headers.encode(),
            _part(boundary, "plain", message.text_body),
            _part(boundary, "html", message.html_body),
            f"--{boundary}--\r\n".encode(),
        )
    )


def _part(boundary: str, subtype: str, body: str) -> bytes:
    head = (
        f"--{boundary}\r\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    data = body.replace("\r\n", "\n").replace("\r", "\n").encode()
    encoded = binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")
    if not encoded.endswith(b"\r\n"):
        encoded += b"\r\n"
    return head.encode() + encoded


def header_text(value: str) -> str:
    """`value` fit for a header's free text (a Subject): every control character (CR, LF, NUL,
    tab...) and Unicode line or paragraph separator becomes a space, so that no text, whatever
    it holds, can end the header, start another one or cut the message short."""
    if value.isprintable():
        return value
    return "".join(
        " " if unicodedata.category(char) in {"Cc", "Zl", "Zp"} else char for char in value
    )


def _checked(value: str) -> str:
    """`value` unchanged; ValueError when it holds a CR, LF or NUL (an address or a configured
    From line has no text to mend: sending it would forge headers or cut the message)."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"line break or NUL in a header value: {value!r}")
    return value


def _encoded(value: str, name: str) -> str:
    _checked(value)
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
