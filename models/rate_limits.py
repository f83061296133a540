"""One row per counted attempt (a failed sign-in, a mail sent, a sign-up) under a hashed key,
so rate limits hold across every server process sharing the database."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.rows import FastRows


class RateLimitHit(FastRows, Model):
    id = fields.BigIntField(primary_key=True)
    # sha256 hex of "<limit name>:<value>": no address or email is stored here.
    key = fields.CharField(max_length=64)
    at = fields.DatetimeField()

    class Meta:
        table = "rate_limit_hit"
        indexes = (("key", "at"),)
